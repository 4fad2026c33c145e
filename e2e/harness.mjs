// Shared machinery of the end-to-end suite: the runner (the whole service on one machine), test
// media made with ffmpeg, one headless Debian Chromium driven by playwright-core, a cross-origin
// host page for the embed, small HTTP helpers and helpers on the player pages.
//
// Every e2e/*.test.mjs file calls setUp(name) once: node --test runs each file in a process of its
// own, so each file has its own runner (fresh data, its log in test-artifacts/e2e/runner-NAME.log)
// and its own Chromium, both stopped by the file's after hook, and runs alone as well as with the
// others (`node --test e2e/track.test.mjs`; all of them: `node --test --test-concurrency=1 e2e/`).
//
// Environment (the Makefile provides it): SOUNDTIME_BIN (else built here with go build),
// FFMPEG_PATH, VERSITYGW_BIN, DYNALITE_CLI, CHROMIUM_PATH (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, accessSync, constants as fsc } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');
export const SPA_DIR = path.join(REPO, 'spa', 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Generous: processing runs ffmpeg in the runner, on two shared cores.
export const READY_TIMEOUT = 60_000;

mkdirSync(ARTIFACTS, { recursive: true });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/** A free TCP port on 127.0.0.1 (released at once; the small race is accepted). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls fn until it returns a truthy value; throws with the last value or error at the deadline. */
export async function waitFor(fn, { timeout = 20_000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${detail})`);
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// The runner

let runner = null;

/** Kills the runner's whole process group (it was spawned detached, so it leads one). */
function killRunner(signal) {
  if (runner && runner.proc.exitCode === null && runner.proc.signalCode === null) {
    try {
      process.kill(-runner.proc.pid, signal);
    } catch {
      // already gone
    }
  }
}
// A last resort if the test process dies without running its after() hooks.
process.on('exit', () => killRunner('SIGKILL'));

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

let builtDir = null; // where runnerBinary built the runner, removed at stop

async function runnerBinary() {
  if (process.env.SOUNDTIME_BIN) {
    const bin = path.resolve(REPO, process.env.SOUNDTIME_BIN);
    if (!existsSync(bin)) throw new Error(`SOUNDTIME_BIN=${bin} does not exist`);
    return bin;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'soundtime-e2e-bin-'));
  builtDir = dir;
  const bin = path.join(dir, 'soundtime');
  try {
    await run('go', ['build', '-o', bin, './cmd/soundtime'], { cwd: REPO, maxBuffer: 1 << 24 });
  } catch (err) {
    throw new Error(`go build ./cmd/soundtime failed:\n${err.stderr || err.message}`);
  }
  return bin;
}

/** Stops the runner if one was started (also one that never answered /healthz). */
export async function stopRunner() {
  if (runner) await runner.stop();
  runner = null;
}

/**
 * Starts the runner on a free port with a fresh data directory and waits for GET /healthz; its
 * output goes to test-artifacts/e2e/runner-NAME.log. Returns {base, port, dataDir, stop(), log()}.
 */
export async function startRunner(name = 'e2e') {
  if (runner) return runner;
  const bin = await runnerBinary();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'soundtime-e2e-data-'));
  // The runner serves a snapshot of spa/dist taken now: a rebuild during the run (vite empties
  // dist first) must not pull files out from under the pages being tested.
  const spaDir = path.join(dataDir, 'spa-dist');
  if (existsSync(SPA_DIR)) await cp(SPA_DIR, spaDir, { recursive: true });
  const env = {
    ...process.env,
    SOUNDTIME_ADDR: `127.0.0.1:${port}`,
    PUBLIC_BASE_URL: base,
    SOUNDTIME_DATA_DIR: dataDir,
    SOUNDTIME_SPA_DIR: spaDir,
  };
  for (const k of ['FFMPEG_PATH', 'VERSITYGW_BIN', 'DYNALITE_CLI']) {
    if (process.env[k]) env[k] = path.resolve(REPO, process.env[k]);
  }
  const logPath = path.join(ARTIFACTS, `runner-${name}.log`);
  const logFile = createWriteStream(logPath);
  let recent = '';
  const proc = spawn(bin, [], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  for (const s of [proc.stdout, proc.stderr]) {
    s.on('data', (chunk) => {
      logFile.write(chunk);
      recent = (recent + chunk.toString()).slice(-20_000);
    });
  }
  runner = {
    base,
    port,
    dataDir,
    spaDir,
    proc,
    logPath,
    log: () => recent,
    async stop() {
      if (this.stopped) return;
      this.stopped = true;
      killRunner('SIGTERM');
      const t = setTimeout(() => killRunner('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      // Children (versitygw, dynalite, ffmpeg) die with the runner or with its group.
      killRunner('SIGKILL');
      await new Promise((r) => logFile.end(r));
      await rm(dataDir, { recursive: true, force: true });
      if (builtDir) await rm(builtDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`the runner exited (${proc.exitCode ?? proc.signalCode}) before /healthz answered; its output:\n${tail(recent)}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) {
      await runner.stop();
      throw new Error(`the runner did not answer GET /healthz with 200 within 60 s (last: ${last}); its output:\n${tail(recent)}`);
    }
    await sleep(250);
  }
  return runner;
}

