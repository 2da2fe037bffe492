// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Log explorer: Lucene query, histogram, results, field facets and live tail.
import { h, s, replace, loading, errorBox, empty, fmtTime, fmtNum, markFirstChart } from '../dom.js';
import { api, withParams } from '../api.js';
import { stepFor, promDuration } from '../time.js';
import { logRows, logTable } from '../logtable.js';

export async function render(ctx) {
  const { params, range, signal } = ctx;
  const query = params.get('query') || '';
  const live = params.get('live') === '1';
  const input = h('input', { id: 'log-query', class: 'code grow', name: 'query', value: query, placeholder: 'service:checkout AND severity:ERROR AND "timeout"', 'aria-label': 'Log query (Lucene syntax)' });
  const form = h('form', { class: 'panel', id: 'log-search', onsubmit: (e) => { e.preventDefault(); ctx.update({ query: input.value.trim() }); } },
    h('div', { class: 'row', style: 'align-items: center' }, input,
      h('button', { class: 'primary', type: 'submit', id: 'search-logs' }, 'Search'),
      h('button', { type: 'button', id: 'live-tail', 'aria-pressed': String(live), onclick: () => ctx.update({ live: live ? '' : '1' }) }, live ? '■ Stop live tail' : '▶ Live tail')),
    h('div', { class: 'small muted', style: 'margin-top: 4px' }, 'Lucene syntax over body, service, severity, trace_id, span_id, attributes.<key>, resource.<key>. Example: severity:ERROR AND attributes.http.route:"/pay"'));
  const msg = h('div', { id: 'log-error' });
  const hist = h('div', { class: 'panel', id: 'log-histogram' }, loading('Counting…'));
  const facets = h('div', { class: 'panel facet', id: 'log-facets' }, h('h2', null, 'Fields'), loading());
  const results = h('div', { class: 'panel', id: 'log-results' }, loading('Searching logs…'));
  replace(ctx.root, h('h1', null, 'Logs'), form, msg, hist, h('div', { class: 'cols' }, facets, results));
  if (live) {
    startTail(ctx, query, results);
    replace(hist, h('p', { class: 'small muted' }, 'Live tail: new records appear at the top as they arrive.'));
    replace(facets, h('h2', null, 'Fields'), h('p', { class: 'small muted' }, 'Stop the live tail to see field facets.'));
    return;
  }
  const base = { query, start: range.start, end: range.end };
  const step = promDuration(stepFor(range, 80));
  const [logs, histogram, fields] = await Promise.allSettled([
    api('/api/logs', { params: { ...base, limit: 200, direction: 'backward' }, signal, what: 'The logs API' }),
    api('/api/logs/histogram', { params: { ...base, step }, signal, what: 'The logs API' }),
    api('/api/logs/fields', { params: base, signal, what: 'The logs API' }),
  ]);
  if (signal.aborted) return;
  if (logs.status === 'rejected') {
    const e = logs.reason;
    if (e.unavailable) {
      replace(msg, errorBox(e, 'Searching logs'));
      hist.remove(); replace(facets, h('h2', null, 'Fields')); replace(results, empty('No logs to show.'));
      return;
    }
    // A query syntax error comes back as 400 with the parser's message: show it by the query box.
    // Anything else (the server down, a 500) is not the query's fault: do not send the user to fix it.
    const badQuery = e.status === 400;
    replace(msg, errorBox(e, badQuery ? 'The query' : 'Searching logs'));
    if (badQuery) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    hist.remove(); replace(facets, h('h2', null, 'Fields'));
    replace(results, empty(badQuery ? 'Fix the query above to see logs.' : 'No logs to show: the search failed (see above).'));
    return;
  }
  const body = logs.value || {};
  const list = body.logs || [];
  replace(results, h('h2', null, `${fmtNum(body.total != null ? body.total : list.length)} matching records`, list.length < (body.total || 0) ? h('span', { class: 'small muted' }, ` (newest ${list.length} shown)`) : null),
    list.length ? logTable(list, ctx) : empty('No log records match this query in this time range.'));
  if (histogram.status === 'fulfilled') drawHistogram(ctx, hist, histogram.value.buckets || [], range, step);
  else replace(hist, errorBox(histogram.reason, 'Counting logs over time'));
  if (fields.status === 'fulfilled') drawFacets(ctx, facets, fields.value.fields || [], query);
  else replace(facets, h('h2', null, 'Fields'), errorBox(fields.reason, 'Loading field values'));
}

