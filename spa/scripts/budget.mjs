// Prints the gzipped first-load size of each page (entry + static imports, transitively;
// dynamic imports such as hls.js excluded) and of the stylesheet, and fails when the track
// page's first-load JavaScript exceeds its budget.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url).pathname;
const BUDGET = 40 * 1024;
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
const STABLE = ['index.html', 'assets/upload.js', 'assets/track.js', 'assets/embed.js', 'assets/app.css'];
const missing = STABLE.filter((f) => !existsSync(join(DIST, f)));
const unhashed = readdirSync(join(DIST, 'assets'))
  .map((f) => 'assets/' + f)
  .filter((f) => !STABLE.includes(f) && !/-[0-9a-f]{8,}\.[a-z0-9]+$/.test(f));
if (missing.length || unhashed.length) {
  console.error(`build output: missing ${missing.join(', ') || 'nothing'}; unhashed ${unhashed.join(', ') || 'nothing'}`);
  process.exit(1);
}

const entries = Object.entries(manifest).filter(([, c]) => c.isEntry);
const rows = [];
let trackJs = null;
for (const [key, chunk] of entries) {
  const files = [...staticClosure(key)].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
  const size = files.reduce((s, f) => s + gz(f), 0);
  rows.push([chunk.file, files.length, size]);
  if (chunk.file === 'assets/track.js') trackJs = size;
}
const css = 'assets/app.css';
const hls = Object.values(manifest).find((c) => c.isDynamicEntry && /hls/.test(c.file));

console.log('\nFirst-load size (gzip -9)');
const line = (name, n, size, note = '') => console.log(`${name.padEnd(36)}${String(n).padStart(5)}  ${kb(size).padStart(9)}${note}`);
line('file', 'files', NaN);
for (const [file, n, size] of rows) line(`${file} + static imports`, n, size);
line(css, 1, gz(css));
if (hls) line(hls.file, 1, gz(hls.file), '  lazy: loaded on the first Play');
if (trackJs === null) {
  console.error('budget: assets/track.js not found in the manifest');
  process.exit(1);
}
if (trackJs > BUDGET) {
  console.error(`budget: track page first-load JS is ${kb(trackJs)}, over the ${kb(BUDGET)} budget`);
  process.exit(1);
}
console.log(`budget: track page first-load JS ${kb(trackJs)} of ${kb(BUDGET)}: ok`);
