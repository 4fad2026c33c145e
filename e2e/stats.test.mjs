// End to end in Chromium: the /stats page against the runner (the whole service on one machine)
// serving the built SPA. A track is uploaded through the API and played (its stream.m3u8), then
// the page must draw its charts (uPlot canvases, sized, with bars in the series' colours), show
// the same numbers as GET /api/stats in its text, fit 360 px, follow the colour scheme, refresh
// each minute (Playwright's clock) and keep its numbers, marked stale, when a refresh fails; the
// track page must never load the chart library. Run from the repository root, alone or with the
// other files (see harness.mjs):
//
//   node --test e2e/stats.test.mjs
//
// Screenshots and the runner's log (runner-stats.log) go to test-artifacts/e2e/.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { assertAccessible } from './axe.mjs';
import * as h from './harness.mjs';
import { BASE, browserReady, openPlayer, waitPlaying } from './harness.mjs';

h.setUp('stats');

// The counters answer from a cache of up to 60 s (docs/api.md): waiting for an upload and a play
// to show takes up to that long.
const STATS_TIMEOUT = 120_000;

/** The browser suite's checks plus the stats page's own files. */
async function statsReady() {
  await browserReady();
  for (const f of ['stats.html', 'assets/stats.js']) {
    assert.ok(existsSync(path.join(h.rt.spaDir, f)), `no ${f} in the built SPA: run \`cd spa && npm run build\``);
  }
}

/** The chart library's chunk, by the build's manifest (vite.config.ts names it uplot). */
function uplotChunk() {
  const manifest = JSON.parse(readFileSync(path.join(h.rt.spaDir, '.vite/manifest.json'), 'utf8'));
  const chunk = Object.values(manifest).find((c) => c.name === 'uplot');
  assert.ok(chunk, 'no uplot chunk in the build manifest');
  return '/' + chunk.file;
}

let played = null;

/**
 * A track uploaded through the API and played once (GET its stream.m3u8), and an /api/stats
 * answer that counts both: made once per file, by the first test that asks.
 */
function uploadedAndPlayed() {
  played ??= (async () => {
    const t = await h.readyTrack('tagged');
    const { status, body } = await h.getJSON(`${BASE}/api/tracks/${t.id}`);
    assert.equal(status, 200, `GET /api/tracks/${t.id}`);
    assert.ok(body.stream, `the ready track has no stream URL: ${JSON.stringify(body)}`);
    const res = await fetch(body.stream);
    assert.equal(res.status, 200, `GET ${body.stream}`);
    assert.match(await res.text(), /^#EXTM3U/, 'the stream is not an HLS playlist');
    const stats = await h.waitFor(async () => {
      const r = await h.getJSON(`${BASE}/api/stats`);
      if (r.status !== 200) throw new Error(`GET /api/stats: ${r.status} ${JSON.stringify(r.body)}`);
      const s = r.body;
      return s.last24h?.uploads >= 1 && s.last24h?.plays >= 1 && s.tracks?.ready >= 1 && s;
    }, { timeout: STATS_TIMEOUT, interval: 2000, what: '/api/stats to count the upload, the play and the ready track' });
    return { id: t.id, stats };
  })();
  return played;
}

const at = (obj, p) => p.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

/** Every [data-stat] of the page: {path: {text, value}}. */
const shownStats = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('[data-stat]')].map((e) => [e.dataset.stat, { text: e.textContent.trim(), value: e.dataset.value ?? null }]),
));

/**
 * What the canvas inside sel shows: its CSS and pixel size, how many pixels are drawn at all,
 * and how many are within a small distance of each colour (CSS colours, resolved by the page).
 */
const canvasPixels = (page, sel, colours) => page.evaluate(({ sel, colours }) => {
  const probe = document.createElement('span');
  document.body.append(probe);
  const rgb = (css) => {
    probe.style.color = '';
    probe.style.color = css;
    const c = getComputedStyle(probe).color;
    const m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(c) ?? /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/.exec(c);
    if (!m) throw new Error(`cannot read the colour ${css} (${c})`);
    const v = [m[1], m[2], m[3]].map(Number);
    return c.startsWith('color(') ? v.map((x) => Math.round(x * 255)) : v;
  };
  const want = colours.map(rgb);
  probe.remove();
  const canvas = document.querySelector(`${sel} canvas`);
  if (!canvas) return null;
  const box = canvas.getBoundingClientRect();
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  const near = want.map(() => 0);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    drawn++;
    if (data[i + 3] < 250) continue;
    want.forEach((w, k) => {
      if (Math.abs(data[i] - w[0]) <= 6 && Math.abs(data[i + 1] - w[1]) <= 6 && Math.abs(data[i + 2] - w[2]) <= 6) near[k]++;
    });
  }
  const container = document.querySelector(sel).getBoundingClientRect();
  return { cssWidth: box.width, cssHeight: box.height, width: canvas.width, height: canvas.height, containerWidth: container.width, drawn, near };
}, { sel, colours });