// ---------------------------------------------------------------------------------------------
// A test file's setup

// The runner, its base URL and the test media of this file, set by setUp's before hook. Test files
// import them by name: ES module bindings are live, so a test reads the values the hook set.
export let rt = null;
export let BASE = '';
export let media = null;

// Setup errors are kept and thrown by every test (see up()), so that a broken setup shows as
// failed tests with the reason, not as "cancelled" ones.
let setupError = null;

/**
 * Registers the file's hooks: before its tests, the media and the runner; after them, Chromium
 * (if a test started it), the runner and the media are gone. Call once, at the top of the file.
 */
export function setUp(name) {
  before(async () => {
    try {
      // Media first: cheap, and a broken ffmpeg fails here with its own message.
      media = await makeMedia();
      rt = await startRunner(name);
      BASE = rt.base;
    } catch (err) {
      setupError = err;
    }
  });
  after(async () => {
    await closeBrowser();
    await stopRunner();
    if (media) await rm(media.dir, { recursive: true, force: true });
  });
}

/** Every test starts with this: the runner is up and the media are made, or the reason why not. */
export function up() {
  if (setupError) throw setupError;
}

/**
 * Every browser test starts here: the built SPA must be there and Chromium must start. Checked
 * in each test rather than in a hook, so that each test fails (not "cancelled") with the reason.
 */
export async function browserReady() {
  up();
  for (const f of ['index.html', 'assets/app.css', 'assets/track.js', 'assets/embed.js']) {
    assert.ok(existsSync(path.join(rt.spaDir, f)), `no ${f} in the built SPA (${SPA_DIR}, copied at start): run \`cd spa && npm ci && npm run build\``);
  }
  await browser();
}

const fixtures = new Map();

/**
 * The media file of that key uploaded through the API and processed: {id, url}. Made once per
 * file, by the first test that asks; a failure is reported by each test that asks.
 */
export function readyTrack(key) {
  up();
  if (!fixtures.has(key)) {
    fixtures.set(key, (async () => {
      const created = await apiUpload(BASE, media[key]);
      await waitReady(BASE, created.id);
      return { id: created.id, url: created.url };
    })());
  }
  return fixtures.get(key);
}

// ---------------------------------------------------------------------------------------------
// Test media, made with the static ffmpeg

export const XSS_TITLE = `<script>alert(1)</script> "Q" & 'A'`;

function ffmpegPath() {
  const p = process.env.FFMPEG_PATH
    ? path.resolve(REPO, process.env.FFMPEG_PATH)
    : path.join(REPO, 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
  try {
    accessSync(p, fsc.X_OK);
  } catch {
    throw new Error(`ffmpeg not executable at ${p}: set FFMPEG_PATH or run \`make tools\``);
  }
  return p;
}

export async function ffmpeg(args) {
  try {
    await run(ffmpegPath(), ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 1 << 24 });
  } catch (err) {
    throw new Error(`ffmpeg ${args.join(' ')} failed:\n${err.stderr || err.message}`);
  }
}

/**
 * Makes the files the tests upload, in a fresh directory:
 * - tagged: a 16 s MP3 with title, artist, album and a colourful attached JPEG cover
 * - xss: a 12 s MP3 whose title tag is XSS_TITLE
 * - untagged: a 14 s WAV with no tags at all
 * - streamOnly: a 12 s MP3 (uploaded with "Stream only")
 * - notAudio: a PNG named .mp3
 * Each entry is {path, name, bytes, sha256, duration?, title?, artist?, album?}.
 */
