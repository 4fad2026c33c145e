// End to end in Chromium: a large file goes up in parts through the upload page, against the
// runner (the whole service on one machine) serving the built SPA. A 300 MB WAV (30 minutes of
// real audio made with ffmpeg) is paused and resumed, the page is reloaded in the middle, the same
// file is dropped again and only the parts storage lacks are sent; the track becomes ready and
// its download is byte for byte the file. Run from the repository root (see harness.mjs):
//
//   node --test e2e/multipart.test.mjs

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';

import * as h from './harness.mjs';
import { BASE, browserReady, media, waitState } from './harness.mjs';

h.setUp('multipart');

/** MD5 (base64) and SHA-256 (hex) of a file, streamed. */
async function digests(file) {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    md5.update(chunk);
    sha.update(chunk);
  }
  return { md5: md5.digest('base64'), sha256: sha.digest('hex') };
}

/** A part PUT to storage: its number, from the presigned URL's query. */
const partOf = (req) => {
  if (req.method() !== 'PUT') return null;
  const n = new URL(req.url()).searchParams.get('partNumber');
  return n === null ? null : Number(n);
};

const stateOf = (row) => row.getAttribute('data-state', { timeout: 1000 }).catch(() => null);

describe('uploads in parts, in Chromium', () => {
  it('a 300 MB WAV: pause, resume, reload mid-way, the same file again sends only the missing parts; ready; download identical', { timeout: 900_000 }, async () => {
    await browserReady();
    // 30 minutes of 16-bit stereo at 44.1 kHz: 318 MB of real audio that processes.
    const name = 'long live set.wav';
    const wav = path.join(media.dir, name);
    await h.ffmpeg([
      '-f', 'lavfi', '-i', "sine=frequency=330:sample_rate=44100:duration=1800,volume='0.3+0.2*sin(2*PI*t/7)':eval=frame",
      '-ac', '2', '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', wav,
    ]);
    const want = await digests(wav);

    await h.withPage(async (sess) => {
      const { page, context } = sess;
      // Everything the page asks of the API and of storage, in order, with the session it was in.
      let session = 1;
      const log = []; // {session, kind, part?, status?, body?}
      const created = [];
      page.on('request', (req) => {
        const u = new URL(req.url());
        const part = partOf(req);
        if (part !== null) log.push({ session, kind: 'put', part, req });
        else if (u.pathname === '/api/tracks' && req.method() === 'POST') log.push({ session, kind: 'create' });
        else if (u.pathname.endsWith('/parts') && req.method() === 'POST') log.push({ session, kind: 'sign', body: JSON.parse(req.postData() ?? '{}') });
        else if (u.pathname.endsWith('/parts') && req.method() === 'GET') log.push({ session, kind: 'list', req });
        else if (u.pathname.endsWith('/complete')) log.push({ session, kind: 'complete', body: JSON.parse(req.postData() ?? '{}') });
      });
      const stored = new Map(); // part → session whose PUT storage answered 200
      page.on('response', async (res) => {
        const part = partOf(res.request());
        if (part !== null && res.status() === 200) stored.set(part, session);
        const put = part !== null && log.find((e) => e.kind === 'put' && e.req === res.request());
        if (put) put.status = res.status();
        if (new URL(res.url()).pathname === '/api/tracks' && res.request().method() === 'POST' && res.status() === 201) created.push(await res.json());
        // Read at once: Chromium drops response bodies soon after.
        const listed = log.find((e) => e.kind === 'list' && e.req === res.request());
        if (listed) listed.answer = await res.json().catch((err) => ({ unreadable: err.message }));
      });
      // Slow enough that Pause and the reload find the upload running: 300 MB in about 20 s.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * 1024 * 1024 });

      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').setInputFiles(wav);
      const row = page.locator('li.upload').filter({ hasText: name });
      await h.waitFor(() => created.length === 1, { timeout: 30_000, what: 'POST /api/tracks' });
      const plan = created[0].upload;
      assert.equal(plan.method, 'MULTIPART', `a ${want.md5} 318 MB file must go up in parts: ${JSON.stringify(plan)}`);
      assert.ok(plan.partCount >= 10, `${plan.partCount} parts of ${plan.partSize} bytes`);
      const { id, deleteToken } = created[0];

      // Several parts in flight at once, progress with speed and time left.
      await h.waitFor(() => stored.size >= 3, { timeout: 120_000, what: 'three parts stored' });
      const inFlight = log.filter((e) => e.kind === 'put').length - stored.size;
      assert.ok(inFlight >= 2, `only ${inFlight} part PUTs in flight with 3 stored: parts do not go up several at once`);
      const status = await h.waitFor(async () => {
        const t = (await row.locator('.status').innerText()).trim();
        return / %.*\/s.*left/.test(t) && t;
      }, { timeout: 20_000, what: 'percent, speed and time left in the row' });
      console.log(`while uploading the row says: ${status}`);

      // Pause: the parts in flight stop and no new one starts until Resume.
      await row.getByRole('button', { name: `Pause upload of ${name}` }).click();
      await h.waitFor(async () => (await stateOf(row)) === 'paused', { timeout: 10_000, what: 'data-state=paused' });
      assert.match(await row.locator('.status').innerText(), /Paused at \d+ %/);
      const putsAtPause = log.filter((e) => e.kind === 'put').length;
      await h.sleep(3000);
      assert.equal(log.filter((e) => e.kind === 'put').length, putsAtPause, 'a part PUT started while paused');
      const storedAtPause = stored.size;
      await row.getByRole('button', { name: `Resume upload of ${name}` }).click();
      await h.waitFor(async () => (await stateOf(row)) === 'uploading', { timeout: 10_000, what: 'data-state=uploading after Resume' });
      await h.waitFor(() => stored.size >= storedAtPause + 3, { timeout: 120_000, what: 'three more parts stored after Resume' });
      assert.ok(stored.size < plan.partCount, 'the upload finished before the reload: nothing left to resume');

      // Reload in the middle: the page asks first (parts are in flight), the visitor leaves
      // anyway, and the tab forgets everything but IndexedDB.
      session = 2;
      const storedBefore = new Set(stored.keys());
      sess.expectBeforeUnload = 'leave';
      await page.reload();
      assert.equal(sess.beforeUnloads.length, 1, 'reloading mid-upload did not ask first');
      sess.expectBeforeUnload = false;
      await page.locator('input[type=file]').waitFor({ state: 'attached' });
      assert.equal(await page.locator('li.upload').count(), 0, 'a fresh page shows no upload');
      await page.locator('input[type=file]').setInputFiles(wav);
      const again = page.locator('li.upload').filter({ hasText: name });
      await h.waitFor(async () => /resumed: \d+ parts? (was|were) already stored/.test(await again.locator('.status').innerText().catch(() => '')), {
        timeout: 60_000, what: 'the row to say the upload resumed',
      });
      await waitState(again, 'ready', { timeout: 600_000 });

      const s2 = log.filter((e) => e.session === 2);
      assert.equal(log.filter((e) => e.kind === 'create').length, 1, 'the same file dropped again started a new track');
      const lists = s2.filter((e) => e.kind === 'list');
      assert.equal(lists.length, 1, `${lists.length} GET …/parts after the reload`);
      await h.waitFor(() => lists[0].answer, { timeout: 5000, what: 'the GET …/parts answer' });
      const held = new Set((lists[0].answer.uploaded ?? []).map((p) => p.number));
      for (const p of storedBefore) assert.ok(held.has(p), `part ${p} was stored before the reload but GET …/parts does not list it`);
      assert.ok(held.size < plan.partCount, 'storage held every part at the resume');
      // Exactly the parts storage lacked are sent, each stored once. A PUT that storage refused
      // and the page retried is allowed (a part whose PUT the reload cut off may still be
      // settling in storage), and reported.
      const puts = s2.filter((e) => e.kind === 'put');
      const uniq = (xs) => [...new Set(xs)].sort((a, b) => a - b);
      const missing = Array.from({ length: plan.partCount }, (_, i) => i + 1).filter((n) => !held.has(n));
      assert.deepEqual(uniq(puts.map((e) => e.part)), missing, 'after the reload the page must PUT the parts storage lacked, and only those');
      const ok = puts.filter((e) => e.status === 200).map((e) => e.part).sort((a, b) => a - b);
      assert.deepEqual(ok, missing, 'after the reload each missing part must be stored exactly once');
      const retried = puts.filter((e) => e.status !== 200).map((e) => `part ${e.part}: ${e.status ?? 'no answer'}`);
      const signed = s2.filter((e) => e.kind === 'sign').flatMap((e) => e.body.parts.map((p) => p.number));
      assert.deepEqual(uniq(signed), missing, 'after the reload the page must sign the missing parts, and only those');
      console.log(`${plan.partCount} parts of ${plan.partSize} bytes; ${storedBefore.size} stored before the reload, ${held.size} held at the resume, ${missing.length} sent after it; attempts refused and retried: ${retried.join(', ') || 'none'}`);

      const completes = log.filter((e) => e.kind === 'complete');
      assert.equal(completes.length, 1, `${completes.length} POST …/complete`);
      assert.equal(completes[0].body.md5, want.md5, 'the whole-file MD5 sent with complete is not the file\'s');
      assert.deepEqual(completes[0].body.parts.map((p) => p.number), Array.from({ length: plan.partCount }, (_, i) => i + 1));

      // Nothing left in IndexedDB once the upload completed.
      const left = await page.evaluate(() => new Promise((resolve, reject) => {
        const r = indexedDB.open('soundtime');
        r.onsuccess = () => {
          const q = r.result.transaction('uploads').objectStore('uploads').count();
          q.onsuccess = () => resolve(q.result);
          q.onerror = () => reject(q.error);
        };
        r.onerror = () => reject(r.error);
      }));
      assert.equal(left, 0, 'the finished upload is still remembered in IndexedDB');

      // The track: ready, 30 minutes, and its download is the very file.
      const t = await h.waitReady(BASE, id, 600_000);
      assert.ok(Math.abs(t.duration - 1800) < 1, `duration ${t.duration}`);
      const dl = await fetch(`${BASE}/api/tracks/${id}/download?redirect=1`);
      assert.equal(dl.status, 200, 'download');
      const sha = createHash('sha256');
      for await (const chunk of Readable.fromWeb(dl.body)) sha.update(chunk);
      assert.equal(sha.digest('hex'), want.sha256, 'the download differs from the uploaded file');
      assert.ok(deleteToken.length >= 16);
    });
  });
});
