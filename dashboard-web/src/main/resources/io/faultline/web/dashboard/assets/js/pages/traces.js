// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Trace search over Jaeger's API: filters, a duration-over-time scatter plot and the result list.
import { h, replace, loading, errorBox, empty, fmtDuration, fmtTime, colorFor, rowLink } from '../dom.js';
import { api } from '../api.js';
import { scatterChart, xRangeOf } from '../chart.js';
import { summarize } from '../jaeger.js';

const SORTS = { recent: 'Most recent', longest: 'Longest first', shortest: 'Shortest first', spans: 'Most spans', errors: 'Errors first' };

export async function render(ctx) {
  const { params, signal, range } = ctx;
  const p = (k) => params.get(k) || '';
  const service = h('select', { id: 'f-service', name: 'service' }, h('option', { value: '' }, 'Choose a service'));
  const operation = h('select', { id: 'f-operation', name: 'operation' }, h('option', { value: '' }, 'All operations'));
  const tags = h('input', { id: 'f-tags', name: 'tags', class: 'code', value: p('tags'), placeholder: 'http.status_code=500 error=true' });
  const minD = h('input', { id: 'f-min', name: 'minDuration', value: p('minDuration'), placeholder: '100ms', size: 7 });
  const maxD = h('input', { id: 'f-max', name: 'maxDuration', value: p('maxDuration'), placeholder: '2s', size: 7 });
  const limit = h('input', { id: 'f-limit', name: 'limit', type: 'number', min: 1, max: 1500, value: p('limit') || '50', style: 'width: 80px' });
  const sort = h('select', { id: 'f-sort', 'aria-label': 'Sort' }, Object.entries(SORTS).map(([k, v]) => h('option', { value: k, selected: k === (p('sort') || 'recent') }, v)));
  const formMsg = h('div');
  const form = h('form', {
    class: 'panel', id: 'trace-search',
    onsubmit: (e) => {
      e.preventDefault();
      try { checkFilters(tags.value, minD.value, maxD.value); } catch (ex) { showInvalid(ex); return; }
      if (!service.value) {
        // trace search, as Jaeger's, is per service
        replace(formMsg, errorBox(new Error('Choose a service to search its traces.')));
        service.focus();
        return;
      }
      ctx.update({ service: service.value, operation: operation.value, tags: tags.value.trim(), minDuration: minD.value.trim(),
        maxDuration: maxD.value.trim(), limit: limit.value, sort: sort.value });
    },
  },
  h('div', { class: 'row' },
    h('label', null, 'Service', service), h('label', null, 'Operation', operation),
    h('label', { class: 'grow' }, 'Tags (key=value, space separated)', tags),
    h('label', null, 'Min duration', minD), h('label', null, 'Max duration', maxD), h('label', null, 'Limit', limit),
    h('label', null, 'Sort', sort), h('button', { class: 'primary', type: 'submit', id: 'find-traces' }, 'Find traces')),
  formMsg);
  // an error of the filters is shown under them, and the fields it names are marked
  const fields = { tags, minDuration: minD, maxDuration: maxD };
  function showInvalid(err, what) {
    replace(formMsg, errorBox(err, what));
    for (const [name, el] of Object.entries(fields)) {
      if (err.field === name || (err.message || '').includes(`'${name}'`)) el.setAttribute('aria-invalid', 'true');
      else el.removeAttribute('aria-invalid');
    }
  }
  const chart = h('div', { class: 'chart', id: 'trace-scatter' });
  const results = h('div', { id: 'trace-results' }, loading('Searching traces…'));
  replace(ctx.root, h('h1', null, 'Traces'), form,
    h('div', { class: 'panel' }, h('div', { class: 'chart-title' }, 'Duration over time'), chart), results);

  loadServices(ctx, service, operation, p('service'), p('operation'));
  service.addEventListener('change', () => loadOperations(ctx, operation, service.value, ''));
  sort.addEventListener('change', () => ctx.update({ sort: sort.value }, { push: false }));

  if (!p('service')) {
    replace(results, empty('Choose a service (and optionally an operation, tags and durations), then Find traces.'));
    replace(chart, h('p', { class: 'muted small' }, 'Nothing to plot yet.'));
    service.focus();
    return;
  }
  let tagQuery = '';
  try {
    checkFilters(p('tags'), p('minDuration'), p('maxDuration'));
    tagQuery = p('tags') ? JSON.stringify(parseTags(p('tags'))) : '';
  } catch (e) {
    showInvalid(e);
    replace(results, empty('Fix the filters above to search traces.'));
    replace(chart, h('p', { class: 'muted small' }, 'Nothing to plot.'));
    return;
  }
  let body;
  try {
    body = await api('/api/traces', {
      signal, what: 'The trace API',
      params: { service: p('service'), operation: p('operation'), tags: tagQuery, minDuration: p('minDuration'), maxDuration: p('maxDuration'),
        limit: p('limit') || 50, start: range.start * 1000, end: range.end * 1000 },
    });
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (e.status === 400) {
      // a filter the server refuses (a duration, min above max): say so by the filters
      showInvalid(e, 'The filters');
      replace(results, empty('Fix the filters above to search traces.'));
    } else replace(results, errorBox(e, 'Searching traces'));
    replace(chart, h('p', { class: 'muted small' }, 'No chart: the search failed.'));
    return;
  }
  const traces = (body.data || []).map(summarize);
  if (!traces.length) {
    replace(results, empty('No traces match these filters in this time range. Widen the time range or remove a filter.'));
    replace(chart, h('p', { class: 'muted small' }, 'Nothing to plot.'));
    return;
  }
  const order = {
    recent: (a, b) => b.start - a.start, longest: (a, b) => b.duration - a.duration, shortest: (a, b) => a.duration - b.duration,
    spans: (a, b) => b.spanCount - a.spanCount, errors: (a, b) => b.errors - a.errors || b.start - a.start,
  }[p('sort') || 'recent'] || ((a, b) => b.start - a.start);
  traces.sort(order);
  const maxDur = Math.max(...traces.map((t) => t.duration));
  replace(results, h('div', { class: 'panel' },
    h('h2', null, `${traces.length} trace${traces.length === 1 ? '' : 's'}`),
    h('table', null,
      h('thead', null, h('tr', null, ['Trace', 'Services', 'Spans', 'Errors', 'Started', 'Duration'].map((c, i) => h('th', { class: i >= 2 && i !== 4 ? 'num' : null }, c)))),
      h('tbody', null, traces.map((t) => h('tr', { ...rowLink(ctx.href(`trace/${t.traceID}`)), dataset: { trace: t.traceID } },
        h('td', null, h('a', { href: ctx.href(`trace/${t.traceID}`) }, `${t.rootService}: ${t.rootName}`), h('div', { class: 'mono muted small' }, t.traceID)),
        h('td', null, [...t.services].map(([svc, n]) => h('span', { class: 'badge', style: `border-left: 3px solid ${colorFor(svc)}` }, `${svc} ${n}`))),
        h('td', { class: 'num' }, t.spanCount),
        h('td', { class: 'num' }, t.errors ? h('span', { class: 'badge bad' }, t.errors) : '0'),
        h('td', { class: 'nowrap' }, fmtTime(t.start / 1000)),
        h('td', { class: 'num' }, fmtDuration(t.duration),
          h('div', { style: `height: 4px; background: #b7c8f0; width: ${Math.max(2, (100 * t.duration) / maxDur)}%; margin-left: auto` }))))))));
  try {
    const dispose = await scatterChart(chart, traces.map((t) => ({ x: t.start / 1e6, y: t.duration / 1000, error: t.errors > 0, id: t.traceID })), {
      yFormat: (v) => fmtDuration(v * 1000), xRange: xRangeOf(range), onPick: (pt) => ctx.go(`trace/${pt.id}`),
    });
    ctx.onCleanup(dispose);
  } catch (e) {
    replace(chart, errorBox(e, 'Drawing the chart'));
  }
}

