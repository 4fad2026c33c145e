// The stats page's three charts, drawn by uPlot on canvases: uploads and plays per hour
// (grouped bars, one group per hour, ticks in the reader's time), tracks by status and the
// processing time percentiles (bars). The canvases are hidden from assistive technology: the
// page says the same numbers in text (figcaptions, lists, a table of every hour).
//
// Each chart follows its container's width (ResizeObserver) and the colour scheme (a canvas
// cannot use CSS variables, so a change of scheme draws it again in the new colours).

import uPlot from 'uplot';
import {
  chartColours,
  countCeiling,
  formatCount,
  formatSeconds,
  hourLabel,
  hourlySeries,
  processingSeries,
  STATUS_LABELS,
  STATUSES,
  statusSeries,
  tickLabel,
  type ChartColours,
  type Stats,
} from '../lib/stats';

const HALF_HOUR = 1800;

// Axis steps for counts: whole numbers only.
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];

const PROCESSING_LABELS = ['Median (p50)', '99th percentile'];

function heightFor(width: number): number {
  return width < 480 ? 180 : 240;
}

function pageColours(): ChartColours {
  const css = getComputedStyle(document.documentElement);
  return chartColours(css.getPropertyValue('--fg'), css.getPropertyValue('--bg'), css.getPropertyValue('--accent'));
}

function axes(c: ChartColours, x: Partial<uPlot.Axis>, y: Partial<uPlot.Axis>): uPlot.Axis[] {
  const common = { stroke: c.axis, ticks: { stroke: c.grid, size: 4 }, font: '12px system-ui, sans-serif' };
  return [
    { ...common, grid: { show: false }, ...x },
    { ...common, grid: { stroke: c.grid, width: 1 }, ...y },
  ];
}

/** The last value of a series (the latest hour). */
const latest = (u: uPlot, series: number): number | null => u.data[series]?.at(-1) ?? null;

const bars = (opts: uPlot.Series.BarsPathBuilderOpts) => uPlot.paths.bars!(opts);

/** uPlot's options for each chart, in the page's current colours and the container's width. */
const builders = {
  hourly(c: ChartColours, width: number): uPlot.Options {
    return {
      width,
      height: heightFor(width),
      legend: { show: true, live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false, setScale: false } },
      scales: {
        // Bars sit in the middle of their hour; the ticks at whole hours are its edges.
        x: { time: true, range: (_u, min, max) => [min - HALF_HOUR, max + HALF_HOUR] },
        y: { range: (_u, _min, max) => [0, countCeiling([max])] },
      },
      axes: axes(
        c,
        { space: 56, values: (_u, splits) => splits.map((s) => tickLabel(s * 1000)) },
        { incrs: COUNT_INCRS, values: (_u, splits) => splits.map((s) => formatCount(s)) },
      ),
      // The legend says the hour under the pointer, and the latest hour when there is none.
      series: [
        { label: 'Hour', value: (u, v, _s, idx) => hourLabel(((idx == null ? latest(u, 0) : v) ?? NaN) * 1000 - HALF_HOUR * 1000) },
        {
          label: 'Uploads',
          fill: c.uploads,
          stroke: c.uploads,
          width: 0,
          points: { show: false },
          paths: bars({ size: [0.45, 24], align: -1 }),
          value: (u, v, s, idx) => formatCount((idx == null ? latest(u, s) : v) ?? null),
        },
        {
          label: 'Plays',
          fill: c.plays,
          stroke: c.plays,
          width: 0,
          points: { show: false },
          paths: bars({ size: [0.45, 24], align: 1 }),
          value: (u, v, s, idx) => formatCount((idx == null ? latest(u, s) : v) ?? null),
        },
      ],
    };
  },

  status(c: ChartColours, width: number): uPlot.Options {
    return {
      width,
      height: heightFor(width),
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.5, STATUSES.length - 0.5] },
        y: { range: (_u, _min, max) => [0, countCeiling([max])] },
      },
      axes: axes(
        c,
        { splits: () => STATUSES.map((_, i) => i), values: (_u, splits) => splits.map((i) => STATUS_LABELS[STATUSES[i]] ?? '') },
        { incrs: COUNT_INCRS, values: (_u, splits) => splits.map((s) => formatCount(s)) },
      ),
      series: [{}, { label: 'Tracks', fill: c.uploads, stroke: c.uploads, width: 0, points: { show: false }, paths: bars({ size: [0.6, 72] }) }],
    };
  },

  processing(c: ChartColours, width: number): uPlot.Options {
    return {
      width,
      height: heightFor(width),
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.5, 1.5] },
        y: { range: (_u, _min, max) => [0, countCeiling([max])] },
      },
      axes: axes(
        c,
        { splits: () => [0, 1], values: (_u, splits) => splits.map((i) => PROCESSING_LABELS[i] ?? '') },
        { size: 56, values: (_u, splits) => splits.map((s) => formatSeconds(s)) },
      ),
      series: [{}, { label: 'Seconds', fill: c.uploads, stroke: c.uploads, width: 0, points: { show: false }, paths: bars({ size: [0.5, 96] }) }],
    };
  },
};

type Kind = keyof typeof builders;

function dataFor(kind: Kind, s: Stats): uPlot.AlignedData | null {
  switch (kind) {
    case 'hourly':
      return s.hourly.length ? hourlySeries(s.hourly) : null;
    case 'status':
      return STATUSES.some((k) => s.tracks[k] !== null) ? statusSeries(s.tracks) : null;
    case 'processing': {
      const p = s.last24h.processing;
      return p.p50 === null && p.p99 === null ? null : processingSeries(p);
    }
  }
}

interface Slot {
  el: HTMLElement;
  plot: uPlot | null;
  data: uPlot.AlignedData | null;
}

/** The page's charts: update() with each answer; they resize and recolour by themselves. */
export class StatsCharts {
  private readonly slots = new Map<Kind, Slot>();
  private readonly observer: ResizeObserver | null;

  constructor(containers: Record<Kind, HTMLElement | null>) {
    this.observer = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => this.resized(entries)) : null;
    for (const kind of Object.keys(builders) as Kind[]) {
      const el = containers[kind];
      if (!el) continue;
      this.slots.set(kind, { el, plot: null, data: null });
      this.observer?.observe(el);
    }
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.redraw());
  }

  /** Draws the numbers of s; a chart without numbers is removed and its container hidden. */
  update(s: Stats): void {
    for (const [kind, slot] of this.slots) {
      slot.data = dataFor(kind, s);
      if (!slot.data) {
        slot.plot?.destroy();
        slot.plot = null;
        slot.el.hidden = true;
        continue;
      }
      slot.el.hidden = false;
      if (slot.plot) slot.plot.setData(slot.data);
      else this.create(kind, slot);
    }
  }

  private create(kind: Kind, slot: Slot): void {
    if (!slot.data) return;
    const width = Math.max(1, Math.floor(slot.el.clientWidth));
    slot.plot = new uPlot(builders[kind](pageColours(), width), slot.data, slot.el);
  }

  /** Draws every chart again from scratch: the colour scheme changed. */
  private redraw(): void {
    for (const [kind, slot] of this.slots) {
      slot.plot?.destroy();
      slot.plot = null;
      this.create(kind, slot);
    }
  }

  private resized(entries: ResizeObserverEntry[]): void {
    for (const e of entries) {
      for (const slot of this.slots.values()) {
        if (slot.el !== e.target || !slot.plot) continue;
        const width = Math.max(1, Math.floor(e.contentRect.width));
        if (width !== slot.plot.width) slot.plot.setSize({ width, height: heightFor(width) });
      }
    }
  }
}
