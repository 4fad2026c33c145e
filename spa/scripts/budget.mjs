// Prints the gzipped first-load size of each page (entry + static imports, transitively;
// dynamic imports such as hls.js excluded) and of the stylesheet, and fails when the track,
// set or stats page's first-load JavaScript exceeds its budget, or when any page but the
// stats page can reach the chart library (uPlot, in its own chunk) at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url).pathname;
// First-load JavaScript budgets, gzipped, by entry file.
const BUDGETS = { 'assets/track.js': 40 * 1024, 'assets/set.js': 40 * 1024, 'assets/stats.js': 36 * 1024 };
const manifest = JSON.parse(readFileSync(join(DIST, '.vite/manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
const kb = (n) => (Number.isNaN(n) ? 'gzip' : `${(n / 1024).toFixed(1)} kB`);

function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) staticClosure(dep, seen);
  return seen;
}

// The Go server relies on these names: stable entry names (no-cache), hashed everything else (immutable).
const STABLE = ['index.html', 'stats.html', 'assets/upload.js', 'assets/track.js', 'assets/embed.js', 'assets/set.js', 'assets/stats.js', 'assets/app.css'];
const missing = STABLE.filter((f) => !existsSync(join(DIST, f)));
const unhashed = readdirSync(join(DIST, 'assets'))
  .map((f) => 'assets/' + f)
  .filter((f) => !STABLE.includes(f) && !/-[0-9a-f]{8,}\.[a-z0-9]+$/.test(f));
if (missing.length || unhashed.length) {
  console.error(`build output: missing ${missing.join(', ') || 'nothing'}; unhashed ${unhashed.join(', ') || 'nothing'}`);
  process.exit(1);
}

// Everything a page can ever load: static and dynamic imports, transitively.
function reachable(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of [...(manifest[key].imports ?? []), ...(manifest[key].dynamicImports ?? [])]) reachable(dep, seen);
  return seen;
}

const entries = Object.entries(manifest).filter(([, c]) => c.isEntry);
const rows = [];
const firstLoad = {};
for (const [key, chunk] of entries) {
  const files = [...staticClosure(key)].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  const size = files.reduce((s, f) => s + gz(f), 0);
  rows.push([chunk.file, files.length, size]);
  firstLoad[chunk.file] = size;
}
const css = 'assets/app.css';
const hls = Object.values(manifest).find((c) => c.isDynamicEntry && /hls/.test(c.file));
const uplotKey = Object.keys(manifest).find((k) => manifest[k].name === 'uplot');

console.log('\nFirst-load size (gzip -9)');
const line = (name, n, size, note = '') => console.log(`${name.padEnd(36)}${String(n).padStart(5)}  ${kb(size).padStart(9)}${note}`);
line('file', 'files', NaN);
for (const [file, n, size] of rows) line(`${file} + static imports`, n, size);
line(css, 1, gz(css));
if (hls) line(hls.file, 1, gz(hls.file), '  lazy: loaded on the first Play');
if (uplotKey) line(manifest[uplotKey].file, 1, gz(manifest[uplotKey].file), '  the stats page only');

let failed = false;
const fail = (msg) => {
  console.error(`budget: ${msg}`);
  failed = true;
};
// The chart library is the stats page's alone: the other pages must not be able to load it.
if (!uplotKey) fail('no uplot chunk in the manifest (vite.config.ts names it)');
for (const [key, chunk] of entries) {
  const isStats = chunk.file === 'assets/stats.js';
  if (uplotKey && isStats !== reachable(key).has(uplotKey)) {
    fail(isStats ? 'the stats page does not load the uplot chunk statically' : `${chunk.file} can load the chart library (${manifest[uplotKey].file})`);
  }
}
for (const [file, budget] of Object.entries(BUDGETS)) {
  if (!(file in firstLoad)) fail(`${file} not found in the manifest`);
  else if (firstLoad[file] > budget) fail(`${file} first-load JS is ${kb(firstLoad[file])}, over the ${kb(budget)} budget`);
  else console.log(`budget: ${file} first-load JS ${kb(firstLoad[file])} of ${kb(budget)}: ok`);
}
if (failed) process.exit(1);