/** Throws an Error naming the field (err.field) when the tags or a duration cannot be read. */
function checkFilters(tags, minDuration, maxDuration) {
  try { parseTags(tags || ''); } catch (e) { e.field = 'tags'; throw e; }
  for (const [name, value] of [['minDuration', minDuration], ['maxDuration', maxDuration]]) {
    const v = (value || '').trim();
    if (v && !DURATION.test(v)) {
      const e = new Error(`'${name}': "${v}" is not a duration: write a number and a unit, e.g. 250ms, 1.5s, 2m or 1h30m`);
      e.field = name;
      throw e;
    }
  }
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** "a=b c=\"d e\"" to {a: "b", c: "d e"}. */
export function parseTags(text) {
  const out = {};
  // a value is quoted ("d e") or a run of non-space characters that does not start with a quote
  const re = /\s*([^\s="]+)=("([^"]*)"(?=\s|$)|(?!")\S*)/y;
  let m, pos = 0;
  const t = text.trim();
  re.lastIndex = 0;
  while (pos < t.length && (m = re.exec(t))) {
    out[m[1]] = m[3] !== undefined ? m[3] : m[2];
    pos = re.lastIndex;
  }
  if (pos < t.length) throw new Error(`cannot read the tags filter near "${t.slice(pos)}": write key=value pairs separated by spaces (quote values with spaces)`);
  return out;
}

async function loadServices(ctx, select, opSelect, selected, selectedOp) {
  try {
    const body = await api('/api/services', { signal: ctx.signal });
    for (const s of body.data || []) select.append(h('option', { value: s, selected: s === selected }, s));
    if (selected) loadOperations(ctx, opSelect, selected, selectedOp);
  } catch (e) { /* the search result area reports API failures */ }
}

async function loadOperations(ctx, select, service, selected) {
  replace(select, h('option', { value: '' }, 'All operations'));
  if (!service) return;
  try {
    const body = await api(`/api/services/${encodeURIComponent(service)}/operations`, { signal: ctx.signal });
    for (const o of body.data || []) select.append(h('option', { value: o, selected: o === selected }, o));
  } catch (e) { /* as above */ }
}
