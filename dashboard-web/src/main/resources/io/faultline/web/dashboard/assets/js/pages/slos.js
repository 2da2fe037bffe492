// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// SLOs: every declared SLO with its error budget, then one SLO in detail: burn rate over the
// standard windows and budget remaining as charts (from the generated recording rules), and the
// state of its multi-window burn-rate alerts as /api/v1/alerts reports them.
import { h, replace, loading, errorBox, empty, fmtPct, fmtTime, rowLink } from '../dom.js';
import { api, settle } from '../api.js';
import { stepFor } from '../time.js';
import { timeChart, toPoints, xRangeOf } from '../chart.js';
import { faultBands, faultLegend } from '../faults.js';
import { esc } from '../red.js';

const ALERT = 'ErrorBudgetBurn';
const EXAMPLE = `alerting:
  sloFiles: [slos.yml]

# slos.yml
slos:
  - name: availability
    service: checkout
    objective: 99.5
    window: 28d`;

export async function render(ctx) {
  const { signal, range } = ctx;
  const listBox = h('div', { class: 'panel', id: 'slo-list' }, h('h2', null, 'Service level objectives'), loading());
  const detail = h('div', { id: 'slo-detail' });
  replace(ctx.root, h('h1', null, 'SLOs'), listBox, detail);

  const [slos, alerts] = await settle([
    api('/api/slos', { signal, what: 'The SLO API' }),
    api('/api/v1/alerts', { signal, what: 'The alerts API' }),
  ]);
  if (signal.aborted) return;
  if (slos.error) {
    if (slos.error.name === 'AbortError') return;
    replace(listBox, h('h2', null, 'Service level objectives'), errorBox(slos.error, 'Listing SLOs'));
    return;
  }
  const all = (slos.value && slos.value.slos) || [];
  if (!all.length) {
    replace(listBox, h('h2', null, 'Service level objectives'),
      empty('No SLOs are declared on this server. Declare them in an SLO file listed under alerting.sloFiles in config.yml; Faultline then records their error ratios, error budget and burn rates and alerts on fast burns.'),
      h('pre', { class: 'mono small' }, EXAMPLE));
    return;
  }
  const firing = alerts.error ? null : ((alerts.value && alerts.value.data && alerts.value.data.alerts) || []).filter((a) => a.labels && a.labels.alertname === ALERT);
  const wanted = ctx.params.get('slo');
  const selected = wanted ? all.find((s) => s.name === wanted || s.id === wanted) : all[0];
  replace(listBox, h('h2', null, `Service level objectives (${all.length})`),
    h('table', { id: 'slo-table' },
      h('thead', null, h('tr', null, ['SLO', 'Service', 'Objective', 'Window', 'Budget remaining', 'Burn rate (1h)', 'Alerts'].map((c, i) =>
        h('th', { class: i >= 2 && i <= 5 && i !== 3 ? 'num' : null, scope: 'col' }, c)))),
      h('tbody', null, all.map((s) => {
        const active = alertStates(s, firing);
        const worst = active.some((a) => a.state === 'firing') ? 'firing' : active.some((a) => a.state === 'pending') ? 'pending' : null;
        return h('tr', { ...rowLink(ctx.href('slos', { slo: s.name })), 'data-slo': s.name, class: `clickable${s === selected ? ' selected' : ''}` },
          h('td', null, h('a', { href: ctx.href('slos', { slo: s.name }) }, s.name)),
          h('td', null, h('a', { href: ctx.href('service', { name: s.service }) }, s.service)),
          h('td', { class: 'num' }, `${s.objective}%`),
          h('td', null, s.window),
          h('td', { class: 'num' }, budgetBadge(s.errorBudgetRemaining)),
          h('td', { class: 'num' }, fmtBurn(s.burnRates && s.burnRates['1h'])),
          h('td', null, worst ? h('span', { class: `badge ${worst === 'firing' ? 'bad' : 'warn'}` }, `${active.filter((a) => a.state === worst).length} ${worst}`)
            : h('span', { class: 'badge ok' }, 'none')));
      }))),
    alerts.error ? errorBox(alerts.error, 'Reading alert states from /api/v1/alerts') : null);
  if (!selected) {
    replace(detail, errorBox(new Error(`There is no SLO named "${wanted}". Pick one from the list above.`)));
    return;
  }
  await showSlo(ctx, detail, selected, firing, range);
}

