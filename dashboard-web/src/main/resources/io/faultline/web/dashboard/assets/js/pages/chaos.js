// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Chaos experiments: list, YAML editor with the server's validation messages, dry run, run now,
// runs and their reports.
import { h, replace, loading, errorBox, empty, fmtTime, unavailable } from '../dom.js';
import { api } from '../api.js';

// Faults name a registered injector type (proxy-http, proxy-tcp, chaos-monkey, process) and a
// target among the experiment's targets; a proxy-http fault adds an HTTP toxic to the fault proxy
// named after its target unless parameters.proxy names another.
const TEMPLATE = `title: checkout survives a slow payments service
description: p95 of checkout stays under 1s while payments answers 300 ms late
targets:
  - service: payments
steadyState:
  - name: checkout p95 under 1s
    type: promql
    query: histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{service="checkout"}[1m])))
    tolerance: {max: 1.0}
method:
  - name: slow-payments
    type: proxy-http
    target: payments
    duration: 2m
    parameters: {toxic: http_delay, delayMs: 300}
haltWhen:
  - name: checkout error storm
    type: promql
    query: sum(rate(traces_spanmetrics_calls_total{service="checkout",status_code="STATUS_CODE_ERROR"}[1m])) > 5
`;

// A dry run of a just-created experiment survives the page re-render that selects it.
let carriedPlan = null;

const list = (body, key) => (Array.isArray(body) ? body : (body && (body.data || body[key])) || []);

export async function render(ctx) {
  const { signal } = ctx;
  const experimentsBox = h('div', { class: 'panel', id: 'experiments' }, h('h2', null, 'Experiments'), loading());
  const runsBox = h('div', { class: 'panel', id: 'runs' }, h('h2', null, 'Runs'), loading());
  const editorBox = h('div', { class: 'panel', id: 'chaos-editor' });
  const runBox = h('div', { id: 'run-view' });
  replace(ctx.root, h('h1', null, 'Chaos'), runBox, h('div', { class: 'cols', style: 'grid-template-columns: minmax(0, 1fr) minmax(0, 1fr)' }, h('div', null, experimentsBox, runsBox), editorBox));

  let experiments;
  try {
    experiments = list(await api('/api/chaos/experiments', { signal, what: 'The chaos API' }), 'experiments');
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(experimentsBox, h('h2', null, 'Experiments'), e.unavailable ? unavailable('The chaos API') : errorBox(e, 'Listing experiments'));
    replace(runsBox, h('h2', null, 'Runs'), empty('No runs to show.'));
    drawEditor(ctx, editorBox, null, !e.unavailable);
    return;
  }
  const selected = ctx.params.get('experiment');
  replace(experimentsBox, h('h2', null, `Experiments (${experiments.length})`),
    experiments.length ? h('table', null, h('thead', null, h('tr', null, h('th', null, 'Title'), h('th', null, 'Schedule'), h('th', null, ''))),
      h('tbody', null, experiments.map((x) => h('tr', { class: String(x.id) === selected ? 'selected' : null },
        h('td', null, h('a', { href: ctx.href('chaos', { experiment: x.id }) }, x.title || x.id)),
        h('td', { class: 'mono small' }, x.schedule ? (x.schedule.cron || JSON.stringify(x.schedule)) : '—'),
        h('td', null, h('a', { href: ctx.href('chaos', { experiment: x.id }) }, 'edit'))))))
      : empty('No experiments yet. Write one in the editor.'));
  const current = experiments.find((x) => String(x.id) === selected) || null;
  let source = null;
  if (current) {
    try { source = await api(`/api/chaos/experiments/${encodeURIComponent(current.id)}`, { signal }); } catch (e) { source = current; }
  }
  const out = drawEditor(ctx, editorBox, current ? { id: current.id, body: source } : null, true);
  if (carriedPlan && current && carriedPlan.experiment === String(current.id)) showPlan(out, carriedPlan.plan);
  carriedPlan = null;
  loadRuns(ctx, runsBox, selected);
  const runId = ctx.params.get('run');
  if (runId) showRun(ctx, runBox, runId);
}