export async function makeMedia() {
  const dir = await mkdtemp(path.join(tmpdir(), 'soundtime-e2e-media-'));
  const cover = path.join(dir, 'cover.jpg');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x320:rate=1', '-frames:v', '1', '-q:v', '3', cover]);

  // A tone whose loudness swells, over pink-ish noise: a waveform with visible shape.
  const tone = (freq, secs) => [
    '-f', 'lavfi', '-i',
    `sine=frequency=${freq}:sample_rate=44100:duration=${secs},volume='0.25+0.2*sin(2*PI*t/4)':eval=frame`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:sample_rate=44100:duration=${secs}`,
  ];
  const mix = ['-filter_complex', '[0:a][1:a]amix=inputs=2:duration=first[a]'];

  const files = {};
  const mp3 = async (key, name, secs, freq, tags, withCover) => {
    const p = path.join(dir, name);
    const args = [...tone(freq, secs)];
    if (withCover) args.push('-i', cover);
    args.push(...mix, '-map', '[a]');
    if (withCover) args.push('-map', '2:v', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic');
    args.push('-c:a', 'libmp3lame', '-b:a', '128k', '-ac', '2', '-id3v2_version', '3');
    for (const [k, v] of Object.entries(tags)) args.push('-metadata', `${k}=${v}`);
    args.push(p);
    await ffmpeg(args);
    files[key] = { path: p, name, type: 'audio/mpeg', duration: secs, ...tags };
  };
  await mp3('tagged', 'e2e tagged tone.mp3', 16, 440, { title: 'E2E Tone', artist: 'Test Signal', album: 'Generated' }, true);
  await mp3('xss', 'markup title.mp3', 12, 523, { title: XSS_TITLE, artist: 'Escaper & Co' }, true);
  await mp3('streamOnly', 'stream only.mp3', 12, 330, { title: 'Stream Only Tone', artist: 'Test Signal' }, false);

  const wav = path.join(dir, 'untagged-tone.wav');
  await ffmpeg([...tone(660, 14), ...mix, '-map', '[a]', '-map_metadata', '-1', '-fflags', '+bitexact', '-c:a', 'pcm_s16le', '-ac', '2', wav]);
  files.untagged = { path: wav, name: 'untagged-tone.wav', type: 'audio/wav', duration: 14 };

  const png = path.join(dir, 'picture.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=1', '-frames:v', '1', png]);
  const fake = path.join(dir, 'not really audio.mp3');
  await copyFile(png, fake);
  files.notAudio = { path: fake, name: 'not really audio.mp3', type: 'audio/mpeg' };

  for (const f of Object.values(files)) {
    f.bytes = await readFile(f.path);
    f.sha256 = sha256(f.bytes);
  }
  files.dir = dir;
  return files;
}

// ---------------------------------------------------------------------------------------------
// The API, without a browser

export async function getJSON(url) {
  const res = await fetch(url);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * Starts an upload through the API as the page would: the POST. The returned object's put()
 * then PUTs the bytes to the presigned URL.
 */
export async function apiStart(base, file, { downloadable = true, public: isPublic = false } = {}) {
  const md5 = createHash('md5').update(file.bytes).digest('base64');
  const res = await fetch(`${base}/api/tracks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ filename: file.name, type: file.type, size: file.bytes.length, md5, downloadable, public: isPublic }),
  });
  const created = await res.json();
  if (res.status !== 201) throw new Error(`POST /api/tracks: ${res.status} ${JSON.stringify(created)}`);
  created.put = async () => {
    const put = await fetch(created.upload.url, { method: created.upload.method, headers: created.upload.headers, body: file.bytes });
    if (!put.ok) throw new Error(`PUT to the presigned URL: ${put.status} ${await put.text()}`);
  };
  return created;
}

/** Uploads a file through the API as the page would (POST, then the presigned PUT). */
export async function apiUpload(base, file, opts) {
  const created = await apiStart(base, file, opts);
  await created.put();
  return created;
}

/** Waits until GET /api/tracks/{id} says ready; throws on failed or at the deadline. */
export async function waitReady(base, id, timeout = READY_TIMEOUT) {
  return waitFor(
    async () => {
      const { status, body } = await getJSON(`${base}/api/tracks/${id}`);
      if (status !== 200) throw new Error(`GET /api/tracks/${id}: ${status} ${JSON.stringify(body)}`);
      if (body.status === 'failed') throw Object.assign(new Error(`track ${id} failed: ${JSON.stringify(body.error)}`), { fatal: true });
      return body.status === 'ready' && body;
    },
    { timeout, interval: 300, what: `track ${id} to be ready` },
  );
}

