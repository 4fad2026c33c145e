// Benchmarks of uploading from the browser, each a ratio against a baseline measured in the same
// run (see docs/benchmarks.md). Run by `make bench-upload` (several minutes, about 4 GB written to
// a temporary directory and removed):
//
//   SOUNDTIME_BIN=… CHROMIUM_PATH=… VERSITYGW_BIN=… DYNALITE_CLI=… FAUXQS_SERVER_JS=… FFMPEG_PATH=… \
//     node e2e/bench/upload.mjs [--size-mb 1024] [--small-mb 128] [--runs 2] [--md5-mb 512] [--md5-rounds 4]
//
// 1. MD5 in Chromium: the web app's hash-wasm MD5 against spark-md5 (what it replaced), over the
//    same file in the same slices, in a Web Worker, under the app's Content-Security-Policy.
// 2. A file of --size-mb random bytes uploaded through the upload page of the runner, in parts:
//    the time from choosing the file to the last part stored, against `curl` PUTting the same
//    bytes to a presigned URL of the same storage (the v1 route gives one PUT whatever the size),
//    alternated run by run; and the page's renderer process's peak memory (VmHWM), against the
//    same upload of a --small-mb file: flat memory reads as a ratio near 1. The page's completion
//    is refused (routed to an abort) and the track deleted, so no processing runs between the
//    measurements; random bytes make the curl upload fail processing at once, for the same reason.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { CHROMIUM, REPO, freePort, sleep, startRunner, stopRunner, waitFor } from '../harness.mjs';

const run = promisify(execFile);
const { values: opt } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    'small-mb': { type: 'string', default: '128' },
    runs: { type: 'string', default: '2' },
    'md5-mb': { type: 'string', default: '512' },
    'md5-rounds': { type: 'string', default: '4' },
  },
});
const MB = 1024 * 1024;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, d = 2) => n.toFixed(d);