function drawEditor(ctx, box, experiment, enabled) {
  const initial = experiment ? (experiment.body && (experiment.body.yaml || experiment.body.source)) || JSON.stringify(experiment.body, null, 2) : TEMPLATE;
  const editor = h('textarea', { class: 'editor', id: 'experiment-yaml', spellcheck: 'false', 'aria-label': 'Experiment (YAML)', value: initial, disabled: !enabled });
  const out = h('div', { id: 'chaos-result', 'aria-live': 'polite' });
  const id = experiment && experiment.id;
  const save = async ({ navigate = true } = {}) => {
    replace(out, loading('Saving…'));
    try {
      const body = await api(id ? `/api/chaos/experiments/${encodeURIComponent(id)}` : '/api/chaos/experiments', { method: id ? 'PUT' : 'POST', body: editor.value, contentType: 'application/yaml', what: 'The chaos API' });
      const newId = id || (body && body.id);
      replace(out, h('p', { class: 'state empty' }, `Saved${newId ? ` as ${newId}` : ''}.`));
      if (newId && !id && navigate) ctx.update({ experiment: newId });
      return newId;
    } catch (e) {
      replace(out, errorBox(e, 'Validating the experiment'));
      return null;
    }
  };
  const start = async (dryRun) => {
    const target = id || (await save({ navigate: false }));
    if (!target) return;
    replace(out, loading(dryRun ? 'Planning a dry run…' : 'Starting the run…'));
    try {
      const body = await api(`/api/chaos/experiments/${encodeURIComponent(target)}/runs`, { method: 'POST', params: dryRun ? { dryRun: 'true' } : null, what: 'The chaos API' });
      const runId = body && (body.runId || body.id);
      if (dryRun && body && body.plan) {
        if (id) showPlan(out, body.plan);
        else { carriedPlan = { experiment: String(target), plan: body.plan }; ctx.update({ experiment: target }); }
      } else if (runId) ctx.update({ experiment: target, run: runId });
      else if (!id) ctx.update({ experiment: target });
    } catch (e) {
      replace(out, errorBox(e, dryRun ? 'The dry run' : 'Starting the run'));
      if (!id && e.body && e.body.plan) out.append(planView(e.body.plan));
    }
  };
  replace(box, h('h2', null, id ? `Edit ${experiment.body && experiment.body.title || id}` : 'New experiment'),
    editor,
    h('div', { class: 'row', style: 'margin-top: 8px' },
      h('button', { type: 'button', class: 'primary', id: 'save-experiment', disabled: !enabled, onclick: save }, id ? 'Save' : 'Create'),
      h('button', { type: 'button', id: 'dry-run', disabled: !enabled, onclick: () => start(true) }, 'Dry run'),
      h('button', { type: 'button', id: 'run-now', disabled: !enabled, onclick: () => start(false) }, 'Run now'),
      id ? h('a', { href: ctx.href('chaos') }, 'New experiment') : null),
    h('p', { class: 'small muted' }, 'The server validates the YAML; its messages appear below. A dry run checks the plan and the steady-state probes without injecting anything.'),
    out);
  return out;
}

/** The dry run's plan: a verdict, one line per fault, then the whole plan as the server sent it. */
function showPlan(out, plan) {
  replace(out, planView(plan));
}

function planView(plan) {
  if (typeof plan !== 'object' || plan == null) return h('pre', { class: 'mono', id: 'dry-run-plan' }, String(plan));
  const faults = Array.isArray(plan.faults) ? plan.faults : [];
  const probes = Array.isArray(plan.steadyStateNow) ? plan.steadyStateNow : [];
  return h('div', { id: 'dry-run-plan' },
    h('h3', null, 'Plan'),
    plan.refused ? h('div', { class: 'state error', role: 'alert', id: 'plan-refused' }, `A run would be refused now: ${plan.refused}`)
      : h('p', { class: 'state empty', id: 'plan-ok' }, `A run could start now: ${faults.length} fault(s) over ${plan.faultWindow || '?'}, recovery within ${plan.recoveryDeadline || '?'}.`),
    faults.length ? h('table', { id: 'plan-faults' },
      h('thead', null, h('tr', null, ['Fault', 'Type', 'Target', 'Duration', 'What it does'].map((c) => h('th', null, c)))),
      h('tbody', null, faults.map((f) => h('tr', null, h('td', null, f.name), h('td', { class: 'mono small' }, f.type),
        h('td', null, f.target), h('td', null, f.duration), h('td', { class: 'small' }, f.description))))) : null,
    probes.length ? h('table', { id: 'plan-probes' },
      h('thead', null, h('tr', null, h('th', null, 'Steady state now'), h('th', null, 'Result'))),
      h('tbody', null, probes.map((p) => h('tr', null, h('td', null, p.name || ''),
        h('td', null, statusBadge(p.ok ? 'ok' : 'failing'), ' ', h('span', { class: 'small mono' }, p.detail || (p.value != null ? String(p.value) : ''))))))) : null,
    h('details', null, h('summary', { class: 'small muted' }, 'The plan as JSON'),
      h('pre', { class: 'mono small' }, JSON.stringify(plan, null, 2))));
}

