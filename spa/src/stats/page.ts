// The stats page: fills stats.html's structure from GET /api/stats, draws the charts, and
// refreshes each minute (lib/refresh). A failed refresh leaves the last numbers in place and
// says, in a polite live region, that they may be stale. Plain DOM rather than Preact: the
// page shares no module with the other pages (see lib/stats.ts).

import { Refresher } from '../lib/refresh';
import {
  failureReason,
  formatCount,
  formatFactor,
  formatSeconds,
  formatStorage,
  hourLabel,
  hourlySummary,
  loadText,
  parseStats,
  processingSummary,
  statusSummary,
  type LoadState,
  type Stats,
} from '../lib/stats';
import { StatsCharts } from './charts';

/** A request that has not answered after this long counts as failed (and frees the next one). */
const TIMEOUT_MS = 20_000;

// How each [data-stat] is written; counts are the default.
const FORMATS: Record<string, (n: number | null) => string> = {
  bytesStored: formatStorage,
  'last24h.bytesUploaded': formatStorage,
  'last24h.processing.p50': formatSeconds,
  'last24h.processing.p99': formatSeconds,
  'last24h.processing.realtimeFactor': formatFactor,
};

function valueAt(s: Stats, path: string): number | null {
  let v: unknown = s;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'number' ? v : null;
}

/** Reads /api/stats; throws an Error whose message ends a sentence ("the server answered 503."). */
async function fetchStats(): Promise<Stats> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    let res: Response;
    try {
      res = await fetch('/api/stats', { headers: { Accept: 'application/json' }, signal: ctl.signal });
    } catch {
      throw new Error(ctl.signal.aborted ? `the server did not answer within ${TIMEOUT_MS / 1000} seconds.` : 'the server could not be reached.');
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      if (!res.ok) throw new Error(`the server answered ${res.status}.`);
      throw new Error('the answer was not JSON.');
    }
    if (!res.ok) throw new Error(failureReason(res.status, body));
    return parseStats(body);
  } finally {
    clearTimeout(timer);
  }
}

function hourRows(doc: Document, s: Stats): HTMLTableRowElement[] {
  return s.hourly.map((h) => {
    const tr = doc.createElement('tr');
    const th = doc.createElement('th');
    th.scope = 'row';
    th.textContent = hourLabel(h.at);
    const up = doc.createElement('td');
    up.textContent = formatCount(h.uploads);
    const pl = doc.createElement('td');
    pl.textContent = formatCount(h.plays);
    tr.append(th, up, pl);
    return tr;
  });
}

export function startStatsPage(doc: Document): void {
  const main = doc.getElementById('stats');
  if (!main) return;
  const updated = doc.getElementById('stats-updated');
  const problem = doc.getElementById('stats-problem');
  const tbody = doc.querySelector('#table-hourly tbody');
  const charts = new StatsCharts({
    hourly: doc.getElementById('chart-hourly'),
    status: doc.getElementById('chart-status'),
    processing: doc.getElementById('chart-processing'),
  });
  let state: LoadState = { stats: null, updatedAt: null, failure: null };

  const render = (fresh: boolean) => {
    const s = state.stats;
    const text = loadText(state);
    if (updated) updated.textContent = text.updated;
    // Only a change is written: the region is live, and rewriting the same words re-announces them.
    if (problem && problem.textContent !== text.problem) problem.textContent = text.problem;
    main.dataset.state = s === null ? (state.failure ? 'error' : 'loading') : state.failure ? 'stale' : 'ready';
    main.setAttribute('aria-busy', 'false');
    if (!s || !fresh) return;
    for (const el of main.querySelectorAll<HTMLElement>('[data-stat]')) {
      const path = el.dataset.stat ?? '';
      const v = valueAt(s, path);
      el.textContent = (FORMATS[path] ?? formatCount)(v);
      if (v === null) delete el.dataset.value;
      else el.dataset.value = String(v);
    }
    const summaries: Record<string, string> = {
      hourly: hourlySummary(s.hourly),
      status: statusSummary(s.tracks),
      processing: processingSummary(s.last24h.processing),
    };
    for (const el of main.querySelectorAll<HTMLElement>('[data-summary]')) el.textContent = summaries[el.dataset.summary ?? ''] ?? '';
    tbody?.replaceChildren(...hourRows(doc, s));
    charts.update(s);
  };

  const load = async () => {
    // Busy while a request is under way: assistive technology waits for the whole update.
    main.setAttribute('aria-busy', 'true');
    try {
      const stats = await fetchStats();
      state = { stats, updatedAt: Date.now(), failure: null };
      render(true);
    } catch (err) {
      state = { ...state, failure: { at: Date.now(), reason: err instanceof Error ? err.message : String(err) } };
      render(false);
    }
  };

  const refresher = new Refresher({
    load,
    visible: () => doc.visibilityState !== 'hidden',
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  });
  doc.addEventListener('visibilitychange', () => refresher.visibilityChanged());
  refresher.start();
}