/** A file of random bytes (incompressible, and not audio), written in 16 MiB blocks. */
async function randomFile(file, bytes) {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 16 * MB) {
    if (!out.write(randomBytes(Math.min(16 * MB, left)))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

async function md5Of(file) {
  const h = createHash('md5');
  for await (const c of createReadStream(file)) h.update(c);
  return h.digest('base64');
}

let chromium;
async function launch() {
  chromium ??= (await import('playwright-core')).chromium;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// ---------------------------------------------------------------------------------------------
// Processes: the renderers of the Chromium this script started (its children's children).

function status(pid) {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
const field = (st, name) => Number((new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(st) ?? [])[1] ?? 0) * 1024;
const ppid = (st) => Number((/^PPid:\s+(\d+)/m.exec(st) ?? [])[1] ?? 0);

function renderers() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--type=renderer')) continue;
    // Ours: process.pid is an ancestor within a few generations (browser → zygote → renderer).
    let p = Number(d);
    for (let i = 0; i < 6 && p > 1; i++) {
      p = ppid(status(p));
      if (p === process.pid) {
        out.push(Number(d));
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. MD5 throughput in Chromium

async function md5Bench(dir) {
  const requireSpa = createRequire(path.join(REPO, 'spa', 'package.json'));
  const esbuild = requireSpa('esbuild');
  const out = path.join(dir, 'md5-bench.js');
  await esbuild.build({
    entryPoints: [path.join(REPO, 'e2e', 'bench', 'md5-page.ts')],
    bundle: true,
    format: 'esm',
    minify: true,
    outfile: out,
    nodePaths: [path.join(REPO, 'spa', 'node_modules')],
    logLevel: 'warning',
  });
  const js = readFileSync(out);
  // The app's script-src, as pkg/httpapi/csp.go writes it.
  const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:";
  const port = await freePort();
  const srv = createServer((req, res) => {
    const headers = { 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' };
    if (req.url === '/bench.js') res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(js);
    else res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end('<!doctype html><input type=file><script type=module src=/bench.js></script>');
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  const file = path.join(dir, 'md5-input.bin');
  const bytes = Number(opt['md5-mb']) * MB;
  await randomFile(file, bytes);
  const want = await md5Of(file);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('input').setInputFiles(file);
    await page.waitForFunction(() => 'runBench' in window);
    const results = await page.evaluate((rounds) => window.runBench(rounds), Number(opt['md5-rounds']));
    if (errors.length) throw new Error(`the bench page logged errors: ${errors.join(' | ')}`);
    for (const r of results) if (r.md5 !== want) throw new Error(`${r.lib} gave ${r.md5}, want ${want}`);
    // The first round of each warms up (page cache, WebAssembly compile): left out.
    const speeds = (lib) => results.filter((r) => r.lib === lib).slice(1).map((r) => bytes / MB / r.seconds);
    const wasm = speeds('hash-wasm');
    const spark = speeds('spark-md5');
    return { mb: bytes / MB, wasm, spark };
  } finally {
    await browser.close();
    srv.close();
    await rm(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Upload: the page against curl

async function curlPut(base, file, size, md5) {
  const q = new URLSearchParams({ filename: path.basename(file), type: 'audio/wav', size: String(size), md5 });
  const res = await fetch(`${base}/api/getuploadurl?${q}`);
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET /api/getuploadurl: ${res.status} ${JSON.stringify(body)}`);
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-X', 'PUT', '-T', file,
    '-H', `Content-MD5: ${md5}`, '-H', 'Content-Type: audio/wav', '-H', 'Expect:', body.url]);
  const [code, secs] = stdout.trim().split(' ');
  if (code !== '200') throw new Error(`curl PUT answered ${code}`);
  return Number(secs);
}

/** Uploads file through the upload page; returns seconds to the last part stored and peak memory. */
async function pageUpload(base, file) {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    let created = null;
    let partCount = 0;
    let storedAt = 0;
    const stored = new Set();
    page.on('response', async (res) => {
      const req = res.request();
      const n = new URL(res.url()).searchParams.get('partNumber');
      if (req.method() === 'PUT' && n !== null && res.status() === 200) {
        stored.add(Number(n));
        storedAt = performance.now();
      }
      if (new URL(res.url()).pathname === '/api/tracks' && req.method() === 'POST' && res.status() === 201) created = await res.json();
    });
    // The completion is refused: no processing competes with the next measurement.
    await page.route('**/api/tracks/*/complete', (route) => route.abort());
    await page.goto(`${base}/`);
    await page.locator('input[type=file]').waitFor({ state: 'attached' });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    let heap = 0;
    let rss = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = await cdp.send('Performance.getMetrics').catch(() => null);
        const used = m?.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0;
        heap = Math.max(heap, used);
        for (const pid of renderers()) rss = Math.max(rss, field(status(pid), 'VmRSS'));
        await sleep(100);
      }
    })();
    const t0 = performance.now();
    await page.locator('input[type=file]').setInputFiles(file);
    await waitFor(() => created, { timeout: 60_000, what: 'POST /api/tracks' });
    if (created.upload.method !== 'MULTIPART') throw new Error(`the page got a ${created.upload.method} plan`);
    partCount = created.upload.partCount;
    await waitFor(() => stored.size === partCount, { timeout: 600_000, interval: 50, what: `${partCount} parts stored` });
    const seconds = (storedAt - t0) / 1000;
    sampling = false;
    await sampler;
    // The kernel's own peak of each of our renderers (the page's, and any other of this browser).
    const hwm = Math.max(...renderers().map((pid) => field(status(pid), 'VmHWM')));
    await fetch(`${base}/api/tracks/${created.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${created.deleteToken}` } });
    return { seconds, partCount, partSize: created.upload.partSize, heap, rss, hwm };
  } finally {
    await browser.close();
  }
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'soundtime-bench-upload-'));
  try {
    console.log(`MD5 in Chromium: ${opt['md5-mb']} MB of random bytes, ${opt['md5-rounds']} rounds each, alternated, the first left out`);
    const m = await md5Bench(dir);
    const wasm = median(m.wasm);
    const spark = median(m.spark);
    console.log(`  hash-wasm (the app's md5Base64): ${m.wasm.map((x) => fmt(x, 0)).join(', ')} MB/s, median ${fmt(wasm, 0)} MB/s`);
    console.log(`  spark-md5:                       ${m.spark.map((x) => fmt(x, 0)).join(', ')} MB/s, median ${fmt(spark, 0)} MB/s`);
    console.log(`  hash-wasm / spark-md5: ${fmt(wasm / spark, 1)}×`);

    const size = Number(opt['size-mb']) * MB;
    const big = path.join(dir, 'bench-big.wav');
    const small = path.join(dir, 'bench-small.wav');
    await randomFile(big, size);
    await randomFile(small, Number(opt['small-mb']) * MB);
    const bigMD5 = await md5Of(big);
    const rt = await startRunner('bench-upload');
    const rows = [];
    try {
      // Warm-up (page cache, the runner's first requests), not counted.
      await curlPut(rt.base, big, size, bigMD5);
      for (let i = 0; i < Number(opt.runs); i++) {
        const curl = await curlPut(rt.base, big, size, bigMD5);
        await sleep(3000);
        const pg = await pageUpload(rt.base, big);
        await sleep(3000);
        rows.push({ curl, ...pg });
        console.log(`  run ${i + 1}: curl ${fmt(curl)} s, page ${fmt(pg.seconds)} s (${pg.partCount} parts of ${pg.partSize / MB} MiB): ${fmt(pg.seconds / curl)}×; renderer peak ${fmt(pg.hwm / MB, 0)} MB (sampled ${fmt(pg.rss / MB, 0)} MB), JS heap peak ${fmt(pg.heap / MB, 1)} MB`);
      }
      const sm = await pageUpload(rt.base, small);
      const ratios = rows.map((r) => r.seconds / r.curl);
      console.log(`\nUpload of ${opt['size-mb']} MB through the page, to the last part stored, against curl PUTting the same bytes:`);
      console.log(`  page/curl per run: ${ratios.map((x) => fmt(x)).join(', ')}; median ${fmt(median(ratios))}× (target ≤ 1.3×)`);
      console.log(`  page ${fmt((size / MB) / median(rows.map((r) => r.seconds)), 0)} MB/s, curl ${fmt((size / MB) / median(rows.map((r) => r.curl)), 0)} MB/s (medians)`);
      const hwm = median(rows.map((r) => r.hwm));
      console.log(`Page memory: renderer peak RSS ${fmt(hwm / MB, 0)} MB for ${opt['size-mb']} MB against ${fmt(sm.hwm / MB, 0)} MB for ${opt['small-mb']} MB (${fmt(hwm / sm.hwm)}×); JS heap peak ${fmt(median(rows.map((r) => r.heap)) / MB, 1)} MB against ${fmt(sm.heap / MB, 1)} MB`);
    } finally {
      await stopRunner();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