async function loadRuns(ctx, box, experiment) {
  try {
    const runs = list(await api('/api/chaos/runs', { params: { experiment }, signal: ctx.signal }), 'runs');
    replace(box, h('h2', null, `Runs (${runs.length})`), runs.length ? h('table', null,
      h('thead', null, h('tr', null, ['Run', 'Experiment', 'Status', 'Started', ''].map((c) => h('th', null, c)))),
      h('tbody', null, runs.map((r) => {
        const id = r.runId || r.id;
        return h('tr', null, h('td', { class: 'mono small' }, h('a', { href: ctx.href('chaos', { experiment, run: id }) }, id)),
          h('td', null, r.title || r.experiment || ''), h('td', null, statusBadge(r.status)),
          h('td', { class: 'small' }, r.startedAt ? fmtTime(Date.parse(r.startedAt)) : ''),
          h('td', null, h('a', { href: `/api/chaos/runs/${encodeURIComponent(id)}/report`, target: '_blank', rel: 'noopener' }, 'report')));
      }))) : empty('No runs yet.'));
  } catch (e) {
    if (e.name !== 'AbortError') replace(box, h('h2', null, 'Runs'), errorBox(e, 'Listing runs'));
  }
}

const statusBadge = (st) => h('span', { class: `badge ${/fail|abort|halt/i.test(st || '') ? 'bad' : /run|plan/i.test(st || '') ? 'warn' : /succ|pass|ok|done|complete/i.test(st || '') ? 'ok' : ''}` }, st || '?');

async function showRun(ctx, box, runId) {
  try {
    const run = await api(`/api/chaos/runs/${encodeURIComponent(runId)}`, { signal: ctx.signal, what: 'The chaos API' });
    const running = /run|plan|pending/i.test(run.status || '');
    replace(box, h('div', { class: 'panel', id: 'run-detail' },
      h('div', { class: 'row', style: 'align-items: center' }, h('h2', { style: 'margin: 0' }, `Run ${runId}`), statusBadge(run.status),
        running ? h('button', { type: 'button', onclick: async () => { try { await api(`/api/chaos/runs/${encodeURIComponent(runId)}/abort`, { method: 'POST' }); showRun(ctx, box, runId); } catch (e) { box.append(errorBox(e, 'Aborting')); } } }, 'Abort') : null,
        h('a', { href: `/api/chaos/runs/${encodeURIComponent(runId)}/report`, target: '_blank', rel: 'noopener' }, 'Report')),
      run.haltReason ? errorBox(new Error(run.haltReason), 'Halted') : null,
      run.plan ? [h('h3', null, 'Plan'), h('pre', { class: 'mono' }, typeof run.plan === 'string' ? run.plan : JSON.stringify(run.plan, null, 2))] : null,
      h('h3', null, 'Journal'),
      (run.journal || []).length ? h('table', null, h('tbody', null, run.journal.map((j) => h('tr', null,
        h('td', { class: 'small mono' }, j.time || j.timestamp || ''), h('td', null, j.message || j.event || JSON.stringify(j))))))
        : h('p', { class: 'small muted' }, 'No journal entries yet.')));
    if (running) {
      const t = setTimeout(() => showRun(ctx, box, runId), 3000);
      ctx.onCleanup(() => clearTimeout(t));
    }
  } catch (e) {
    if (e.name !== 'AbortError') replace(box, errorBox(e, `Loading run ${runId}`));
  }
}
