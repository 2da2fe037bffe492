// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Small DOM helpers, formatting and the shared loading / empty / error states.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'g', 'path', 'rect', 'circle', 'line', 'text', 'polyline', 'title', 'a', 'tspan', 'defs', 'marker']);

/** Creates an element: h('a', {href: '#/'}, 'text', child, [more]). Attributes starting with "on" are listeners. */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const name = svg ? tag.slice(4) : tag;
  const el = svg ? document.createElementNS(SVG_NS, name) : document.createElement(name);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && !svg) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

/** SVG element shorthand. */
export const s = (tag, attrs, ...children) => h('svg:' + tag, attrs, ...children);

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const loading = (what = 'Loading…') => h('p', { class: 'state loading', role: 'status' }, what);
export const empty = (what) => h('p', { class: 'state empty', role: 'status' }, what);

/** An API error as the operator should see it: what failed and the server's own message. */
export function errorBox(err, what) {
  if (err && err.unavailable) return unavailable(err.what || what || 'This API');
  const msg = err && err.message ? err.message : String(err);
  const status = err && err.status ? ` (HTTP ${err.status})` : '';
  return h('div', { class: 'state error', role: 'alert' }, what ? `${what} failed${status}: ` : '', msg);
}

export const unavailable = (what) => h('div', { class: 'state unavailable', role: 'status' },
  `${what} is not available on this server yet. This view fills in once it is.`);

/** Microseconds as a short human duration. */
export function fmtDuration(us) {
  if (us == null || isNaN(us)) return '—';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${trim(us / 1000)} ms`;
  if (us < 60e6) return `${trim(us / 1e6)} s`;
  return `${Math.floor(us / 60e6)}m ${Math.round((us % 60e6) / 1e6)}s`;
}

/** Seconds (as PromQL answers latency) as a short duration. */
export const fmtSeconds = (sec) => (sec == null || isNaN(sec) ? '—' : fmtDuration(sec * 1e6));

function trim(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export function fmtNum(x, unit = '') {
  if (x == null || isNaN(x)) return '—';
  const a = Math.abs(x);
  const v = a >= 1e9 ? (x / 1e9).toFixed(1) + 'G' : a >= 1e6 ? (x / 1e6).toFixed(1) + 'M' : a >= 1e4 ? (x / 1e3).toFixed(1) + 'k'
    : a >= 100 || Number.isInteger(x) ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : a === 0 ? '0' : x.toPrecision(2);
  return v + unit;
}

export const fmtPct = (x) => (x == null || isNaN(x) ? '—' : (x * 100 < 0.1 && x > 0 ? '<0.1' : (x * 100).toFixed(x < 0.1 ? 1 : 0)) + '%');

export function fmtTime(ms, withDate = true) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const t = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  return withDate ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${t}` : t;
}

/** Ten distinguishable colours; a name always gets the same one. */
// No red: red (#d1343b) means an error everywhere, so no service or series may be drawn in it.
export const PALETTE = ['#3b6fd8', '#e8710a', '#1f9d55', '#c23b8c', '#8a5cd1', '#0f9ab0', '#b08a00', '#7d5a3c', '#5b6f8a', '#6aa84f'];
export function colorFor(name) {
  let x = 0;
  for (const ch of String(name)) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[x % PALETTE.length];
}

export function healthOf(errorRatio) {
  if (errorRatio == null || isNaN(errorRatio)) return 'none';
  return errorRatio >= 0.05 ? 'bad' : errorRatio >= 0.01 ? 'warn' : 'ok';
}

/**
 * A tiny inline SVG line chart of points [[sec, value]...] placed by their time within xRange
 * [startSec, endSec] (the page's time range), so a series that began a minute ago is drawn at the
 * right end rather than stretched over the whole cell. Points more than 1.5 steps apart are not
 * joined; a lone point is a dot. Plain values (no times) are spread evenly, as before. Marks the
 * page's first chart for the performance test.
 */
export function sparkline(points, { width = 120, height = 28, color = '#3b6fd8', label = 'trend', xRange, step } = {}) {
  const all = points.map((p, i) => (Array.isArray(p) ? [Number(p[0]), p[1]] : [i, p]));
  const pts = all.filter(([t, v]) => v != null && !isNaN(v) && isFinite(t));
  const svg = s('svg', { width, height, class: 'spark', role: 'img', 'aria-label': label, viewBox: `0 0 ${width} ${height}` });
  if (!pts.length) return svg;
  const ranged = Array.isArray(xRange) && xRange[1] > xRange[0];
  const [x0, x1] = ranged ? xRange : [all[0][0], all[all.length - 1][0]];
  const px = (t) => (x1 > x0 ? Math.min(width, Math.max(0, ((t - x0) / (x1 - x0)) * width)) : width / 2);
  const max = Math.max(...pts.map((p) => p[1])), min = Math.min(0, ...pts.map((p) => p[1]));
  const span = max - min || 1;
  const py = (v) => (height - 2 - ((v - min) / span) * (height - 4));
  // runs of points without a gap; a gap is a missing step (or, for plain values, a missing value)
  const gap = ranged && step ? step * 1.5 : ranged ? Infinity : 1.5;
  const runs = [];
  for (const p of pts) {
    const run = runs[runs.length - 1];
    if (run && p[0] - run[run.length - 1][0] <= gap) run.push(p); else runs.push([p]);
  }
  for (const run of runs) {
    if (run.length === 1) {
      // a series younger than one step: a dot where (and when) its only value is, not a blank cell
      svg.append(s('circle', { cx: Math.min(width - 3, Math.max(3, px(run[0][0]))).toFixed(1), cy: py(run[0][1]).toFixed(1), r: 2.5, fill: color }));
    } else {
      const d = run.map(([t, v], i) => `${i ? 'L' : 'M'}${px(t).toFixed(1)} ${py(v).toFixed(1)}`).join('');
      svg.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.5 }));
    }
  }
  markFirstChart();
  return svg;
}

export function markFirstChart() {
  if (!performance.getEntriesByName('faultline:first-chart').length) performance.mark('faultline:first-chart');
}

/** A sortable-looking plain table: columns [{label, num}], rows of cells (nodes or text). */
export function table(columns, rows, { rowAttrs } = {}) {
  return h('table', null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)))),
    h('tbody', null, rows.map((r, i) => h('tr', rowAttrs ? rowAttrs(i) : null,
      r.map((cell, j) => h('td', { class: columns[j] && columns[j].num ? 'num' : null }, cell))))));
}

/** Makes a row act as a link for mouse and keyboard. */
export function rowLink(href) {
  return {
    class: 'clickable', tabindex: 0, role: 'link',
    onclick: (e) => { if (!e.target.closest('a,button')) location.hash = href; },
    onkeydown: (e) => { if (e.key === 'Enter') location.hash = href; },
  };
}