/** The SLO's four burn-rate alerts, each with its live state from /api/v1/alerts when it has one. */
function alertStates(slo, firing) {
  return (slo.alerts || []).map((a) => {
    const live = (firing || []).find((x) => x.labels.slo === slo.name && x.labels.service === slo.service && x.labels.long === a.longWindow);
    return { ...a, state: live ? live.state : a.state, activeAt: live ? live.activeAt : null, value: live ? live.value : null };
  });
}

async function showSlo(ctx, box, slo, firing, range) {
  const { signal } = ctx;
  const id = `sloth_id="${esc(slo.id || `${slo.service}-${slo.name}`)}"`;
  const windows = Object.keys(slo.errorRatios || {});
  const budget = slo.errorBudget;
  const burnChart = h('div', { class: 'chart', id: 'slo-burn-chart' }, loading());
  const budgetChart = h('div', { class: 'chart', id: 'slo-budget-chart' }, loading());
  const faultNote = h('div');
  const states = alertStates(slo, firing);
  replace(box, h('div', { class: 'panel', id: 'slo-panel', 'data-slo': slo.name },
    h('div', { class: 'row', style: 'align-items: baseline' },
      h('h2', { style: 'margin: 0' }, slo.name),
      h('span', { class: 'muted' }, 'of ', h('a', { href: ctx.href('service', { name: slo.service }) }, slo.service), ` · ${slo.objective}% over ${slo.window}`),
      slo.description ? h('span', { class: 'small muted grow' }, slo.description) : null),
    h('div', { class: 'tiles', id: 'slo-numbers' },
      tile('Error budget remaining', budgetBadge(slo.errorBudgetRemaining, 'big'), meter(slo.errorBudgetRemaining), 'slo-budget'),
      tile('Burn rate now (5m)', h('span', { class: 'big' }, fmtBurn(slo.burnRates && slo.burnRates['5m'])), h('span', { class: 'small muted' }, '1× spends the budget exactly over the window'), 'slo-burn-now'),
      tile(`Burn rate over ${slo.window}`, h('span', { class: 'big' }, fmtBurn(slo.burnRates && slo.burnRates[slo.window])), null, 'slo-burn-period'),
      tile('Error budget', h('span', { class: 'big' }, fmtPct(budget)), h('span', { class: 'small muted' }, `of requests may fail over ${slo.window}`), 'slo-error-budget')),
    h('div', { class: 'cols slo-cols' },
      h('div', null,
        h('div', { class: 'chart-title' }, 'Burn rate by window'), burnChart,
        h('div', { class: 'chart-title', style: 'margin-top: 10px' }, 'Error budget remaining'), budgetChart, faultNote),
      h('div', null,
        h('h3', { style: 'margin-top: 0' }, 'Burn-rate alerts'),
        h('table', { id: 'slo-alerts' },
          h('thead', null, h('tr', null, ['Severity', 'Windows', 'Threshold', 'State', 'Since'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, states.map((a) => h('tr', { 'data-long': a.longWindow, 'data-state': a.state },
            h('td', null, a.severity),
            h('td', { class: 'mono small' }, `${a.longWindow} & ${a.shortWindow}`),
            h('td', null, `${a.factor}×`),
            h('td', null, stateBadge(a.state)),
            h('td', { class: 'small' }, a.activeAt ? fmtTime(Date.parse(a.activeAt)) : '—'))))),
        h('p', { class: 'small muted' }, `An alert fires when the burn rate is above its threshold over both windows (${ALERT}, labels slo="${slo.name}").`),
        h('h3', null, 'By window'),
        h('table', { id: 'slo-windows' },
          h('thead', null, h('tr', null, h('th', null, 'Window'), h('th', { class: 'num' }, 'Error ratio'), h('th', { class: 'num' }, 'Burn rate'))),
          h('tbody', null, windows.map((w) => h('tr', { 'data-window': w }, h('td', null, w),
            h('td', { class: 'num' }, fmtRatio(slo.errorRatios[w])), h('td', { class: 'num' }, fmtBurn(slo.burnRates[w]))))))))));

  const step = stepFor(range, 120);
  const names = windows.map((w) => w.replace(/[^0-9a-z]/g, '')).join('|');
  const burnQuery = `{__name__=~"slo:sli_error:ratio_rate(?:${names})", ${id}} / ${budget}`;
  const budgetQuery = `slo:period_error_budget_remaining:ratio{${id}}`;
  const q = (query) => api('/api/v1/query_range', { params: { query, start: range.start / 1000, end: range.end / 1000, step }, signal, what: 'The metrics (PromQL) API' });
  const faults = faultBands(range, signal).catch(() => ({ bands: [] }));
  const [burn, left] = await settle([q(burnQuery), q(budgetQuery)]);
  const { bands } = await faults;
  if (signal.aborted) return;
  replace(faultNote, faultLegend(bands, ctx.href));
  const order = (w) => windows.indexOf(w);
  if (burn.error) replace(burnChart, errorBox(burn.error, 'Querying burn rates'));
  else {
    const series = (burn.value.data.result || []).map((r) => ({ label: r.metric.sloth_window || '?', points: toPoints(r.values).filter((p) => isFinite(p[1])) }))
      .filter((s) => s.points.length).sort((a, b) => order(a.label) - order(b.label));
    if (!series.length) replace(burnChart, empty(`No burn-rate samples in this time range yet: the SLO's generated rules record them at every evaluation (alerting.sloEvaluationInterval), once ${slo.service} has traffic.`));
    else {
      const xs = series[0].points.map((p) => p[0]);
      series.push({ label: '1× budget', points: [[range.start / 1000, 1], [range.end / 1000, 1], ...xs.map((x) => [x, 1])], color: '#5d6675', dash: [5, 4] });
      await drawChart(ctx, burnChart, series, { yFormat: fmtBurn, yWidth: 80, bands, xRange: xRangeOf(range) });
    }
  }
  if (left.error) replace(budgetChart, errorBox(left.error, 'Querying the error budget'));
  else {
    const points = ((left.value.data.result || [])[0] || {}).values;
    if (!points || !points.length) replace(budgetChart, empty('No error-budget samples in this time range yet.'));
    else await drawChart(ctx, budgetChart, [{ label: 'budget remaining', points: toPoints(points).filter((p) => isFinite(p[1])), color: '#1f9d55' }],
      { height: 150, yFormat: fmtBudget, yWidth: 80, bands, xRange: xRangeOf(range) });
  }
}

async function drawChart(ctx, el, series, opts) {
  try {
    ctx.onCleanup(await timeChart(el, series, { height: 200, ...opts }));
  } catch (e) {
    replace(el, errorBox(e, 'Drawing the chart'));
  }
}

function tile(title, value, note, id) {
  return h('div', { class: 'tile', id }, h('div', { class: 'small muted' }, title), value, note);
}

/** Remaining budget: 1 untouched, 0 spent, negative overspent; null when there was no traffic. */
function budgetBadge(v, cls = '') {
  if (v == null) return h('span', { class: `${cls} muted`, title: 'no traffic in the window yet' }, '—');
  const level = v <= 0 ? 'bad' : v < 0.25 ? 'warn' : 'ok';
  return h('span', { class: `${cls} budget ${level}` }, v < 0 ? `${fmtBudget(v)} (overspent)` : fmtPct(v));
}

function meter(v) {
  if (v == null) return null;
  const w = Math.max(0, Math.min(1, v));
  return h('div', { class: 'meter', role: 'img', 'aria-label': `error budget ${fmtPct(v)} remaining` },
    h('i', { class: v <= 0 ? 'bad' : v < 0.25 ? 'warn' : 'ok', style: `width: ${(w * 100).toFixed(1)}%` }));
}

// an overspent budget reaches thousands of percent: whole percents keep the axis readable
const fmtBudget = (v) => (v == null || !isFinite(v) ? '—' : Math.abs(v) >= 1 ? `${Math.round(v * 100)}%` : fmtPct(v));
const fmtBurn = (v) => (v == null || !isFinite(v) ? '—' : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`);
const fmtRatio = (v) => (v == null ? '—' : v === 0 ? '0%' : v < 0.001 ? `${(v * 100).toPrecision(2)}%` : fmtPct(v));

function stateBadge(state) {
  const cls = state === 'firing' ? 'bad' : state === 'pending' ? 'warn' : state === 'disabled' ? '' : 'ok';
  return h('span', { class: `badge ${cls}` }, state || 'inactive');
}
