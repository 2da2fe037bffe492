// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Time-series charts with uPlot (from its WebJar), loaded only when a page first draws a chart.
import { h, colorFor, markFirstChart, fmtNum } from './dom.js';

let loadingUplot = null;

export function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!loadingUplot) {
    loadingUplot = new Promise((resolve, reject) => {
      const css = h('link', { rel: 'stylesheet', href: new URL('../vendor/uplot/uPlot.min.css', import.meta.url).href });
      const js = h('script', { src: new URL('../vendor/uplot/uPlot.iife.min.js', import.meta.url).href });
      js.onload = () => resolve(window.uPlot);
      js.onerror = () => { loadingUplot = null; reject(new Error('could not load the chart library (uPlot)')); };
      document.head.append(css, js);
    });
  }
  return loadingUplot;
}

/** Resizes a chart with its container; returns a disposer. */
function follow(el, plot, height) {
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, Math.floor(el.clientWidth));
    if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height });
  });
  ro.observe(el);
  return () => { ro.disconnect(); plot.destroy(); };
}

/**
 * The x scale of a time chart: the requested range [startSec, endSec] when given (see xRangeOf),
 * else uPlot's own from the data, which a single point (or points all at one time) stretches to a
 * day or more, and a few recent points shrink to a few seconds.
 */
function xScale(xRange) {
  const ok = Array.isArray(xRange) && xRange.length === 2 && isFinite(xRange[0]) && isFinite(xRange[1]) && xRange[0] < xRange[1];
  return { time: true, ...(ok ? { range: () => [xRange[0], xRange[1]] } : {}) };
}

/** A page's time range ({start, end} in ms, as ctx.range) as a chart's xRange in seconds. */
export const xRangeOf = (range) => [range.start / 1000, range.end / 1000];

/**
 * Leaves the x scale uPlot drew with on el.dataset.xRange as [minSec, maxSec], so the browser
 * tests can check the axis a chart really has rather than what a page asked for.
 */
function noteXScale(u, el) {
  const { min, max } = u.scales.x;
  el.dataset.xRange = JSON.stringify([min, max]);
}

/**
 * Draws time series into el. series: [{label, points: [[sec, value]...], color, dash}]. Points of
 * different series are aligned on the union of their timestamps; gaps stay gaps. xRange
 * [startSec, endSec] is the x axis: every page passes its time range (xRangeOf(ctx.range)), so a
 * chart spans what the user asked for however few points the data has, and a window is shown even
 * where no series has points. yRange is uPlot's y scale range, (u, min, max) => [lo, hi], for
 * charts whose auto-range misleads (e.g. ratios all zero). bands are shaded time windows behind
 * the series (chaos fault windows, see faults.js).
 */
export async function timeChart(el, series, { height = 220, yFormat = fmtNum, yWidth = 64, yRange, bands = [], xRange, onRangeSelect } = {}) {
  const uPlot = await loadUplot();
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data = [xs];
  for (const s of series) {
    const ys = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) ys[index.get(x)] = y;
    data.push(ys);
  }
  const opts = {
    width: Math.max(200, el.clientWidth || 600),
    height,
    cursor: { drag: { x: !!onRangeSelect, y: false, setScale: false } },
    legend: { show: series.length <= 12 },
    scales: { x: xScale(xRange), ...(yRange ? { y: { range: yRange } } : {}) },
    axes: [{}, { values: (u, vals) => vals.map((v) => yFormat(v)), size: yWidth }],
    series: [{}, ...series.map((s) => ({
      label: s.label, stroke: s.color || colorFor(s.label), width: 1.5, spanGaps: false, dash: s.dash,
      value: (u, v) => (v == null ? '—' : yFormat(v)),
    }))],
    hooks: {
      drawClear: [(u) => drawBands(u, bands, el)],
      draw: [(u) => noteXScale(u, el)],
      setSelect: onRangeSelect ? [(u) => {
        if (u.select.width < 4) return;
        const a = u.posToVal(u.select.left, 'x'), b = u.posToVal(u.select.left + u.select.width, 'x');
        onRangeSelect(Math.round(a * 1000), Math.round(b * 1000));
      }] : [],
    },
  };
  el.replaceChildren();
  const plot = new uPlot(opts, data, el);
  markFirstChart();
  return follow(el, plot, height);
}

// Translucent orange behind the series; the solid strip on top stays visible under dense lines.
const BAND_FILL = 'rgba(232,113,10,0.16)';
const BAND_EDGE = 'rgba(232,113,10,0.75)';

