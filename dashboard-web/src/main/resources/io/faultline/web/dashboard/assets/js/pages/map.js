// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// The service map: who calls whom, edges coloured by error ratio, chaos targets marked. Drawn as a
// layered graph in plain SVG (callers left of callees), which reads better than a force layout
// for the tens of services a Faultline typically sees, and needs no library.
import { h, s, replace, loading, errorBox, empty, fmtNum, fmtPct, markFirstChart } from '../dom.js';
import { api, promInstant, settle } from '../api.js';
import { promDuration } from '../time.js';

const GRAPH = 'traces_service_graph_request_total';
const FAILED = 'traces_service_graph_request_failed_total';

export async function render(ctx) {
  const { range, signal } = ctx;
  const box = h('div', { class: 'panel map', id: 'service-map' }, loading('Loading the service map…'));
  const note = h('div');
  replace(ctx.root, h('h1', null, 'Service map'), note, box,
    h('div', { class: 'legend' }, h('span', null, h('i', { style: 'background: #1f9d55' }), '< 1% errors'), h('span', null, h('i', { style: 'background: #c98a00' }), '1–5%'),
      h('span', null, h('i', { style: 'background: #d1343b' }), '≥ 5%'), h('span', null, h('i', { style: 'border: 2px dashed #e8710a' }), 'chaos target (running experiment)'),
      h('span', null, 'Edge width: request count.')));
  const whole = promDuration((range.end - range.start) / 1000);
  const [calls, failed, chaos] = await settle([
    promInstant(`sum by (client, server) (increase(${GRAPH}[${whole}]))`, range.end, signal),
    promInstant(`sum by (client, server) (increase(${FAILED}[${whole}]))`, range.end, signal),
    api('/api/chaos/runs', { params: { status: 'running' }, signal }),
  ]);
  if (signal.aborted) return;
  let edges;
  if (!calls.error && calls.value.length) {
    const f = new Map(((failed.value) || []).map((r) => [`${r.metric.client}\u0000${r.metric.server}`, Number(r.value[1])]));
    edges = calls.value.map((r) => ({ from: r.metric.client || '?', to: r.metric.server || '?', calls: Number(r.value[1]), failed: f.get(`${r.metric.client}\u0000${r.metric.server}`) || 0 }))
      .filter((e) => e.calls > 0);
    replace(note, h('p', { class: 'small muted' }, `Requests over ${whole} from the service graph metrics.`));
  } else {
    try {
      const body = await api('/api/dependencies', { params: { endTs: range.end, lookback: range.end - range.start }, signal, what: 'The trace API' });
      edges = (body.data || []).map((d) => ({ from: d.parent, to: d.child, calls: d.callCount, failed: null }));
      replace(note, calls.error
        ? h('p', { class: 'small muted' }, `Service graph metrics ${calls.error.unavailable ? 'are not available on this server yet' : `failed (${calls.error.message})`}: showing call counts from traces, without error rates.`)
        : h('p', { class: 'small muted' }, 'Call counts from traces (/api/dependencies).'));
    } catch (e) {
      if (e.name === 'AbortError') return;
      replace(box, errorBox(e, 'Loading service dependencies'));
      return;
    }
  }
  const targets = chaosTargets(chaos.value);
  if (!edges.length) {
    replace(box, empty('No calls between services in this time range. The map appears once traces show one service calling another.'));
    return;
  }
  draw(ctx, box, edges, targets);
}

function chaosTargets(body) {
  const set = new Set();
  const runs = Array.isArray(body) ? body : (body && (body.data || body.runs)) || [];
  for (const r of runs) {
    for (const t of r.targets || (r.experiment && r.experiment.targets) || []) {
      if (typeof t === 'string') set.add(t);
      else if (t && (t.service || t.name)) set.add(t.service || t.name);
    }
  }
  return set;
}

/** Layers by longest path from the callers (cycles broken at the back edge), ordered by barycentre. */
export function layout(nodes, edges) {
  const out = new Map(nodes.map((n) => [n, []]));
  const inc = new Map(nodes.map((n) => [n, []]));
  for (const e of edges) if (e.from !== e.to) { out.get(e.from).push(e.to); inc.get(e.to).push(e.from); }
  const layer = new Map();
  const state = new Map();
  const visit = (n) => {
    if (state.get(n) === 2) return layer.get(n);
    if (state.get(n) === 1) return -1; // back edge: ignore
    state.set(n, 1);
    let l = 0;
    for (const p of inc.get(n)) l = Math.max(l, visit(p) + 1);
    state.set(n, 2);
    layer.set(n, l);
    return l;
  };
  nodes.forEach(visit);
  const layers = [];
  for (const n of nodes) (layers[layer.get(n)] ||= []).push(n);
  const pos = new Map();
  layers.forEach((col, i) => {
    if (i > 0) {
      const bary = (n) => { const ps = inc.get(n).filter((p) => pos.has(p)); return ps.length ? ps.reduce((a, p) => a + pos.get(p).row, 0) / ps.length : 1e9; };
      col.sort((a, b) => bary(a) - bary(b) || a.localeCompare(b));
    } else col.sort();
    col.forEach((n, j) => pos.set(n, { col: i, row: j }));
  });
  return { layers, pos };
}