// ---------------------------------------------------------------------------------------------
// HTML without a browser

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** The attributes of every start tag of name in html: [{attr: decoded value}], in order. */
export function tags(html, name) {
  const out = [];
  const re = new RegExp(`<${name}\\b((?:[^>"']|"[^"]*"|'[^']*')*)>`, 'gi');
  for (const m of html.matchAll(re)) {
    const attrs = {};
    for (const a of m[1].matchAll(/([^\s"'>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      attrs[a[1].toLowerCase()] = decodeEntities(a[2] ?? a[3] ?? a[4] ?? '');
    }
    out.push(attrs);
  }
  return out;
}

/** The meta tags of html as a map from property or name to the decoded content (first wins). */
export function metaMap(html) {
  const map = {};
  for (const m of tags(html, 'meta')) {
    const key = m.property ?? m.name;
    if (key && !(key in map)) map[key] = m.content;
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// The browser

let browserPromise = null;
let chromiumModule = null;

export async function browser() {
  if (!browserPromise) {
    browserPromise = (async () => {
      try {
        accessSync(CHROMIUM, fsc.X_OK);
      } catch {
        throw new Error(`no Chromium at ${CHROMIUM} (CHROMIUM_PATH): run \`make tools\` to install it`);
      }
      chromiumModule ??= (await import('playwright-core')).chromium;
      return chromiumModule.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    })();
  }
  return browserPromise;
}

export async function closeBrowser() {
  if (!browserPromise) return;
  const b = await browserPromise.catch(() => null);
  browserPromise = null;
  if (b) await b.close();
}

/**
 * A fresh browser context and page, with everything that goes wrong collected: uncaught page
 * errors, console errors, dialogs (none may open: each one is a failure) and failed requests.
 * Call session.check() at the end of the test to fail on them; session.close() always.
 * tolerate: a list of {test(msg), why} for console errors a test expects; each is filtered
 * explicitly and never silently.
 */
// Console errors every page may log, each filtered explicitly (and reported in the output when
// it happens). None for now: the web app has its icon, so not even a favicon 404 is expected.
const TOLERATE_ALWAYS = [];

export async function session({ viewport = { width: 1280, height: 900 }, tolerate = [] } = {}) {
  tolerate = [...TOLERATE_ALWAYS, ...tolerate];
  const b = await browser();
  const context = await b.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const s = { context, page, pageErrors: [], consoleErrors: [], dialogs: [], failedRequests: [], tolerated: [] };
  // Every page of the context is watched, including those a test opens itself.
  const watch = (p) => {
    p.on('pageerror', (err) => s.pageErrors.push(`${err.name}: ${err.message}\n${err.stack ?? ''}`));
    p.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const loc = msg.location();
      const text = `${msg.text()} (at ${loc.url}:${loc.lineNumber})`;
      const rule = tolerate.find((r) => r.test({ text: msg.text(), url: loc.url }));
      if (rule) s.tolerated.push(`${text} — tolerated: ${rule.why}`);
      else s.consoleErrors.push(text);
    });
    // No dialog may open (an alert would be injected markup running), unless a test sets
    // s.acceptDialogs for a step that legitimately asks (a confirmation before deleting), or
    // s.expectBeforeUnload for a step where leaving must ask first: that dialog is counted in
    // s.beforeUnloads and dismissed (the page stays), or accepted (the page goes) when it is
    // 'leave'; the test asserts the count.
    p.on('dialog', async (d) => {
      if (s.acceptDialogs && d.type() === 'confirm') {
        s.acceptedDialogs.push(d.message());
        await d.accept().catch(() => {});
        return;
      }
      if (s.expectBeforeUnload && d.type() === 'beforeunload') {
        s.beforeUnloads.push(p.url());
        await (s.expectBeforeUnload === 'leave' ? d.accept() : d.dismiss()).catch(() => {});
        return;
      }
      s.dialogs.push(`${d.type()}: ${d.message()}`);
      await d.dismiss().catch(() => {});
    });
    p.on('requestfailed', (r) => {
      s.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
    });
  };
  s.acceptDialogs = false;
  s.acceptedDialogs = [];
  s.expectBeforeUnload = false;
  s.beforeUnloads = [];
  context.on('page', watch);
  watch(page);
  s.check = () => {
    const problems = [];
    if (s.dialogs.length) problems.push(`dialogs opened (none may):\n  ${s.dialogs.join('\n  ')}`);
    if (s.pageErrors.length) problems.push(`uncaught page errors:\n  ${s.pageErrors.join('\n  ')}`);
    if (s.consoleErrors.length) problems.push(`console errors:\n  ${s.consoleErrors.join('\n  ')}`);
    if (problems.length) {
      if (s.failedRequests.length) problems.push(`failed requests:\n  ${s.failedRequests.join('\n  ')}`);
      throw new Error(problems.join('\n'));
    }
  };
  /** Adds the page's problems to an error thrown by the test itself, for a useful message. */
  s.explain = (err) => {
    const extra = [];
    if (s.dialogs.length) extra.push(`dialogs: ${s.dialogs.join(' | ')}`);
    if (s.pageErrors.length) extra.push(`page errors: ${s.pageErrors.join(' | ')}`);
    if (s.consoleErrors.length) extra.push(`console errors: ${s.consoleErrors.join(' | ')}`);
    if (s.failedRequests.length) extra.push(`failed requests: ${s.failedRequests.join(' | ')}`);
    if (extra.length && err instanceof Error) err.message += `\n-- browser: ${extra.join('\n   ')}`;
    return err;
  };
  s.close = () => context.close().catch(() => {});
  return s;
}

/** Runs fn(session) in a fresh session; checks the browser's problems at the end; always closes. */
export async function withPage(opts, fn) {
  if (typeof opts === 'function') [opts, fn] = [{}, opts];
  const s = await session(opts);
  try {
    await fn(s);
  } catch (err) {
    throw s.explain(err);
  } finally {
    await s.close();
    for (const t of s.tolerated) console.log(`tolerated console error: ${t}`);
    for (const d of s.acceptedDialogs) console.log(`accepted confirmation: ${d}`);
  }
  s.check();
}

export function shot(page, name, opts = {}) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...opts });
}