/**
 * Shades time windows [{start: sec, end: sec, label, color}] across the plot area, clipped to it.
 * What was drawn is left on el.dataset.bands as [x, y, width, height] in canvas pixels, so the
 * browser tests can check the canvas itself rather than trust a flag.
 */
function drawBands(u, bands, el) {
  const ctx = u.ctx, { left, top, width, height } = u.bbox;
  const px = window.devicePixelRatio || 1;
  const drawn = [];
  ctx.save();
  for (const b of bands) {
    const x0 = Math.max(left, u.valToPos(b.start, 'x', true));
    const x1 = Math.min(left + width, u.valToPos(b.end, 'x', true));
    if (!(x1 >= left && x0 <= left + width) || isNaN(x0) || isNaN(x1)) continue;
    const w = Math.max(2 * px, x1 - x0);
    ctx.fillStyle = b.color || BAND_FILL;
    ctx.fillRect(x0, top, w, height);
    ctx.fillStyle = BAND_EDGE;
    ctx.fillRect(x0, top, w, 3 * px);
    if (b.label && w > 70 * px) {
      ctx.font = `${11 * px}px system-ui, sans-serif`;
      ctx.fillStyle = '#8a3a00';
      ctx.fillText(b.label, x0 + 4 * px, top + 15 * px, w - 8 * px);
    }
    drawn.push([Math.round(x0), Math.round(top), Math.round(w), Math.round(height)]);
  }
  ctx.restore();
  el.dataset.bands = JSON.stringify(drawn);
}

/**
 * A scatter plot of points [{x: sec, y: value, color, id}] (trace durations over time) over xRange
 * [startSec, endSec] (the page's time range, as for timeChart); a click on a point calls
 * onPick(point).
 */
export async function scatterChart(el, points, { height = 200, yFormat = fmtNum, xRange, onPick } = {}) {
  const uPlot = await loadUplot();
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const xs = sorted.map((p) => p.x);
  const ok = sorted.map((p) => (p.error ? null : p.y));
  const bad = sorted.map((p) => (p.error ? p.y : null));
  const pointsOnly = { show: true, size: 8, width: 1 };
  const opts = {
    width: Math.max(200, el.clientWidth || 600),
    height,
    scales: { x: xScale(xRange) },
    legend: { show: true },
    axes: [{}, { values: (u, vals) => vals.map((v) => yFormat(v)), size: 64 }],
    cursor: { points: { size: 10 } },
    hooks: { draw: [(u) => noteXScale(u, el)] },
    series: [{}, { label: 'traces', stroke: '#3b6fd8', fill: '#3b6fd855', paths: () => null, points: pointsOnly, value: (u, v) => (v == null ? '—' : yFormat(v)) },
      { label: 'with errors', stroke: '#d1343b', fill: '#d1343b55', paths: () => null, points: pointsOnly, value: (u, v) => (v == null ? '—' : yFormat(v)) }],
  };
  el.replaceChildren();
  const plot = new uPlot(opts, [xs, ok, bad], el);
  if (onPick) {
    plot.over.addEventListener('click', () => {
      const i = nearestPoint(plot);
      if (i != null) onPick(sorted[i]);
    });
    plot.over.style.cursor = 'pointer';
  }
  markFirstChart();
  return follow(el, plot, height);
}

// The point nearest the mouse in both axes (within 12 px), so a click picks the dot under it.
function nearestPoint(u) {
  const cx = u.cursor.left, cy = u.cursor.top;
  if (cx == null || cx < 0) return null;
  let best = null, bestD = 144;
  for (let si = 1; si < u.data.length; si++) {
    const xs = u.data[0], ys = u.data[si];
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] == null) continue;
      const dx = u.valToPos(xs[i], 'x') - cx, dy = u.valToPos(ys[i], 'y') - cy;
      const d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
  }
  return best;
}

/** A Prometheus series' labels as {a="b", c="d"} text. */
export function seriesLabel(metric, fallback = '') {
  const entries = Object.entries(metric || {});
  if (!entries.length) return fallback || '{}';
  const name = metric.__name__ || '';
  const rest = entries.filter(([k]) => k !== '__name__').map(([k, v]) => `${k}="${v}"`).join(', ');
  return rest ? `${name}{${rest}}` : name;
}

/** Prometheus matrix values to [[sec, number]]. */
export const toPoints = (values) => (values || []).map(([t, v]) => [Number(t), Number(v)]);