/** Counts per hour from the page's table: [{hour, uploads, plays}]. */
const hourlyTable = (page) => page.evaluate(() => [...document.querySelectorAll('#table-hourly tbody tr')].map((tr) => ({
  hour: tr.querySelector('th')?.textContent ?? '',
  uploads: Number(tr.cells[1]?.textContent.replace(/,/g, '')),
  plays: Number(tr.cells[2]?.textContent.replace(/,/g, '')),
})));

const COUNTS = ['last24h.uploads', 'last24h.plays', 'last24h.downloads', 'last24h.failed', 'tracks.pending', 'tracks.processing', 'tracks.ready', 'tracks.failed', 'followers'];
const OTHERS = ['bytesStored', 'last24h.bytesUploaded', 'last24h.processing.p50', 'last24h.processing.p99', 'last24h.processing.realtimeFactor'];

/** Opens /stats, waits for its numbers, and checks them, its charts and its layout against api. */
async function checkStatsPage(s, width, uplot) {
  const { page } = s;
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  const res = await page.goto(`${BASE}/stats`);
  assert.equal(res.status(), 200, 'GET /stats');
  assert.match(res.headers()['content-type'] ?? '', /^text\/html/, 'GET /stats Content-Type');
  assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/, '/stats may be framed');
  const main = page.locator('main.stats-page');
  await h.waitState(main, 'ready', { timeout: 20_000, terminal: ['ready', 'error', 'stale'] });
  assert.equal(await main.getAttribute('aria-busy'), 'false', 'aria-busy stays true once the numbers are in');

  // The numbers: what the API says now (nothing has moved since the page asked).
  const api = (await h.getJSON(`${BASE}/api/stats`)).body;
  const shown = await shownStats(page);
  for (const p of [...COUNTS, ...OTHERS]) {
    assert.ok(shown[p], `no [data-stat="${p}"] on the page`);
    const v = at(api, p);
    if (typeof v === 'number') {
      assert.equal(Number(shown[p].value), v, `${p}: the page holds ${shown[p].value}, /api/stats says ${v}`);
      assert.notEqual(shown[p].text, '—', `${p} shows "—" though /api/stats says ${v}`);
    } else {
      assert.equal(shown[p].text, '—', `${p}: /api/stats says ${JSON.stringify(v)}, the page shows ${shown[p].text}`);
    }
  }
  for (const p of COUNTS) {
    assert.equal(Number(shown[p].text.replace(/,/g, '')), at(api, p), `${p}: the text ${shown[p].text} is not /api/stats's ${at(api, p)}`);
  }
  assert.ok(Number(shown['last24h.uploads'].text) >= 1, 'uploads in the last 24 h < 1 after an upload');
  assert.ok(Number(shown['last24h.plays'].text) >= 1, 'plays in the last 24 h < 1 after a play');
  assert.ok(Number(shown['tracks.ready'].text) >= 1, 'no ready track after one was processed');
  assert.match(shown.bytesStored.text, /^[\d.]+ (bytes|KB|MB|GB|TB)$/, 'storage is not in human units');

  // The hourly table (for screen readers) has every hour of the API, with the same counts.
  const rows = await hourlyTable(page);
  assert.equal(rows.length, api.hourly.length, 'rows in the hourly table');
  assert.ok(rows.length > 0 && rows.length <= 48, `${rows.length} hourly rows`);
  const sum = (xs, k) => xs.reduce((n, x) => n + (x[k] ?? 0), 0);
  assert.equal(sum(rows, 'uploads'), sum(api.hourly, 'uploads'), 'uploads in the hourly table');
  assert.equal(sum(rows, 'plays'), sum(api.hourly, 'plays'), 'plays in the hourly table');
  assert.ok(sum(rows, 'uploads') >= 1 && sum(rows, 'plays') >= 1, 'the hourly table has no upload or no play');
  for (const r of rows) assert.match(r.hour, /\d/, `an hour without a time: ${r.hour}`);
  for (const sel of ['hourly', 'status', 'processing']) {
    assert.ok((await page.locator(`[data-summary="${sel}"]`).innerText()).trim(), `the ${sel} chart has no summary in text`);
  }
  // Every chart is hidden from assistive technology, which reads the text instead.
  assert.equal(await page.locator('.chart:not([aria-hidden="true"])').count(), 0, 'a chart that screen readers would read as an image without text');

  // The charts: canvases in the container's width, bars in the series' colours.
  const hourly = await canvasPixels(page, '#chart-hourly', ['var(--accent)', 'var(--muted)']);
  const status = await canvasPixels(page, '#chart-status', ['var(--accent)']);
  for (const [name, c] of [['hourly', hourly], ['status', status]]) {
    assert.ok(c, `no canvas in the ${name} chart`);
    assert.ok(c.cssWidth > 100 && c.cssHeight > 100 && c.width > 0 && c.height > 0, `${name} canvas ${JSON.stringify(c)}`);
    assert.ok(c.cssWidth <= c.containerWidth + 1, `${name} canvas (${c.cssWidth} px) is wider than its box (${c.containerWidth} px)`);
    assert.ok(c.drawn > 0, `the ${name} canvas is blank`);
  }
  assert.ok(hourly.near[0] > 0, 'no upload bar (accent) in the hourly chart');
  assert.ok(hourly.near[1] > 0, 'no play bar (muted foreground) in the hourly chart');
  assert.ok(status.near[0] > 0, 'no bar in the status chart');
  if (api.last24h.processing.p50 !== null) {
    const proc = await canvasPixels(page, '#chart-processing', ['var(--accent)']);
    assert.ok(proc && proc.drawn > 0 && proc.near[0] > 0, `processing chart ${JSON.stringify(proc)}`);
  } else {
    assert.equal(await page.locator('#chart-processing').isHidden(), true, 'a processing chart without numbers');
    assert.match(await page.locator('[data-summary="processing"]').innerText(), /No track was processed/);
  }

  // Readable at this width: nothing scrolls sideways.
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `the page is ${scroll} px wide at ${width}: it scrolls sideways`);
  // Landmarks and headings.
  assert.equal(await page.locator('main').count(), 1, 'one <main>');
  assert.equal(await page.locator('h1').count(), 1, 'one <h1>');
  assert.ok((await page.locator('h2').count()) >= 4, 'a heading per section');

  await assertAccessible(page, `the stats page at ${width} px`);

  assert.ok(requests.includes(uplot), `the stats page did not load ${uplot}: ${requests.join(', ')}`);
  assert.deepEqual(errors, [], 'answers of 400 or more');
  assert.deepEqual(s.failedRequests, [], 'failed requests');
  return { api, shown };
}

