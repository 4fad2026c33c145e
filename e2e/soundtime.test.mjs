// End to end: the runner (the whole service on one machine) with the built SPA, driven through
// Debian's Chromium by playwright-core, plus the server-rendered HTML and oEmbed fetched without
// a browser. One file, so that one runner and one Chromium serve the whole suite (node --test runs
// each file in its own process). Run from the repository root:
//
//   node --test --test-concurrency=1 e2e/
//
// Screenshots and the runner's log go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as h from './harness.mjs';

const { XSS_TITLE, READY_TIMEOUT } = h;

let rt; // the runner
let media; // the generated files
let BASE;

// What the upload test hands to the tests after it: per media key, {id, url, token}.
const uploaded = {};

function need(key) {
  const u = uploaded[key];
  assert.ok(u, `no ${key} track: the upload-page test did not produce one (see its failure above)`);
  return u;
}

// Setup errors are kept and thrown by every test (see up()), so that a broken setup shows as
// failed tests with the reason, not as "cancelled" ones.
let setupError = null;

before(async () => {
  try {
    // Media first: cheap, and a broken ffmpeg fails here with its own message.
    media = await h.makeMedia();
    rt = await h.startRunner();
    BASE = rt.base;
  } catch (err) {
    setupError = err;
  }
});

/** Every test starts with this: the runner is up and the media are made, or the reason why not. */
function up() {
  if (setupError) throw setupError;
}

