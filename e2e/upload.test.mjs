// End to end in Chromium: the upload page (choosing, refusing, hashing in a worker, uploading
// in one PUT and in parts, cancelling, the share link, embed code and delete token, this
// browser's uploads and Delete), against the runner (the whole service on one machine) serving the built SPA. Run from the
// repository root, alone or with the other files (see harness.mjs):
//
//   node --test e2e/upload.test.mjs
//
// Screenshots and the runner's log (runner-upload.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

import { assertAccessible } from './axe.mjs';
import * as h from './harness.mjs';
import { assertShareURL, BASE, browserReady, media, openPlayer, parseSnippet, waitState } from './harness.mjs';

const { XSS_TITLE } = h;

h.setUp('upload');

/** A WAV header and `size` bytes of silence in all: a sparse file, so making it costs nothing. */
async function sparseWav(file, size) {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(size - 8, 4); header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44100, 24); header.writeUInt32LE(44100 * 4, 28); header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34); header.write('data', 36); header.writeUInt32LE(size - 44, 40);
  await h.writeFile(file, header);
  await truncate(file, size);
}

/** Node's own MD5 of a file, base64, streamed. */
async function fileMD5(file) {
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file)) md5.update(chunk);
  return md5.digest('base64');
}

describe('upload page, in Chromium', () => {
  it('upload page: uploads, refuses a non-audio file before upload, shows link, embed code and delete token', { timeout: 150_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
      const started = []; // the body of every POST /api/tracks the page makes
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/tracks') {
          started.push(JSON.parse(req.postData() ?? '{}'));
        }
      });

      const res = await page.goto(`${BASE}/`);
      assert.equal(res.status(), 200, 'GET /');
      const input = page.locator('input[type=file]');
      await input.waitFor({ state: 'attached' });
      assert.equal(await input.count(), 1, 'want one file input');
      assert.equal(await input.evaluate((e) => e.multiple), true, 'the file input does not take several files');
      const streamOnly = page.getByLabel('Stream only (no download)');
      const pub = page.getByRole('checkbox', { name: 'Public — announce it to the fediverse' });
      assert.equal(await streamOnly.isChecked(), false, '"Stream only" is checked by default');
      assert.equal(await pub.isChecked(), false, '"Public" is checked by default');

      const uploaded = {}; // per media key: {id, url, token, snippet, iframe}
      const files = ['tagged', 'untagged', 'xss', 'notAudio'].map((k) => media[k]);
      await input.setInputFiles(files.map((f) => f.path));
      const rowOf = (f) => page.locator('li.upload').filter({ hasText: f.name });
      await h.waitFor(async () => (await page.locator('li.upload').count()) === 4, { what: 'four upload rows' });
      for (const f of files) assert.equal(await rowOf(f).count(), 1, `want one row naming ${f.name}`);

      // The PNG is refused by the page itself, with a reason, and never reaches the API.
      const refused = rowOf(media.notAudio);
      await waitState(refused, 'refused', { timeout: 10_000 });
      const reason = (await refused.innerText()).replace(media.notAudio.name, '').trim();
      assert.match(reason, /not an audio file/i, `the refused row does not say why: ${await refused.innerText()}`);

      for (const key of ['tagged', 'untagged', 'xss']) {
        const f = media[key];
        const row = rowOf(f);
        await waitState(row, 'ready');
        const link = row.locator('a.share-link');
        const href = await link.getAttribute('href');
        const id = assertShareURL(href, f.name);
        const token = (await row.locator('code.delete-token').innerText()).trim();
        assert.ok(token.length >= 16, `${f.name}: delete token ${token} too short`);
        const snippet = await row.locator('textarea.embed-code').inputValue();
        const parsed = await parseSnippet(page, snippet);
        assert.deepEqual(parsed.elements, ['iframe'], `${f.name}: the embed code is not one iframe: ${snippet}`);
        assert.deepEqual(parsed.strayText, [], `${f.name}: text around the iframe: ${snippet}`);
        assert.equal(parsed.iframe.src, `${BASE}/embed/${id}`, `${f.name}: the embed code's iframe src`);
        uploaded[key] = { id, url: href, token, snippet, iframe: parsed.iframe };
      }
      assert.deepEqual(started.map((b) => b.filename).sort(), [media.tagged.name, media.untagged.name, media.xss.name].sort(),
        'the page must start exactly the three audio uploads (the PNG never)');
      for (const b of started) {
        const f = Object.values(media).find((m) => m.name === b.filename);
        assert.equal(b.size, f.bytes.length, `${b.filename}: size sent`);
        assert.equal(b.type, f.type, `${b.filename}: type sent`);
        assert.notEqual(b.downloadable, false, `${b.filename}: sent as stream-only with the box unchecked`);
        assert.notEqual(b.public, true, `${b.filename}: sent as public with the box unchecked`);
      }

      // The markup title shows literally in the embed code: the snippet's iframe title is the
      // exact title, and the snippet carries no markup of it.
      const x = uploaded.xss;
      assert.ok(!x.snippet.includes('<script'), `the embed code carries live markup: ${x.snippet}`);
      assert.equal(x.iframe.title, XSS_TITLE, `the embed code's iframe title is not the track's title: ${x.snippet}`);

      // Copy link puts the share URL on the clipboard.
      const t = uploaded.tagged;
      await rowOf(media.tagged).getByRole('button', { name: 'Copy link' }).click();
      const clip = await h.waitFor(async () => {
        const c = await page.evaluate(() => navigator.clipboard.readText());
        return c === t.url && c;
      }, { timeout: 5000, what: 'the share link on the clipboard' });
      assert.equal(clip, t.url);

      // Tokens persist in localStorage, and the list of this browser's uploads shows them.
      const stored = await page.evaluate(() => localStorage.getItem('soundtime.uploads'));
      assert.ok(stored, 'nothing in localStorage soundtime.uploads');
      for (const key of ['tagged', 'untagged', 'xss']) {
        assert.ok(stored.includes(uploaded[key].id), `localStorage lacks ${key} ${uploaded[key].id}`);
        assert.ok(stored.includes(uploaded[key].token), `localStorage lacks the delete token of ${key}`);
      }
      await h.shot(page, 'upload-page', { fullPage: true });

      // After a reload, the list of this browser's uploads (from localStorage) has each with Delete.
      await page.reload();
      await page.getByRole('heading', { name: 'Uploaded from this browser' }).waitFor({ timeout: 10_000 });
      for (const key of ['tagged', 'untagged', 'xss']) {
        const entry = page.locator('li:not(.upload)').filter({ has: page.locator(`a[href$="/t/${uploaded[key].id}"]`) });
        await entry.first().waitFor({ timeout: 10_000 });
        assert.equal(await entry.count(), 1, `"Uploaded from this browser" lists ${key} ${await entry.count()} times`);
        assert.equal(await entry.getByRole('button', { name: 'Delete' }).count(), 1, `no Delete button for ${key}`);
      }
      await h.shot(page, 'upload-page-reloaded', { fullPage: true });
    });
  });

  it('stream-only upload: no download link, download refused; Delete removes it', { timeout: 120_000 }, async () => {
    await browserReady();
    await h.withPage(async (s) => {
      const { page } = s;
      const started = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/tracks') started.push(JSON.parse(req.postData() ?? '{}'));
      });
      await page.goto(`${BASE}/`);
      await page.getByLabel('Stream only (no download)').check();
      await page.locator('input[type=file]').setInputFiles(media.streamOnly.path);
      const row = page.locator('li.upload').filter({ hasText: media.streamOnly.name });
      await waitState(row, 'ready');
      const url = await row.locator('a.share-link').getAttribute('href');
      const id = assertShareURL(url, media.streamOnly.name);

      assert.deepEqual(started.map((b) => [b.filename, b.downloadable]), [[media.streamOnly.name, false]], 'POST /api/tracks with downloadable false');
      const api = await h.getJSON(`${BASE}/api/tracks/${id}`);
      assert.equal(api.body.downloadable, false, 'the API says the stream-only track is downloadable');
      const dl = await fetch(`${BASE}/api/tracks/${id}/download`);
      assert.equal(dl.status, 403, 'download of a stream-only track');

      const track = await s.context.newPage();
      await openPlayer(track, url);
      assert.equal(await track.locator('a.download').count(), 0, 'a stream-only track page shows a download link');
      await track.close();

      // Delete from the list of this browser's uploads.
      await page.reload();
      const entry = page.locator('li:not(.upload)').filter({ has: page.locator(`a[href$="/t/${id}"]`) });
      await entry.waitFor({ timeout: 10_000 });
      s.acceptDialogs = true; // a confirmation before deleting is fine here, and is accepted
      await entry.getByRole('button', { name: 'Delete' }).click();
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${id}`)).status === 404, { timeout: 10_000, what: `GET /api/tracks/${id} to answer 404 after Delete` });
      await h.waitFor(async () => (await entry.count()) === 0, { timeout: 5000, what: 'the deleted entry to leave the list' });
      const stored = await page.evaluate(() => localStorage.getItem('soundtime.uploads') ?? '');
      assert.ok(!stored.includes(id), 'the deleted track stays in localStorage');
    });
  });

  it('a file under the multipart threshold: hashed in the worker (hash-wasm), its MD5 right, one PUT; Cancel mid-upload leaves nothing', { timeout: 240_000 }, async () => {
    await browserReady();
    const { multipartThreshold } = (await h.getJSON(`${BASE}/api/config`)).body;
    assert.ok(multipartThreshold > 8 * 1024 * 1024, `GET /api/config gives multipartThreshold ${multipartThreshold}`);
    const big = path.join(media.dir, 'just under the threshold.wav');
    const size = multipartThreshold - 1024 * 1024;
    await sparseWav(big, size);
    const wantMD5 = await fileMD5(big);

    await h.withPage(async ({ page, context }) => {
      const started = [];
      const puts = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/tracks') started.push(JSON.parse(req.postData() ?? '{}'));
        if (req.method() === 'PUT') puts.push(req.url());
      });
      const createdIDs = [];
      page.on('response', async (res) => {
        if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/api/tracks' && res.status() === 201) createdIDs.push((await res.json()).id);
      });
      // The upload itself is throttled (DevTools network emulation) so that Cancel finds it running.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });

      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').setInputFiles(big);
      const row = page.locator('li.upload').filter({ hasText: 'just under the threshold.wav' });
      await waitState(row, 'uploading', { timeout: 60_000, terminal: ['ready', 'failed', 'error', 'cancelled', 'processing'] });

      // The MD5 the page computed is the file's, sent before a byte; the bytes go in one PUT.
      await h.waitFor(() => started.length === 1, { timeout: 20_000, what: 'POST /api/tracks' });
      assert.equal(started[0].md5, wantMD5, 'the page sent another MD5 than the file has');
      assert.equal(started[0].size, size);
      const id = await h.waitFor(() => createdIDs[0], { timeout: 10_000, what: 'the POST /api/tracks response' });
      await h.waitFor(() => puts.length === 1, { timeout: 10_000, what: 'the PUT' });
      assert.equal(new URL(puts[0]).searchParams.get('partNumber'), null, 'a file under the threshold went up in parts');
      assert.equal(await row.getByRole('button', { name: /^Pause/ }).count(), 0, 'a single PUT offers Pause');

      // Cancel: the upload stops and the pending track is deleted; nothing remains of it.
      await row.getByRole('button', { name: 'Cancel upload of just under the threshold.wav' }).click();
      await waitState(row, 'cancelled', { timeout: 20_000 });
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${id}`)).status === 404, { timeout: 10_000, what: `GET /api/tracks/${id} to answer 404 after Cancel` });
    });
  });

  it('a 500 MB file goes up in parts while the page stays responsive; Cancel deletes the track and forgets it', { timeout: 240_000 }, async () => {
    await browserReady();
    const big = path.join(media.dir, 'half a gigabyte.wav');
    await sparseWav(big, 500 * 1024 * 1024);
    await h.withPage(async ({ page, context }) => {
      const created = [];
      page.on('response', async (res) => {
        if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/api/tracks' && res.status() === 201) created.push(await res.json());
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024 });

      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').setInputFiles(big);
      const row = page.locator('li.upload').filter({ hasText: 'half a gigabyte.wav' });
      const { id, upload } = await h.waitFor(() => created[0], { timeout: 30_000, what: 'POST /api/tracks' });
      assert.equal(upload.method, 'MULTIPART');

      // While parts are hashed and sent, the page answers: its progress text changes under our
      // eyes, and a checkbox clicked now is checked now. No timing threshold: a frozen page fails both.
      const seen = new Set();
      const pub = page.getByRole('checkbox', { name: 'Public — announce it to the fediverse' });
      let clicked = false;
      await h.waitFor(async () => {
        if ((await row.getAttribute('data-state')) !== 'uploading') return false;
        seen.add((await row.locator('.status').innerText()).trim());
        if (!clicked && seen.size >= 2) {
          await pub.click();
          assert.equal(await pub.isChecked(), true, 'a click during the upload did not take');
          await pub.click();
          clicked = true;
        }
        return clicked && seen.size >= 4;
      }, { timeout: 120_000, interval: 250, what: 'progress updates and a click while uploading' });

      await row.getByRole('button', { name: 'Cancel upload of half a gigabyte.wav' }).click();
      await waitState(row, 'cancelled', { timeout: 20_000 });
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${id}`)).status === 404, { timeout: 10_000, what: `GET /api/tracks/${id} to answer 404 after Cancel` });
      const remembered = await page.evaluate(() => new Promise((resolve, reject) => {
        const r = indexedDB.open('soundtime');
        r.onsuccess = () => {
          const q = r.result.transaction('uploads').objectStore('uploads').count();
          q.onsuccess = () => resolve(q.result);
          q.onerror = () => reject(q.error);
        };
        r.onerror = () => reject(r.error);
      }));
      assert.equal(remembered, 0, 'the cancelled upload is still remembered in IndexedDB');
    });
  });

  it('keyboard alone: Tab reaches the file picker with a visible focus ring, Space opens it, the file uploads', { timeout: 90_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page }) => {
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').waitFor({ state: 'attached' });
      let reached = false;
      for (let i = 0; i < 15 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement?.matches('input[type=file]') ?? false);
      }
      assert.ok(reached, 'Tab never reached the file input');
      // The focus shows on the visible control (the label styled as a button).
      const ring = await page.evaluate(() => {
        const input = document.activeElement;
        const label = document.querySelector(`label[for="${input.id}"]`);
        const st = label && getComputedStyle(label);
        return st && { style: st.outlineStyle, width: parseFloat(st.outlineWidth) };
      });
      assert.ok(ring && ring.style !== 'none' && ring.width >= 2, `no visible focus ring on the picker: ${JSON.stringify(ring)}`);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5000 }), page.keyboard.press('Space')]);
      assert.equal(chooser.isMultiple(), true, 'the picker takes one file only');
      await chooser.setFiles(media.untagged.path);
      const row = page.locator('li.upload').filter({ hasText: media.untagged.name });
      await waitState(row, 'ready');
      assert.ok(await row.locator('a.share-link').count(), 'no share link after a keyboard-only upload');
    });
  });

  it('a file over the size limit is refused before hashing, with the limit in the reason', { timeout: 60_000 }, async () => {
    await browserReady();
    const { maxUploadBytes } = (await h.getJSON(`${BASE}/api/config`)).body;
    assert.ok(maxUploadBytes > 0, 'GET /api/config gives no maxUploadBytes');
    // A WAV header and a sparse tail one byte over the limit: nothing is ever read from it.
    const huge = path.join(media.dir, 'too big.wav');
    const header = Buffer.alloc(12);
    header.write('RIFF', 0); header.writeUInt32LE(0xffffffff, 4); header.write('WAVE', 8);
    await h.writeFile(huge, header);
    await truncate(huge, maxUploadBytes + 1);
    await h.withPage(async ({ page }) => {
      let posts = 0;
      page.on('request', (req) => { if (req.method() === 'POST') posts++; });
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').setInputFiles(huge);
      const row = page.locator('li.upload').filter({ hasText: 'too big.wav' });
      await waitState(row, 'refused', { timeout: 10_000 });
      const text = await row.innerText();
      assert.match(text, /too large/i, `the refused row does not say why: ${text}`);
      assert.match(text, /2(\.0)? GB/, `the refused row does not give the limit: ${text}`);
      assert.equal(posts, 0, 'a refused file reached the API');
    });
    await rm(huge, { force: true });
  });

  it('upload page at 360 px wide: no sideways scroll', { timeout: 60_000 }, async () => {
    await browserReady();
    await h.withPage({ viewport: { width: 360, height: 740 } }, async ({ page }) => {
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').waitFor({ state: 'attached' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `the upload page is ${width} px wide at 360: it scrolls sideways`);
    });
  });
});

/** An S3 error body, as storage answers a refused PUT. */
const s3XML = (code, message) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>/x</Resource><RequestId>E2E</RequestId></Error>`;

/** Every URL a page of the context asks for, with its Referer: where a token must never be. */
function recordRequests(context) {
  const seen = [];
  context.on('request', (r) => seen.push(`${r.method()} ${r.url()} referer=${r.headers().referer ?? ''}`));
  return seen;
}

describe('upload page: leaving, failures, Retry, manage link, tokens elsewhere, in Chromium', () => {
  it('asks before leaving mid-upload and not after; storage XML as a sentence; Retry; the share nudge; the manage link deletes from a fresh browser without the token reaching the server; axe', { timeout: 200_000 }, async () => {
    await browserReady();
    const f = media.tagged;
    let shared = null; // {id, url, token, manage}
    const uploadURLs = [];
    // The browser logs the refused PUT that this test makes storage answer with 400.
    const tolerate = [{ test: ({ text, url }) => /status of 400/.test(text) && new URL(url).pathname.includes('/uploads/'), why: 'the PUT this test refuses on purpose' }];
    await h.withPage({ tolerate }, async (s) => {
      const { page, context } = s;
      uploadURLs.push(...recordRequests(context));
      const requests = uploadURLs;
      const posts = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/tracks') posts.push(JSON.parse(r.postData() ?? '{}'));
      });
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').waitFor({ state: 'attached' });
      await assertAccessible(page, 'the upload page, empty');

      // The first PUT to storage is held (in flight) and then refused with S3's XML.
      let release;
      const held = new Promise((r) => { release = r; });
      let putsSeen = 0;
      const isUpload = (url) => url.pathname.includes('/uploads/');
      const refuseOnce = async (route) => {
        const req = route.request();
        if (req.method() !== 'PUT' || putsSeen > 0) return route.fallback();
        putsSeen++;
        await held;
        await route.fulfill({
          status: 400,
          headers: { 'Content-Type': 'application/xml', 'Access-Control-Allow-Origin': BASE, 'Access-Control-Expose-Headers': 'ETag' },
          body: s3XML('BadDigest', 'The Content-MD5 you specified did not match what was received.'),
        });
      };
      await page.route(isUpload, refuseOnce);

      await page.locator('input[type=file]').setInputFiles(f.path);
      const row = page.locator('li.upload').filter({ hasText: f.name });
      await h.waitFor(() => putsSeen === 1, { timeout: 30_000, what: 'the PUT to storage' });
      assert.equal(await row.getAttribute('data-state'), 'uploading');

      // Leaving now asks first (a click gives the page the user activation Chromium wants).
      await page.locator('h1').click();
      s.expectBeforeUnload = true;
      await page.close({ runBeforeUnload: true });
      await h.waitFor(() => s.beforeUnloads.length === 1, { timeout: 10_000, what: 'the beforeunload dialog mid-upload' });
      assert.equal(page.isClosed(), false, 'the page closed although leaving was refused');
      await assertAccessible(page, 'the upload page, mid-upload');

      // Refused: a sentence that says what to do, never the XML, and Retry.
      release();
      await waitState(row, 'error', { timeout: 20_000 });
      const said = (await row.locator('.status').innerText()).trim();
      assert.match(said, /^Upload failed: The file changed while it was being sent/, `the refusal as shown: ${said}`);
      const rowText = await row.innerText();
      for (const raw of ['<', 'BadDigest', 'Content-MD5', 'E2E', 'storage answered']) {
        assert.ok(!rowText.includes(raw), `the row shows ${raw}: ${rowText}`);
      }
      await page.unroute(isUpload, refuseOnce);

      await row.getByRole('button', { name: `Retry upload of ${f.name}` }).click();
      await waitState(row, 'ready');
      assert.equal(posts.length, 2, 'Retry makes a second POST /api/tracks');
      assert.equal(posts[1].md5, posts[0].md5, 'Retry sends the same file (same MD5)');

      // Ready: the nudge, the share link focused, who can listen, the manage link.
      const link = row.locator('a.share-link');
      const url = await link.getAttribute('href');
      const id = assertShareURL(url, f.name);
      assert.match(await row.locator('.status').innerText(), /Ready.*Share the link/);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), url, 'the share link is not focused once ready');
      assert.match(await row.locator('.audience').innerText(), /^Anyone with the link can listen\. It is private: .*only people you give the link to/);
      const token = (await row.locator('code.delete-token').innerText()).trim();
      const manage = await row.locator('a.manage-link').getAttribute('href');
      assert.equal(manage, `${url}#delete=${encodeURIComponent(token)}`, 'the manage link');
      await assertAccessible(page, 'the upload page, done');
      shared = { id, url, token, manage };

      // Nothing in flight: leaving asks nothing, and the page closes.
      await page.close({ runBeforeUnload: true });
      await h.waitFor(() => page.isClosed(), { timeout: 10_000, what: 'the page to close without asking' });
      assert.equal(s.beforeUnloads.length, 1, 'leaving asked again with nothing in flight');
    });

    // Another device: a fresh browser context opens the manage link.
    await h.withPage(async (s) => {
      const { page, context } = s;
      const requests = recordRequests(context);
      await openPlayer(page, shared.manage);
      await h.waitFor(async () => (await page.evaluate(() => location.hash)) === '', { timeout: 5000, what: 'the fragment to leave the address bar' });
      assert.equal(page.url(), shared.url, 'the address bar after opening the manage link');
      const kept = await page.evaluate(() => localStorage.getItem('soundtime.uploads') ?? '');
      assert.ok(kept.includes(shared.token) && kept.includes(shared.id), 'the token from the manage link is not kept in this browser');
      const section = page.locator('section.manage');
      await section.waitFor({ timeout: 10_000 });
      s.acceptDialogs = true;
      await section.getByRole('button', { name: 'Delete track' }).click();
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${shared.id}`)).status === 404, { timeout: 10_000, what: 'the track deleted through the manage link' });
      await waitState(page.locator('main.track'), 'notfound', { timeout: 10_000 });
      assert.equal(s.acceptedDialogs.length, 1, 'Delete asks for confirmation once');
      assert.ok(!(await page.evaluate(() => localStorage.getItem('soundtime.uploads') ?? '')).includes(shared.token), 'the deleted track stays in this browser');

      // The token reached no server in a URL (nor a Referer), and no log line.
      for (const r of [...uploadURLs, ...requests]) assert.ok(!r.includes(shared.token), `the token in a request: ${r}`);
      assert.ok(requests.some((r) => r.startsWith(`DELETE ${BASE}/api/tracks/${shared.id} `)), 'no DELETE request seen');
      await h.sleep(500); // the log stream's last lines
      const log = (await readFile(h.rt.logPath, 'utf8')) + h.rt.log();
      assert.ok(log.includes(`/api/tracks/${shared.id}`), 'the runner log does not show the DELETE: is it the right log?');
      assert.ok(!log.includes(shared.token), 'the delete token is in the runner log');
    });
  });

  it('export the tokens to a file, import it in a fresh browser: the tokens are back and delete; a bad file gets a clear message', { timeout: 120_000 }, async () => {
    await browserReady();
    const made = [await h.apiStart(BASE, media.untagged), await h.apiStart(BASE, media.streamOnly)];
    const entries = made.map((c, i) => ({ id: c.id, url: c.url, filename: `file ${i}.mp3`, deleteToken: c.deleteToken, createdAt: new Date(Date.UTC(2026, 11, 1, i)).toISOString() }));
    let file;
    await h.withPage(async ({ page }) => {
      await page.goto(`${BASE}/`);
      await page.evaluate((list) => localStorage.setItem('soundtime.uploads', JSON.stringify(list)), entries);
      await page.reload();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export tokens' }).click()]);
      assert.match(download.suggestedFilename(), /^soundtime-delete-tokens-\d{4}-\d\d-\d\d\.json$/);
      file = path.join(media.dir, download.suggestedFilename());
      await download.saveAs(file);
      const saved = JSON.parse(await readFile(file, 'utf8'));
      assert.equal(saved.format, 'soundtime-delete-tokens');
      assert.deepEqual(saved.uploads.map((e) => [e.id, e.deleteToken]).sort(), entries.map((e) => [e.id, e.deleteToken]).sort());
    });

    await h.withPage(async (s) => {
      const { page } = s;
      await page.goto(`${BASE}/`);
      const importButton = page.getByRole('button', { name: 'Import tokens' });
      await importButton.waitFor();
      /** Imports a file through the button's file chooser. */
      const importFile = async (p) => {
        const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5000 }), importButton.click()]);
        assert.equal(chooser.isMultiple(), false, 'the import takes several files');
        await chooser.setFiles(p);
      };
      assert.equal(await page.getByRole('heading', { name: 'Uploaded from this browser' }).count(), 0, 'a fresh browser lists uploads');
      // A file that is not an export: a clear message, nothing imported.
      await importFile(media.notAudio.path);
      const result = page.locator('.import-result');
      await h.waitFor(async () => /not a Soundtime export/.test(await result.innerText().catch(() => '')), { timeout: 5000, what: 'the refusal of a PNG' });
      assert.equal(await result.getAttribute('role'), 'alert');
      assert.equal(await page.evaluate(() => localStorage.getItem('soundtime.uploads')), null, 'a bad file stored something');

      await importFile(file);
      await h.waitFor(async () => (await result.innerText()) === 'Imported 2 tokens.', { timeout: 5000, what: '"Imported 2 tokens."' });
      const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('soundtime.uploads')));
      assert.deepEqual(stored.map((e) => [e.id, e.deleteToken, e.url]).sort(), entries.map((e) => [e.id, e.deleteToken, `${BASE}/t/${e.id}`]).sort());
      for (const e of entries) await page.locator(`.mine-item[data-id="${e.id}"]`).waitFor({ timeout: 5000 });
      await importFile(file);
      await h.waitFor(async () => (await result.innerText()) === 'Imported 0 tokens; 2 were already here.', { timeout: 5000, what: 'a second import adding nothing' });
      await assertAccessible(page, 'the upload page with imported tokens');

      // An imported token deletes.
      s.acceptDialogs = true;
      await page.locator(`.mine-item[data-id="${entries[0].id}"]`).getByRole('button', { name: /^Delete/ }).click();
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${entries[0].id}`)).status === 404, { timeout: 10_000, what: 'the track deleted with an imported token' });
    });
  });
});