describe('stats page, in Chromium', () => {
  it('after an upload and a play: numbers as /api/stats says, charts drawn, at 360 px', { timeout: 240_000 }, async () => {
    await statsReady();
    await uploadedAndPlayed();
    const uplot = uplotChunk();
    await h.withPage({ viewport: { width: 360, height: 740 } }, async (s) => {
      await checkStatsPage(s, 360, uplot);
      await h.shot(s.page, 'stats-360', { fullPage: true });
    });
  });

  it('at desktop width, in light and dark: the charts follow the colour scheme', { timeout: 240_000 }, async () => {
    await statsReady();
    await uploadedAndPlayed();
    const uplot = uplotChunk();
    await h.withPage({ viewport: { width: 1280, height: 900 } }, async (s) => {
      await s.page.emulateMedia({ colorScheme: 'light' });
      await checkStatsPage(s, 1280, uplot);
      await h.shot(s.page, 'stats-1280-light', { fullPage: true });
      const light = await s.page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
      await s.page.emulateMedia({ colorScheme: 'dark' });
      const dark = await s.page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
      assert.notEqual(dark, light, 'the accent is the same in both schemes');
      // Drawn again in the dark accent, with none of the light one left.
      await h.waitFor(async () => {
        const c = await canvasPixels(s.page, '#chart-status', [dark, light]);
        return c && c.near[0] > 0 && c.near[1] === 0;
      }, { timeout: 10_000, what: 'the status chart in the dark accent' });
      await h.shot(s.page, 'stats-1280-dark', { fullPage: true });
      await assertAccessible(s.page, 'the stats page in the dark scheme');
    });
  });

  it('refreshes each minute; a failed refresh keeps the numbers, says they are stale, and requests never pile up', { timeout: 240_000 }, async () => {
    await statsReady();
    await uploadedAndPlayed();
    const tolerate = [{
      test: ({ text, url }) => /status of 503/.test(text) && new URL(url).pathname === '/api/stats',
      why: 'the test answers one refresh with 503',
    }];
    await h.withPage({ tolerate }, async (s) => {
      const { page } = s;
      let asked = 0;
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/stats') asked++; });
      // Routing turns the browser's HTTP cache off (/api/stats may be cached up to 60 s of real
      // time, and the page's minutes pass faster here): every refresh reaches the server.
      await page.route('**/api/stats', (route) => route.continue());
      // The page's clock runs normally while it loads, then stands still: only runFor moves it.
      await page.clock.install();
      await page.goto(`${BASE}/stats`);
      const main = page.locator('main.stats-page');
      await h.waitState(main, 'ready', { timeout: 20_000, terminal: ['ready', 'error', 'stale'] });
      // A moment ahead of the page's clock: on a loaded machine more than a few milliseconds
      // may pass between reading the time and pausing, and pausing in the past throws.
      // Nothing of the page's is due within it (the next refresh is a minute away).
      for (let tries = 0; ; tries++) {
        try {
          await page.clock.pauseAt(await page.evaluate(() => Date.now() + 2_000));
          break;
        } catch (err) {
          if (tries >= 4 || !/to the past/.test(String(err))) throw err;
        }
      }
      assert.equal(asked, 1, 'requests of /api/stats on opening the page');
      // aria-busy is false once an answer is in and the next refresh planned.
      const idle = () => h.waitFor(async () => (await main.getAttribute('aria-busy')) === 'false', { timeout: 10_000, what: 'the refresh to end' });

      // Each minute of the page's clock, one request.
      for (const want of [2, 3]) {
        await page.clock.runFor(60_000);
        await h.waitFor(() => asked >= want, { timeout: 10_000, what: `request ${want} of /api/stats, a minute later` });
        await idle();
        assert.equal(asked, want, 'requests of /api/stats after another minute');
      }

      // The next answer hangs; coming back to the page again and again adds no request.
      const before = await shownStats(page);
      const held = [];
      await page.unroute('**/api/stats');
      await page.route('**/api/stats', (route) => { held.push(route); });
      const visible = () => page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await visible();
      await h.waitFor(() => held.length === 1, { timeout: 10_000, what: 'the refresh on becoming visible' });
      for (let i = 0; i < 3; i++) await visible();
      await page.clock.runFor(5_000);
      assert.equal(held.length, 1, 'requests piled up while one was under way');
      await held[0].fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"internal","message":"internal error"}}' });

      // The page was ready before: only stale (or error) ends this wait.
      await h.waitState(main, 'stale', { timeout: 10_000, terminal: ['error', 'stale'] });
      const problem = page.locator('#stats-problem');
      assert.equal(await problem.getAttribute('aria-live'), 'polite', 'the stale notice is not a polite live region');
      assert.match(await problem.innerText(), /^Could not refresh at .+: the server answered 503: internal error\. These numbers are from .+ and may be stale\.$/);
      assert.deepEqual(await shownStats(page), before, 'the numbers changed after a failed refresh');
      assert.ok((await canvasPixels(page, '#chart-hourly', ['var(--accent)'])).near[0] > 0, 'the hourly chart went blank after a failed refresh');

      // The next good answer clears the notice.
      await page.unroute('**/api/stats');
      await page.route('**/api/stats', (route) => route.continue());
      await visible();
      await h.waitState(main, 'ready', { timeout: 10_000, terminal: ['ready', 'error'] });
      assert.equal((await problem.innerText()).trim(), '', 'the stale notice stays after a good answer');
      await h.shot(page, 'stats-recovered');
    });
  });

  it('the track page never loads the chart library, even when it plays', { timeout: 240_000 }, async () => {
    await statsReady();
    const { id } = await uploadedAndPlayed();
    const uplot = uplotChunk();
    await h.withPage(async (s) => {
      const requests = [];
      s.page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      const main = await openPlayer(s.page, `${BASE}/t/${id}`);
      await main.locator('button.play').click();
      await waitPlaying(s.page);
      assert.ok(requests.some((p) => p.startsWith('/assets/track.js')), `the track page's script was not loaded: ${requests.join(', ')}`);
      const charts = requests.filter((p) => p === uplot || /uplot|\/assets\/stats\.js/i.test(p));
      assert.deepEqual(charts, [], `the track page loaded the stats page's files (${uplot})`);
    });
  });
});