// ---------------------------------------------------------------------------------------------
// Helpers on pages

/** Waits until el's data-state is one of the terminal states and asserts it is want. */
export async function waitState(locator, want, { timeout = READY_TIMEOUT, terminal = ['ready', 'failed', 'error', 'notfound', 'refused', 'cancelled'] } = {}) {
  const state = await waitFor(
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
export async function openPlayer(page, url, kind = 'track') {
  const res = await page.goto(url);
  assert.equal(res.status(), 200, `GET ${url}`);
  const main = page.locator(`main.${kind}`);
  await waitState(main, 'ready');
  await main.locator('button.play').waitFor({ timeout: 20_000 });
  await waitState(main, 'ready');
  return main;
}

export const audioTime = (frame) => frame.evaluate(() => {
  const a = document.querySelectorAll('audio');
  if (a.length !== 1) throw new Error(`${a.length} <audio> elements, want 1`);
  return { t: a[0].currentTime, paused: a[0].paused, duration: a[0].duration, ended: a[0].ended };
});

/** Waits until the frame's single <audio> has played past `past` seconds. */
export function waitPlaying(frame, past = 1.0, timeout = 20_000) {
  return waitFor(async () => {
    const a = await audioTime(frame);
    return a.t > past && !a.paused && a;
  }, { timeout, interval: 200, what: `audio.currentTime > ${past} while playing` });
}

/** Waits until the <audio>'s currentTime and the slider's aria-valuenow are both within [lo, hi]. */
export async function waitPosition(frame, slider, lo, hi, what) {
  return waitFor(async () => {
    const a = await audioTime(frame);
    const now = Number(await slider.getAttribute('aria-valuenow'));
    return a.t >= lo && a.t <= hi && now >= lo && now <= hi && { t: a.t, now, text: await slider.getAttribute('aria-valuetext') };
  }, { timeout: 10_000, interval: 100, what: `${what}: audio.currentTime and aria-valuenow within [${lo}, ${hi}]` });
}

export const mmss = (secs) => `${Math.floor(secs / 60)}:${String(Math.round(secs) % 60).padStart(2, '0')}`;

/** Parses an embed snippet in the page's own HTML parser: its elements, as plain data. */
export const parseSnippet = (page, html) => page.evaluate((html) => {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  return {
    elements: [...doc.body.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
    strayText: [...doc.body.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent),
    iframe: doc.querySelector('iframe') && Object.fromEntries([...doc.querySelector('iframe').attributes].map((a) => [a.name, a.value])),
  };
}, html);

/** Asserts href is this runner's share link, BASE/t/<8 characters>; returns the ID. */
export function assertShareURL(href, what) {
  const m = /^(.*)\/t\/([0-9A-Za-z]{8})$/.exec(href ?? '');
  assert.ok(m, `${what}: share link ${href} is not BASE/t/<8 characters>`);
  assert.equal(m[1], BASE, `${what}: share link on another origin`);
  return m[2];
}

// ---------------------------------------------------------------------------------------------
// A cross-origin host page for the embed

/** Serves html at / on another free port (so another origin); returns {url, close()}. */
export async function hostPage(html) {
  const port = await freePort();
  const srv = createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204); // the host page has no icon; answered so Chromium logs no 404
      res.end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return {
    // localhost, not 127.0.0.1: another site, not only another origin, as a real embedder is.
    url: `http://localhost:${port}/`,
    close: () => new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(() => resolve()); }),
  };
}

export { writeFile };