function draw(ctx, box, edges, targets) {
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  const { layers, pos } = layout(nodes, edges);
  const NW = 170, NH = 44, GX = 130, GY = 34;
  // a call past a layer runs in the gap above its target's row: room for it above the top row;
  // a self-call loops out of its node's right side, its label beside it: room on the right
  const TOP = 20 + (edges.some((e) => pos.get(e.to).col - pos.get(e.from).col > 1) ? 44 : 0);
  const RIGHT = 20 + (edges.some((e) => e.from === e.to) ? 150 : 0);
  const maxRows = Math.max(...layers.map((l) => l.length));
  const W = layers.length * NW + (layers.length - 1) * GX + 20 + RIGHT;
  const H = maxRows * NH + (maxRows - 1) * GY + 20 + TOP;
  const xy = (n) => {
    const p = pos.get(n);
    const colH = layers[p.col].length * NH + (layers[p.col].length - 1) * GY;
    return { x: 20 + p.col * (NW + GX), y: TOP + (H - 20 - TOP - colH) / 2 + p.row * (NH + GY) };
  };
  const maxCalls = Math.max(...edges.map((e) => e.calls));
  const color = (e) => (e.failed == null ? '#8a97ab' : e.failed / e.calls >= 0.05 ? '#d1343b' : e.failed / e.calls >= 0.01 ? '#c98a00' : '#1f9d55');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, style: `max-height: ${Math.max(300, H)}px`, role: 'img', 'aria-label': 'Service map' },
    s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, s('path', { d: 'M0 0L10 5L0 10z', fill: '#8a97ab' }))));
  const inbound = new Map(), outbound = new Map();
  for (const e of edges) {
    inbound.set(e.to, (inbound.get(e.to) || 0) + e.calls);
    outbound.set(e.from, (outbound.get(e.from) || 0) + e.calls);
  }
  const placed = [];
  for (const e of edges) {
    const a = xy(e.from), b = xy(e.to);
    const width = 1.5 + 5 * Math.sqrt(e.calls / maxCalls);
    const span = pos.get(e.to).col - pos.get(e.from).col;
    let d, lx, ly;
    if (e.from === e.to) {
      const x = a.x + NW, y = a.y;
      d = `M${x} ${y + 12}C${x + 36} ${y - 4} ${x + 36} ${y + NH + 4} ${x + 2} ${y + NH - 12}`;
      lx = x + 34; ly = y + NH / 2 + 4;
    } else if (span > 0) {
      const x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x, y2 = b.y + NH / 2, mx = (x1 + x2) / 2;
      if (span === 1) {
        d = `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2 - 2} ${y2}`;
        lx = mx; ly = (y1 + y2) / 2 - 6;
      } else {
        // past the layers in between: along the gap above the target's row
        const my = y2 - NH / 2 - GY / 2;
        d = `M${x1} ${y1}C${x1 + GX / 2} ${y1} ${x1 + GX / 2} ${my} ${x1 + GX} ${my}L${x2 - GX} ${my}C${x2 - GX / 2} ${my} ${x2 - GX / 2} ${y2} ${x2 - 2} ${y2}`;
        lx = mx; ly = my - 4;
      }
    } else {
      const x1 = a.x + NW / 2, y1 = a.y + NH, x2 = b.x + NW / 2, y2 = b.y + NH;
      d = `M${x1} ${y1}C${x1} ${y1 + 60} ${x2} ${y2 + 60} ${x2} ${y2 + 2}`;
      lx = (x1 + x2) / 2; ly = Math.max(y1, y2) + 50;
    }
    const ratio = e.failed == null ? '' : `, ${fmtPct(e.failed / e.calls)} errors`;
    const label = `${fmtCount(e.calls)} calls${ratio}`;
    // labels of edges that meet in one place are stacked rather than printed over each other
    while (placed.some((p) => Math.abs(p.x - lx) < 110 && Math.abs(p.y - ly) < 13)) ly -= 14;
    placed.push({ x: lx, y: ly });
    const g = s('g', { class: 'edgegroup', 'data-edge': `${e.from}->${e.to}` },
      s('path', { class: 'edge', d, stroke: color(e), 'stroke-width': width.toFixed(1), 'marker-end': 'url(#arrow)', opacity: 0.85, fill: 'none' }, s('title', null, `${e.from} → ${e.to}: ${label}`)),
      s('text', { class: 'elabel', x: lx, y: ly, 'text-anchor': e.from === e.to ? 'start' : 'middle' }, label));
    svg.append(g);
  }
  for (const n of nodes) {
    const { x, y } = xy(n);
    const sub = `${fmtCount(inbound.get(n) || 0)} in · ${fmtCount(outbound.get(n) || 0)} out`;
    svg.append(s('a', { href: ctx.href('service', { name: n }), 'aria-label': `Service ${n}: ${sub}` },
      s('g', { class: `node${targets.has(n) ? ' chaos' : ''}`, 'data-service': n },
        s('rect', { x, y, width: NW, height: NH, rx: 6 }),
        s('text', { x: x + 10, y: y + 18 }, (targets.has(n) ? '⚡ ' : '') + (n.length > 20 ? n.slice(0, 19) + '…' : n)),
        s('text', { class: 'sub', x: x + 10, y: y + 34 }, sub),
        s('title', null, n))));
  }
  replace(box, svg);
  markFirstChart();
}

// increase() extrapolates to the window's edges, so counts come back fractional: show whole calls.
const fmtCount = (v) => fmtNum(v >= 1 ? Math.round(v) : v);
