// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Metrics explorer: several PromQL queries over the time range, one chart and a table.
import { h, replace, loading, errorBox, empty, fmtNum, colorFor } from '../dom.js';
import { api } from '../api.js';
import { stepFor, promDuration } from '../time.js';
import { timeChart, seriesLabel, toPoints, xRangeOf } from '../chart.js';
import { attachCompletion, loadVocabulary } from '../complete.js';
import { faultBands, faultLegend } from '../faults.js';

const EXAMPLE = 'sum by (service) (rate(traces_spanmetrics_calls_total[1m]))';

export async function render(ctx) {
  const { params, range, signal } = ctx;
  const queries = params.getAll('q').filter((q) => q.trim());
  const editing = queries.length ? [...queries] : [''];
  const list = h('div', { id: 'queries' });
  const run = () => ctx.update({ q: [...list.querySelectorAll('textarea')].map((t) => t.value.trim()).filter(Boolean) });
  const addRow = (value) => {
    const n = list.children.length;
    const ta = h('textarea', { id: `q${n}`, class: 'promql', rows: 1, spellcheck: 'false', value, placeholder: n ? 'another PromQL expression' : EXAMPLE, 'aria-label': `PromQL query ${n + 1}` });
    const err = h('div', { class: 'q-error', id: `q${n}-error` });
    const row = h('div', null, h('div', { class: 'q' }, h('span', { class: 'qn' }, `#${n + 1}`), ta,
      h('button', { type: 'button', 'aria-label': `Remove query ${n + 1}`, onclick: () => { row.remove(); } }, '✕')), err);
    list.append(row);
    attachCompletion(ta, run);
    return ta;
  };
  editing.forEach((q) => addRow(q));
  const vocabNote = h('span', { class: 'small muted' });
  const stepIn = h('input', { id: 'step', size: 5, value: params.get('step') || '', placeholder: promDuration(stepFor(range)) });
  const form = h('form', { class: 'panel', id: 'metrics-form', onsubmit: (e) => { e.preventDefault(); ctx.update({ q: [...list.querySelectorAll('textarea')].map((t) => t.value.trim()).filter(Boolean), step: stepIn.value.trim() }); } },
    list,
    h('div', { class: 'row', style: 'align-items: center' },
      h('button', { class: 'primary', type: 'submit', id: 'run-queries' }, 'Run queries'),
      h('button', { type: 'button', id: 'add-query', onclick: () => addRow('').focus() }, '+ Add query'),
      h('label', { style: 'flex-direction: row; align-items: center; gap: 6px' }, 'Step', stepIn),
      h('span', { class: 'small muted' }, 'Ctrl+Enter runs; type two letters for metric, label and function names.'), vocabNote));
  const chart = h('div', { class: 'chart', id: 'metrics-chart' });
  const tableBox = h('div', { id: 'metrics-table' });
  replace(ctx.root, h('h1', null, 'Metrics'), form, h('div', { class: 'panel' }, chart), h('div', { class: 'panel' }, tableBox));
  loadVocabulary().then((v) => {
    if (v.error) replace(vocabNote, v.error.unavailable ? 'Completion unavailable: the metrics API is not on this server yet.' : `Completion unavailable: ${v.error.message}`);
    else vocabNote.textContent = `${v.metrics.length} metrics known.`;
  });
  if (!queries.length) {
    replace(chart, empty(`Write a PromQL expression and run it, for example ${EXAMPLE}`));
    return;
  }
  replace(chart, loading('Querying…'));
  let step = params.get('step');
  if (!step) step = stepFor(range);
  const faults = faultBands(range, signal).catch(() => ({ bands: [] }));
  const answers = await Promise.allSettled(queries.map((q) => api('/api/v1/query_range', {
    params: { query: q, start: range.start / 1000, end: range.end / 1000, step }, signal, what: 'The metrics (PromQL) API',
  })));
  const { bands } = await faults;
  if (signal.aborted) return;
  const series = [];
  const rows = [];
  answers.forEach((a, i) => {
    const errBox = document.getElementById(`q${i}-error`);
    if (a.status === 'rejected') {
      if (errBox) replace(errBox, errorBox(a.reason, `Query #${i + 1}`));
      return;
    }
    const data = a.value.data || {};
    const result = data.resultType === 'matrix' ? data.result : data.resultType === 'vector'
      ? data.result.map((r) => ({ metric: r.metric, values: [r.value] })) : data.resultType === 'scalar' ? [{ metric: {}, values: [data.result] }] : [];
    if (!result.length && errBox) replace(errBox, h('p', { class: 'small muted' }, `Query #${i + 1} returned no series in this time range.`));
    for (const r of result) {
      const name = `#${i + 1} ${seriesLabel(r.metric, queries[i])}`;
      const points = toPoints(r.values);
      series.push({ label: name, points, color: colorFor(name) });
      const last = points.length ? points[points.length - 1][1] : null;
      rows.push([i + 1, seriesLabel(r.metric, queries[i]), last, points.length]);
    }
  });
  if (!series.length) {
    replace(chart, empty('Nothing to draw.'));
    replace(tableBox);
    return;
  }
  try {
    const dispose = await timeChart(chart, series.slice(0, 60), {
      height: 300, bands, xRange: xRangeOf(range), onRangeSelect: (a, b) => ctx.update({ from: String(a), to: String(b) }),
    });
    ctx.onCleanup(dispose);
    const legend = faultLegend(bands, ctx.href);
    if (legend) chart.after(legend);
  } catch (e) {
    replace(chart, errorBox(e, 'Drawing the chart'));
  }
  replace(tableBox, h('h2', null, `${rows.length} series`, series.length > 60 ? h('span', { class: 'small muted' }, ' (first 60 drawn)') : null),
    h('table', { id: 'series-table' }, h('thead', null, h('tr', null, h('th', null, 'Query'), h('th', null, 'Series'), h('th', { class: 'num' }, 'Last value'), h('th', { class: 'num' }, 'Points'))),
      h('tbody', null, rows.map((r) => h('tr', null, h('td', null, `#${r[0]}`), h('td', { class: 'mono' }, r[1]), h('td', { class: 'num' }, fmtNum(r[2])), h('td', { class: 'num' }, r[3]))))));
}