function drawHistogram(ctx, box, buckets, range, step) {
  const W = 1000, H = 90;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const stepMs = buckets.length > 1 ? buckets[1].start - buckets[0].start : (range.end - range.start) / 80;
  const x = (t) => ((t - range.start) / (range.end - range.start)) * W;
  const bw = Math.max(1, x(range.start + stepMs) - 1);
  const total = buckets.reduce((a, b) => a + b.count, 0);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H + 16}`, preserveAspectRatio: 'none', class: 'hist', style: 'width: 100%; height: 110px', role: 'img', 'aria-label': `log records per ${step}` },
    buckets.map((b) => s('rect', { x: x(b.start).toFixed(1), y: (H - (b.count / max) * H).toFixed(1), width: bw.toFixed(1), height: ((b.count / max) * H).toFixed(1) },
      s('title', null, `${fmtTime(b.start)}: ${b.count}`))));
  replace(box, h('div', { class: 'row small muted', style: 'justify-content: space-between' },
    h('span', null, `${fmtNum(total)} records, per ${step} (max ${fmtNum(max)})`),
    h('span', null, `${fmtTime(range.start)} – ${fmtTime(range.end)}`)), svg);
  markFirstChart();
}

function drawFacets(ctx, box, fields, query) {
  const add = (name, value) => {
    const term = `${name}:"${String(value).replace(/"/g, '\\"')}"`;
    ctx.update({ query: query ? `${query} AND ${term}` : term });
  };
  const shown = fields.filter((f) => !['trace_id', 'span_id', 'body', 'timestamp'].includes(f.name) && (f.values || []).length);
  replace(box, h('h2', null, 'Fields'),
    shown.length ? shown.map((f) => h('div', null, h('h3', null, f.name),
      f.values.slice(0, 8).map((v) => h('button', { type: 'button', title: `Add ${f.name}:"${v.value}" to the query`, onclick: () => add(f.name, v.value) },
        h('span', null, String(v.value)), h('span', { class: 'muted' }, fmtNum(v.count))))))
      : h('p', { class: 'small muted' }, 'No field values.'));
}

function startTail(ctx, query, box) {
  const status = h('p', { class: 'small muted', id: 'tail-status', role: 'status' }, 'Connecting…');
  const tbody = h('tbody');
  let count = 0;
  replace(box, h('h2', null, 'Live tail'), status,
    h('table', { class: 'logs' }, h('thead', null, h('tr', null, ['Time', 'Level', 'Service', 'Message', ''].map((c) => h('th', null, c)))), tbody));
  const es = new EventSource(withParams('/api/logs/tail', { query }));
  ctx.onCleanup(() => es.close());
  es.onopen = () => { status.textContent = `Following${query ? ` "${query}"` : ' all logs'}…`; };
  // the logs API names its events "log"; unnamed ones are accepted too
  const onRecord = (ev) => {
    let data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    const logs = Array.isArray(data) ? data : data.logs || [data];
    const rows = logRows(logs, ctx);
    tbody.prepend(...rows);
    count += logs.length;
    status.textContent = `Following${query ? ` "${query}"` : ' all logs'}: ${count} new record${count === 1 ? '' : 's'}.`;
    while (tbody.children.length > 1000) tbody.lastChild.remove();
  };
  es.addEventListener('log', onRecord);
  es.onmessage = onRecord;
  es.onerror = async () => {
    if (es.readyState !== EventSource.CLOSED) { status.textContent = 'Connection lost; reconnecting…'; return; }
    try {
      await api(withParams('/api/logs/tail', { query }), { signal: ctx.signal, what: 'Live tail' });
      replace(status, 'The live tail ended.');
    } catch (e) {
      if (e.name !== 'AbortError') replace(box, h('h2', null, 'Live tail'), errorBox(e, 'Live tail'));
    }
  };
}