after(async () => {
  await h.closeBrowser();
  await h.stopRunner();
  if (media) await rm(media.dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers on pages

/** Waits until el's data-state is one of the terminal states and asserts it is want. */
async function waitState(locator, want, { timeout = READY_TIMEOUT, terminal = ['ready', 'failed', 'error', 'notfound', 'refused', 'cancelled'] } = {}) {
  const state = await h.waitFor(
    async () => {
      // Errors (not there yet, or several matches) count as "not yet"; waitFor reports the last.
      const s = await locator.getAttribute('data-state', { timeout: 1000 });
      return (s === want || terminal.includes(s)) && s;
    },
    { timeout, interval: 250, what: `data-state=${want} on ${locator}` },
  );
  if (state !== want) {
    const text = (await locator.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 500);
    assert.fail(`${locator}: data-state=${state}, want ${want}; it shows: ${text}`);
  }
}

/**
 * Opens a track or embed page and waits until the app has taken over from the server-rendered
 * HTML (which has main.track[data-state] too, but no play button) and says ready.
 */
async function openPlayer(page, url, kind = 'track') {
  const res = await page.goto(url);
  assert.equal(res.status(), 200, `GET ${url}`);
  const main = page.locator(`main.${kind}`);
  await waitState(main, 'ready');
  await main.locator('button.play').waitFor({ timeout: 20_000 });
  await waitState(main, 'ready');
  return main;
}

const audioTime = (frame) => frame.evaluate(() => {
  const a = document.querySelectorAll('audio');
  if (a.length !== 1) throw new Error(`${a.length} <audio> elements, want 1`);
  return { t: a[0].currentTime, paused: a[0].paused, duration: a[0].duration, ended: a[0].ended };
});

/** Waits until the frame's single <audio> has played past `past` seconds. */
function waitPlaying(frame, past = 1.0, timeout = 20_000) {
  return h.waitFor(async () => {
    const a = await audioTime(frame);
    return a.t > past && !a.paused && a;
  }, { timeout, interval: 200, what: `audio.currentTime > ${past} while playing` });
}

/** Waits until the <audio>'s currentTime and the slider's aria-valuenow are both within [lo, hi]. */
async function waitPosition(frame, slider, lo, hi, what) {
  return h.waitFor(async () => {
    const a = await audioTime(frame);
    const now = Number(await slider.getAttribute('aria-valuenow'));
    return a.t >= lo && a.t <= hi && now >= lo && now <= hi && { t: a.t, now, text: await slider.getAttribute('aria-valuetext') };
  }, { timeout: 10_000, interval: 100, what: `${what}: audio.currentTime and aria-valuenow within [${lo}, ${hi}]` });
}

const mmss = (secs) => `${Math.floor(secs / 60)}:${String(Math.round(secs) % 60).padStart(2, '0')}`;

/** Parses an embed snippet in the page's own HTML parser: its elements, as plain data. */
const parseSnippet = (page, html) => page.evaluate((html) => {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  return {
    elements: [...doc.body.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
    strayText: [...doc.body.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent),
    iframe: doc.querySelector('iframe') && Object.fromEntries([...doc.querySelector('iframe').attributes].map((a) => [a.name, a.value])),
  };
}, html);

function assertShareURL(href, what) {
  const m = /^(.*)\/t\/([0-9A-Za-z]{8})$/.exec(href ?? '');
  assert.ok(m, `${what}: share link ${href} is not BASE/t/<8 characters>`);
  assert.equal(m[1], BASE, `${what}: share link on another origin`);
  return m[2];
}

// ---------------------------------------------------------------------------------------------

describe('server-rendered pages and oEmbed, without a browser', () => {
  let id;
  let html;
  let fixture = null;

  // The markup title, with a cover, uploaded through the API (these tests need no SPA); once,
  // by the first test that runs, its failure reported by each.
  async function track() {
    up();
    fixture ??= (async () => {
      const created = await h.apiUpload(BASE, media.xss);
      await h.waitReady(BASE, created.id);
      return created.id;
    })();
    id = await fixture;
  }

  it('/t/{id} carries og:*, twitter:player and the oEmbed link, values HTML-escaped', { timeout: 90_000 }, async () => {
    await track();
    const res = await fetch(`${BASE}/t/${id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    html = await res.text();

    // (a) the raw HTML has the escaped title and never the live markup
    assert.ok(!html.includes('<script>alert(1)'), 'the raw HTML contains the title unescaped: <script>alert(1)');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the raw HTML lacks the escaped title &lt;script&gt;alert(1)&lt;/script&gt;');
    assert.ok(!/content="[^"]*"Q"/.test(html), 'a double quote of the title ends an attribute early');

    const meta = h.metaMap(html);
    assert.equal(meta['og:title'], XSS_TITLE, 'og:title');
    assert.ok(meta['og:description'], 'og:description missing or empty');
    assert.ok(meta['og:description'].includes('Escaper & Co'), `og:description ${meta['og:description']} lacks the artist`);
    assert.equal(meta['og:type'], 'music.song', 'og:type');
    assert.equal(meta['twitter:card'], 'player', 'twitter:card');
    assert.equal(meta['twitter:player'], `${BASE}/embed/${id}`, 'twitter:player');
    for (const k of ['twitter:player:width', 'twitter:player:height']) {
      assert.match(meta[k] ?? '', /^[1-9][0-9]*$/, `${k} is not a positive integer`);
    }
    assert.ok(meta['og:image'], 'og:image missing (the track has a cover)');
    const img = await fetch(new URL(meta['og:image']));
    assert.equal(img.status, 200, `og:image ${meta['og:image']} answers ${img.status}`);
    assert.match(img.headers.get('content-type') ?? '', /^image\//, 'og:image is not an image');
    assert.ok((await img.arrayBuffer()).byteLength > 100, 'og:image is empty');

    const alt = h.tags(html, 'link').filter((l) => l.rel === 'alternate' && l.type === 'application/json+oembed');
    assert.equal(alt.length, 1, 'want one <link rel="alternate" type="application/json+oembed">');
    const o = new URL(alt[0].href);
    assert.equal(`${o.origin}${o.pathname}`, `${BASE}/oembed`, 'oEmbed link path');
    assert.equal(o.searchParams.get('url'), `${BASE}/t/${id}`, 'oEmbed link url parameter');
    assert.equal(o.searchParams.get('format'), 'json', 'oEmbed link format parameter');

    const title = /<title>([^<]*)<\/title>/.exec(html);
    assert.ok(title && h.decodeEntities(title[1]).includes(XSS_TITLE), `<title> does not carry the title: ${title?.[1]}`);
    // The page the SPA mounts on.
    const app = h.tags(html, 'div').find((d) => d.id === 'app');
    assert.ok(app, 'no <div id="app"> for the app to mount on');
    assert.equal(app['data-id'], id, '<div id="app" data-id> is not the track ID');
  });

  it('/embed/{id} escapes the title too', { timeout: 90_000 }, async () => {
    await track();
    const res = await fetch(`${BASE}/embed/${id}`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.ok(!body.includes('<script>alert(1)'), 'the embed HTML contains the title unescaped');
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the embed HTML lacks the escaped title');
  });

  it('GET /oembed answers oEmbed 1.0, type video, an iframe of /embed/{id}', { timeout: 90_000 }, async () => {
    await track();
    const { status, headers, body } = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=json`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(headers.get('content-type'), /^application\/json/);
    assert.equal(body.version, '1.0', 'version must be the string "1.0"');
    assert.equal(body.type, 'video');
    assert.equal(body.title, XSS_TITLE);
    assert.equal(body.author_name, 'Escaper & Co');
    assert.equal(body.provider_name, 'Soundtime');
    for (const k of ['width', 'height']) assert.ok(Number.isInteger(body[k]) && body[k] > 0, `${k} ${body[k]} is not a positive integer`);
    assert.equal(typeof body.html, 'string');
    assert.ok(!/<script/i.test(body.html), `html carries a script: ${body.html}`);
    assert.match(body.html, /^<iframe\s[^<>]*><\/iframe>$/, `html is not only an <iframe>: ${body.html}`);
    const [iframe] = h.tags(body.html, 'iframe');
    assert.equal(iframe.src, `${BASE}/embed/${id}`, 'the iframe is not BASE/embed/ID');
    assert.equal(Number(iframe.width), body.width, 'iframe width differs from width');
    assert.equal(Number(iframe.height), body.height, 'iframe height differs from height');
    if ('title' in iframe) assert.equal(iframe.title, XSS_TITLE, 'iframe title attribute');
    assert.ok(body.thumbnail_url, 'thumbnail_url missing (the track has a cover)');
    const img = await fetch(body.thumbnail_url);
    assert.equal(img.status, 200, `thumbnail_url answers ${img.status}`);
    assert.match(img.headers.get('content-type') ?? '', /^image\//);
    // The same player size as the page announces.
    const meta = h.metaMap(html ?? (await (await fetch(`${BASE}/t/${id}`)).text()));
    assert.equal(Number(meta['twitter:player:width']), body.width, 'twitter:player:width differs from oEmbed width');
    assert.equal(Number(meta['twitter:player:height']), body.height, 'twitter:player:height differs from oEmbed height');
  });

  it('oEmbed refuses what is not ours and formats other than JSON', { timeout: 90_000 }, async () => {
    await track();
    let r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/Zz9Zz9Zz`)}&format=json`);
    assert.equal(r.status, 404, 'unknown track');
    r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`https://elsewhere.example/t/${id}`)}&format=json`);
    assert.equal(r.status, 404, 'another origin');
    r = await h.getJSON(`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=xml`);
    assert.equal(r.status, 501, 'format=xml');
  });

  it('unlisted pages say noindex, only the embed may be framed, robots.txt keeps crawlers out of /api/', { timeout: 90_000 }, async () => {
    await track();
    const page = await fetch(`${BASE}/t/${id}`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('x-robots-tag'), 'noindex', 'X-Robots-Tag of an unlisted track page');
    assert.equal(h.metaMap(await page.text()).robots, 'noindex', '<meta name="robots"> of an unlisted track page');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, 'the track page may be framed');
    assert.equal(page.headers.get('x-frame-options'), 'DENY', 'X-Frame-Options of the track page');

    const embed = await fetch(`${BASE}/embed/${id}`);
    assert.equal(embed.status, 200);
    assert.equal(embed.headers.get('x-robots-tag'), 'noindex', 'X-Robots-Tag of the embed');
    assert.equal(h.metaMap(await embed.text()).robots, 'noindex', '<meta name="robots"> of the embed');
    assert.doesNotMatch(embed.headers.get('content-security-policy') ?? '', /frame-ancestors/, 'the embed sends frame-ancestors');
    assert.equal(embed.headers.get('x-frame-options'), null, 'the embed sends X-Frame-Options');

    for (const u of [`${BASE}/oembed?url=${encodeURIComponent(`${BASE}/t/${id}`)}&format=json`, `${BASE}/api/tracks/${id}`, `${BASE}/api/tracks/Zz9Zz9Zz`]) {
      const res = await fetch(u);
      assert.equal(res.headers.get('x-robots-tag'), 'noindex', `X-Robots-Tag of ${u} (${res.status})`);
    }

    const robots = await fetch(`${BASE}/robots.txt`);
    assert.equal(robots.status, 200, 'GET /robots.txt');
    assert.match(robots.headers.get('content-type') ?? '', /^text\/plain/, 'robots.txt Content-Type');
    assert.match(await robots.text(), /^User-agent: \*\r?\nDisallow: \/api\/$/m, 'robots.txt does not disallow /api/ for every agent');
  });

  it('an unknown ID is a 404 HTML page saying "Track not found"', { timeout: 90_000 }, async () => {
    up();
    for (const p of ['/t/Zz9Zz9Zz', '/embed/Zz9Zz9Zz']) {
      const res = await fetch(`${BASE}${p}`);
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type'), /^text\/html/, p);
      const body = await res.text();
      assert.match(body, /Track not found/, `${p} does not say "Track not found"`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * Every browser test starts here: the built SPA must be there and Chromium must start. Checked
 * in each test rather than in a hook, so that each test fails (not "cancelled") with the reason.
 */
async function browserReady() {
  up();
  for (const f of ['index.html', 'assets/app.css', 'assets/track.js', 'assets/embed.js']) {
    assert.ok(existsSync(path.join(rt.spaDir, f)), `no ${f} in the built SPA (${h.SPA_DIR}, copied at start): run \`cd spa && npm ci && npm run build\``);
  }
  await h.browser();
}

describe('in Chromium', () => {
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
      const pub = page.getByLabel('Public (announce to the fediverse)');
      assert.equal(await streamOnly.isChecked(), false, '"Stream only" is checked by default');
      assert.equal(await pub.isChecked(), false, '"Public" is checked by default');

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

  it('a 500 MB file is hashed in a worker while the page stays responsive; its MD5 is right; Cancel mid-upload leaves nothing', { timeout: 240_000 }, async () => {
    await browserReady();
    // A WAV header and 500 MB of silence: a sparse file, so making it costs nothing.
    const big = path.join(media.dir, 'half a gigabyte.wav');
    const size = 500 * 1024 * 1024;
    const header = Buffer.alloc(44);
    header.write('RIFF', 0); header.writeUInt32LE(size - 8, 4); header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(2, 22);
    header.writeUInt32LE(44100, 24); header.writeUInt32LE(44100 * 4, 28); header.writeUInt16LE(4, 32);
    header.writeUInt16LE(16, 34); header.write('data', 36); header.writeUInt32LE(size - 44, 40);
    await h.writeFile(big, header);
    await truncate(big, size);
    // Node's own MD5 of the file: the expected value, and a baseline for the hashing speed the
    // suite reports (a ratio measured in one run; never asserted).
    const n0 = Date.now();
    const want = createHash('md5');
    for await (const chunk of createReadStream(big)) want.update(chunk);
    const wantMD5 = want.digest('base64');
    const nodeSecs = (Date.now() - n0) / 1000;

    await h.withPage(async ({ page, context }) => {
      const started = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/api/tracks') started.push(JSON.parse(req.postData() ?? '{}'));
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
      const row = page.locator('li.upload').filter({ hasText: 'half a gigabyte.wav' });
      await h.waitFor(async () => (await row.getAttribute('data-state', { timeout: 1000 }).catch(() => null)) === 'hashing', { what: 'the row to start hashing' });

      // While the worker hashes, the page answers: its progress text changes under our eyes, and
      // a checkbox clicked now is checked now. No timing threshold: a frozen page fails both.
      const seen = new Set();
      const pub = page.getByLabel('Public (announce to the fediverse)');
      let clicked = false;
      const t0 = Date.now();
      await h.waitFor(async () => {
        const state = await row.getAttribute('data-state');
        if (state !== 'hashing') return state;
        seen.add((await row.locator('.status').innerText()).trim());
        if (!clicked && seen.size >= 2) {
          await pub.click();
          assert.equal(await pub.isChecked(), true, 'a click during hashing did not take');
          await pub.click();
          clicked = true;
        }
        return false;
      }, { timeout: 180_000, interval: 100, what: 'hashing to finish' });
      const secs = (Date.now() - t0) / 1000;
      console.log(`hashed 500 MB in the page's worker in ${secs.toFixed(1)} s (${(500 / secs).toFixed(0)} MB/s; node's native MD5: ${nodeSecs.toFixed(1)} s, ratio ${(secs / nodeSecs).toFixed(1)}), ${seen.size} progress updates seen`);
      assert.ok(seen.size >= 3, `saw ${seen.size} progress values while hashing (${[...seen].join(', ')}): the page did not update`);
      assert.ok(clicked, 'never got to click during hashing');

      // The MD5 the page computed is the file's.
      await h.waitFor(() => started.length === 1, { timeout: 20_000, what: 'POST /api/tracks' });
      assert.equal(started[0].md5, wantMD5, 'the page sent another MD5 than the file has');
      assert.equal(started[0].size, size);
      await waitState(row, 'uploading', { timeout: 30_000, terminal: ['ready', 'failed', 'error', 'cancelled', 'processing'] });
      const id = await h.waitFor(() => createdIDs[0], { timeout: 10_000, what: 'the POST /api/tracks response' });

      // Cancel: the upload stops and the pending track is deleted; nothing remains of it.
      await row.getByRole('button', { name: 'Cancel upload of half a gigabyte.wav' }).click();
      await waitState(row, 'cancelled', { timeout: 20_000 });
      await h.waitFor(async () => (await fetch(`${BASE}/api/tracks/${id}`)).status === 404, { timeout: 10_000, what: `GET /api/tracks/${id} to answer 404 after Cancel` });
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

  it('a track opened while processing turns into the player by itself', { timeout: 120_000 }, async () => {
    await browserReady();
    await h.withPage(async ({ page }) => {
      // The page opens before the bytes are even uploaded: the track is pending.
      const started = await h.apiStart(BASE, media.untagged);
      let navigations = 0;
      page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
      await page.goto(`${BASE}/t/${started.id}`);
      const main = page.locator('main.track');
      await h.waitFor(async () => ['pending', 'processing', 'loading'].includes(await main.getAttribute('data-state')) &&
        /processing/i.test(await main.innerText()), { timeout: 10_000, what: 'the page to say it is processing' });
      assert.equal(await main.locator('button.play').count(), 0, 'a player before the track is ready');
      assert.equal(await main.locator('a.download').count(), 0, 'a download link while pending');
      const before = navigations;
      await started.put();
      // Until it is ready (processing has not yet shown the file to be audio), nothing offers
      // the file for download.
      const offered = new Set(); // the states in which a download link showed
      await h.waitFor(async () => {
        const [state, downloads] = await Promise.all([main.getAttribute('data-state'), main.locator('a.download').count()]);
        if (state !== 'ready' && downloads > 0) offered.add(state);
        return state === 'ready' || state === 'failed';
      }, { timeout: READY_TIMEOUT, interval: 100, what: 'the track to be ready' });
      assert.deepEqual([...offered], [], 'a download link before the track is ready');
      await waitState(main, 'ready');
      await main.locator('button.play').waitFor({ timeout: 20_000 });
      assert.equal(navigations, before, 'the page reloaded to become the player');
      await main.locator('button.play').click();
      await waitPlaying(page);
    });
  });

  it('track page: ready, plays, seeks with the keyboard, a click and a drag', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = need('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.equal((await main.locator('h1.title').innerText()).trim(), f.title, 'h1.title');
      assert.match(await main.locator('.artist').innerText(), /Test Signal/, '.artist');
      const cover = main.locator('img.cover');
      await cover.waitFor();
      await h.waitFor(() => cover.evaluate((img) => img.complete && img.naturalWidth > 0), { timeout: 10_000, what: 'the cover image to load' });
      assert.match(await main.locator('.expires').innerText(), /Expires in 1[34] days/, '.expires');
      assert.ok(await main.locator('dl.details').count(), 'no dl.details');
      assert.ok((await page.title()).includes(f.title), `document title ${await page.title()}`);

      const play = main.locator('button.play');
      const slider = main.locator('div.waveform[role=slider][tabindex="0"]');
      await slider.waitFor();
      assert.equal(await play.getAttribute('aria-label'), 'Play');
      assert.equal(await slider.getAttribute('aria-valuetext'), `0:00 of ${mmss(f.duration)}`, 'slider aria-valuetext before playing');
      assert.equal(Math.round(Number(await slider.getAttribute('aria-valuemax'))), f.duration, 'slider aria-valuemax');
      await h.shot(page, 'track-ready', { fullPage: true });

      // A real click starts playback; currentTime advances.
      await play.click();
      await waitPlaying(page, 1.0);
      assert.equal(await play.getAttribute('aria-label'), 'Pause');
      await h.shot(page, 'track-playing', { fullPage: true });

      // Pause, then seek with the keyboard on the focused slider.
      await play.click();
      await h.waitFor(async () => (await audioTime(page)).paused, { timeout: 5000, what: 'the audio to pause' });
      assert.equal(await play.getAttribute('aria-label'), 'Play');
      await slider.focus();
      await page.keyboard.press('Home');
      await waitPosition(page, slider, 0, 0.5, 'Home');
      await page.keyboard.press('ArrowRight');
      const at5 = await waitPosition(page, slider, 4.5, 5.5, 'ArrowRight from 0');
      assert.equal(at5.text, `0:05 of ${mmss(f.duration)}`, 'aria-valuetext after ArrowRight');
      assert.match(await main.locator('.time').innerText(), new RegExp(`^0:05\\s*/\\s*${mmss(f.duration)}$`), '.time after ArrowRight');
      await page.keyboard.press('ArrowRight');
      await waitPosition(page, slider, 9.5, 10.5, 'ArrowRight from 5');
      await page.keyboard.press('ArrowLeft');
      await waitPosition(page, slider, 4.5, 5.5, 'ArrowLeft from 10');
      await page.keyboard.press('End');
      await waitPosition(page, slider, f.duration - 1, f.duration + 0.5, 'End');
      await page.keyboard.press('Home');
      await waitPosition(page, slider, 0, 0.5, 'Home after End');

      // Playing again after the seeks starts from the start.
      await play.click();
      const again = await waitPlaying(page, 1.0);
      assert.ok(again.t < 8, `after Home and Play, currentTime ${again.t}`);
      // The keyboard seeks while playing too.
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      await h.waitFor(async () => (await audioTime(page)).t >= again.t + 4, { timeout: 5000, what: 'ArrowRight while playing to jump ≈5 s ahead' });

      // A click on the waveform seeks to where it lands, and a drag follows the pointer.
      await play.click();
      await h.waitFor(async () => (await audioTime(page)).paused, { timeout: 5000, what: 'the audio to pause' });
      const box = await slider.boundingBox();
      const y = box.y + box.height / 2;
      await page.mouse.click(box.x + box.width * 0.75, y);
      await waitPosition(page, slider, f.duration * 0.75 - 1, f.duration * 0.75 + 1, 'a click at 75 % of the waveform');
      await page.mouse.move(box.x + box.width * 0.2, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.35, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
      await page.mouse.up();
      await waitPosition(page, slider, f.duration * 0.5 - 1, f.duration * 0.5 + 1, 'a drag to 50 % of the waveform');
    });
  });

  it('a segment refused with 403 (its signed URL expired) makes the player fetch a fresh playlist and play on', { timeout: 90_000 }, async () => {
    await browserReady();
    const t = need('tagged');
    const tolerate = [{
      test: ({ text, url }) => /status of 403/.test(text) && /\/seg00001\.ts/.test(url),
      why: 'the test answers 403 once for the second segment, as S3 does for an expired signature',
    }];
    await h.withPage({ tolerate }, async ({ page }) => {
      let refused = 0;
      let playlists = 0;
      page.on('request', (req) => { if (new URL(req.url()).pathname.endsWith('/stream.m3u8')) playlists++; });
      await page.route((url) => url.pathname.endsWith('/seg00001.ts'), async (route) => {
        if (refused === 0) {
          refused++;
          await route.fulfill({ status: 403, contentType: 'application/xml', body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
          return;
        }
        await route.continue();
      });
      const main = await openPlayer(page, t.url);
      const slider = main.locator('div.waveform[role=slider]');
      await slider.focus();
      await page.keyboard.press('ArrowRight'); // 0:05, so the second segment (from 0:10) comes soon
      await waitPosition(page, slider, 4.5, 5.5, 'ArrowRight from 0');
      await main.locator('button.play').click();
      // Playback crosses into the refused segment and goes on.
      await waitPlaying(page, 11.5, 30_000);
      assert.equal(refused, 1, 'the second segment was never requested');
      assert.ok(playlists >= 2, `the playlist was fetched ${playlists} time(s): no reload after the 403`);
      assert.equal((await main.getAttribute('data-state')), 'ready');
    });
  });

  it('Download gives the uploaded bytes', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = need('tagged');
    const f = media.tagged;
    await h.withPage(async ({ page }) => {
      await openPlayer(page, t.url);
      const link = page.locator('a.download');
      const href = new URL(await link.getAttribute('href'), BASE);
      assert.equal(href.href, `${BASE}/api/tracks/${t.id}/download?redirect=1`, 'a.download href');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), link.click()]);
      assert.equal(await download.failure(), null, 'the download failed');
      assert.equal(download.suggestedFilename(), f.name, 'the download is not named as the upload');
      const saved = path.join(h.ARTIFACTS, 'downloaded.mp3');
      await download.saveAs(saved);
      const bytes = await readFile(saved);
      assert.equal(bytes.length, f.bytes.length, 'downloaded size');
      assert.equal(h.sha256(bytes), f.sha256, 'downloaded bytes differ from the uploaded file');
    });
  });

  it('untagged track: the file name as title, a placeholder cover', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = need('untagged');
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.match((await main.locator('h1.title').innerText()).trim(), /^untagged-tone(\.wav)?$/, 'h1.title of an untagged file');
      assert.equal(await main.locator('img.cover').count(), 0, 'an untagged file has no cover image');
      assert.equal(await main.locator('.cover.placeholder').count(), 1, 'no .cover.placeholder');
      assert.equal(await main.locator('a.download').count(), 1, 'no download link');
    });
  });

  it('markup in the title shows literally on the track and embed pages; no dialog fires', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = need('xss');
    await h.withPage(async ({ page }) => {
      const main = await openPlayer(page, t.url);
      assert.equal(await main.locator('h1.title').innerText(), XSS_TITLE, 'h1.title on the track page');
      assert.ok((await page.title()).includes(XSS_TITLE), `document title ${await page.title()}`);
      const injected = await page.evaluate(() => [...document.scripts].filter((s) => s.textContent.includes('alert(1)')).length);
      assert.equal(injected, 0, 'a script element carries the title');

      const embed = await openPlayer(page, `${BASE}/embed/${t.id}`, 'embed');
      const title = embed.locator(`a[href="${BASE}/t/${t.id}"] .title`);
      assert.equal(await title.innerText(), XSS_TITLE, 'the title on the embed page (a .title inside the link to BASE/t/ID)');
      // Play it, so that anything rendered late (playing state, time) had its chance to misbehave.
      await embed.locator('button.play').click();
      await waitPlaying(page, 0.5);
    });
    // withPage fails the test here on any dialog (alert(1) would be one).
  });

  it('360 px wide: no sideways scroll, 44 px touch targets; reduced motion stops every transition', { timeout: 60_000 }, async () => {
    await browserReady();
    const t = need('tagged');
    await h.withPage({ viewport: { width: 360, height: 740 } }, async ({ page }) => {
      await openPlayer(page, t.url);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(overflow <= 360, `the page is ${overflow} px wide at 360: it scrolls sideways`);
      const box = await page.locator('button.play').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the play button is outside the viewport: ${JSON.stringify(box)}`);
      // Touch targets: every visible control is at least 44 × 44 px.
      const small = await page.evaluate(() => [...document.querySelectorAll('button, a.download, [role=slider], .button')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => ({ what: e.className || e.tagName, r: e.getBoundingClientRect() }))
        .filter(({ r }) => r.width < 44 || r.height < 44)
        .map(({ what, r }) => `${what} ${Math.round(r.width)}×${Math.round(r.height)}`));
      assert.deepEqual(small, [], 'controls under 44 × 44 px');
      await h.shot(page, 'track-360', { fullPage: true });

      // Reduced motion: nothing transitions or animates.
      await page.emulateMedia({ reducedMotion: 'reduce' });
      const moving = await page.evaluate(() => [...document.querySelectorAll('*')]
        .map((e) => getComputedStyle(e))
        .filter((st) => st.transitionDuration.split(',').some((d) => parseFloat(d) > 0) || (st.animationName !== 'none' && st.animationName !== ''))
        .length);
      assert.equal(moving, 0, `${moving} elements still transition or animate with prefers-reduced-motion: reduce`);
    });
    // The upload page fits at 360 px too.
    await h.withPage({ viewport: { width: 360, height: 740 } }, async ({ page }) => {
      await page.goto(`${BASE}/`);
      await page.locator('input[type=file]').waitFor({ state: 'attached' });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `the upload page is ${width} px wide at 360: it scrolls sideways`);
    });
  });

  it('embed: plays inside a cross-site iframe, strip and 16:9 card; the title links to the track page', { timeout: 120_000 }, async () => {
    await browserReady();
    const t = need('tagged');
    const host = await h.hostPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog that embeds Soundtime</title>
<style>body{font-family:sans-serif;margin:16px;max-width:720px}iframe{border:0;display:block;margin:12px 0}</style></head>
<body><h1>My post</h1><p>Listen:</p>
<iframe id="strip" src="${BASE}/embed/${t.id}" width="100%" height="166" title="Soundtime player" allow="autoplay"></iframe>
<p>And as a card:</p>
<iframe id="card" src="${BASE}/embed/${t.id}" width="640" height="360" title="Soundtime player, card" allow="autoplay"></iframe>
</body></html>`);
    try {
      await h.withPage({ viewport: { width: 800, height: 900 } }, async ({ page }) => {
        await page.goto(host.url);
        for (const sel of ['#strip', '#card']) {
          const frame = await (await page.$(sel)).contentFrame();
          assert.ok(frame, `${sel} has no frame`);
          assert.equal(frame.url(), `${BASE}/embed/${t.id}`);
          const embed = frame.locator('main.embed');
          await waitState(embed, 'ready');
          const title = embed.locator(`a[href="${BASE}/t/${t.id}"] .title`);
          assert.equal(await title.count(), 1, `${sel}: no .title inside a link to BASE/t/ID`);
          assert.equal(await title.innerText(), media.tagged.title, `${sel}: the title`);
          await embed.locator('button.play').waitFor();
          await embed.locator('div.waveform[role=slider]').waitFor();
        }
        await h.shot(page, 'embed-host', { fullPage: true });

        // Real clicks inside the frames (page.frameLocator); each frame's audio advances.
        for (const sel of ['#strip', '#card']) {
          const frame = await (await page.$(sel)).contentFrame();
          await page.frameLocator(sel).locator('main.embed button.play').click();
          await waitPlaying(frame, 1.0);
          await h.shot(page.locator(sel), `embed-${sel.slice(1)}`);
          await page.frameLocator(sel).locator('main.embed button.play').click(); // pause
          await h.waitFor(async () => (await audioTime(frame)).paused, { timeout: 5000, what: `${sel} to pause` });
        }
      });
    } finally {
      await host.close();
    }
  });

  it('embed: plays inside a sandboxed srcdoc frame on another site (a link card), its origin opaque', { timeout: 120_000 }, async () => {
    await browserReady();
    // A track of its own, through the API, so that this test also runs alone.
    const created = await h.apiUpload(BASE, media.tagged);
    await h.waitReady(BASE, created.id);
    const embedURL = `${BASE}/embed/${created.id}`;
    // How link-card renderers wrap third-party players: a sandboxed srcdoc frame without
    // allow-same-origin, so that it and every frame inside it (sandbox flags are inherited) run in
    // an opaque origin. frame-ancestors * does not match such an ancestor; the embed's fetches are
    // cross-origin with Origin: null, and localStorage throws there.
    const inner = `<!doctype html><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style>` +
      `<iframe src="${embedURL}" width="480" height="166" title="Soundtime player" allow="autoplay"></iframe>`;
    const host = await h.hostPage(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A link card</title>
<style>body{font-family:sans-serif;margin:16px}iframe{border:0;display:block}</style></head>
<body><p>A post with a link card:</p>
<iframe id="card" sandbox="allow-scripts allow-popups" width="500" height="180" title="Link card"
 srcdoc="${inner.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>
</body></html>`);
    try {
      await h.withPage({ viewport: { width: 800, height: 600 } }, async ({ page }) => {
        const framed = []; // every response for the embed document, with its framing headers
        page.on('response', (res) => {
          if (res.url() === embedURL) framed.push(res.headers());
        });
        await page.goto(host.url);
        const frame = await h.waitFor(() => page.frames().find((f) => f.url() === embedURL), { what: 'the embed frame inside the srcdoc frame' });
        assert.equal(frame.parentFrame()?.url(), 'about:srcdoc', 'the embed is not inside the srcdoc frame');
        assert.equal(await frame.evaluate(() => self.origin), 'null', 'the embed does not run in an opaque origin: the test proves nothing');
        for (const hd of framed) {
          assert.ok(!/frame-ancestors/i.test(hd['content-security-policy'] ?? ''), `the embed sends frame-ancestors: ${hd['content-security-policy']}`);
          assert.equal(hd['x-frame-options'], undefined, 'the embed sends X-Frame-Options');
        }
        const embed = frame.locator('main.embed');
        await waitState(embed, 'ready');
        await embed.locator('button.play').waitFor({ timeout: 20_000 });
        await embed.locator('div.waveform[role=slider]').waitFor();
        await h.shot(page, 'embed-sandboxed');
        // A real click, through both frames; the audio advances.
        await page.frameLocator('#card').frameLocator('iframe').locator('main.embed button.play').click();
        await waitPlaying(frame, 1.0);
      });
    } finally {
      await host.close();
    }
  });

  it('unknown ID: the not-found page', { timeout: 30_000 }, async () => {
    await browserReady();
    const tolerate = [{
      // The document itself is the 404 this test asks for; Chromium logs every 4xx resource.
      test: ({ text, url }) => /status of 404/.test(text) && /\/t\/Zz9Zz9Zz$/.test(url),
      why: 'the page under test answers 404 on purpose',
    }];
    await h.withPage({ tolerate }, async ({ page }) => {
      const res = await page.goto(`${BASE}/t/Zz9Zz9Zz`);
      assert.equal(res.status(), 404);
      await page.getByText('Track not found').first().waitFor({ timeout: 10_000 });
      await h.shot(page, 'not-found', { fullPage: true });
    });
  });
});
