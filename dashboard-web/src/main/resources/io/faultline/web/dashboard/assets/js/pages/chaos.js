// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Chaos experiments: list, YAML editor with the server's validation messages and plan warnings,
// dry run, run now, runs, the live run view (status, phase, journal, steady-state charts with the
// fault windows shaded) and reports.
import { h, replace, loading, errorBox, empty, fmtTime, fmtNum, unavailable, colorFor } from '../dom.js';
import { api, settle } from '../api.js';
import { stepFor } from '../time.js';
import { timeChart, seriesLabel, toPoints, xRangeOf } from '../chart.js';
import { runBands, faultLegend } from '../faults.js';
import { loadDraft, saveDraft, clearDraft } from '../drafts.js';
import * as red from '../red.js';

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

// How often the run view asks for a running run's state.
const POLL_MS = 2000;

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
        h('td', { class: 'small' }, x.schedule ? h('span', { class: 'mono' }, x.schedule.cron || JSON.stringify(x.schedule)) : '—',
          x.nextRun ? h('div', { class: 'muted next-run' }, `next ${fmtTime(Date.parse(x.nextRun), false).slice(0, 8)}`) : null),
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
  if (runId) showRun(ctx, runBox, runId, () => loadRuns(ctx, runsBox, selected));
}

function drawEditor(ctx, box, experiment, enabled) {
  const initial = experiment ? (experiment.body && (experiment.body.yaml || experiment.body.source)) || JSON.stringify(experiment.body, null, 2) : TEMPLATE;
  const id = experiment && experiment.id;
  // unsaved text is kept in this tab (drafts.js) as it is typed, so an ended session or a reload
  // does not lose it; coming back to this editor brings it back, with a note and a way to drop it
  const draftKey = `chaos-experiment:${id == null ? 'new' : id}`;
  const draft = enabled ? loadDraft(draftKey) : null;
  const restored = draft && draft.text !== initial ? draft : null;
  if (draft && !restored) clearDraft(draftKey); // the same as what is saved: nothing to restore
  let base = initial; // the text the server has, as far as this editor knows
  const editor = h('textarea', { class: 'editor', id: 'experiment-yaml', spellcheck: 'false', 'aria-label': 'Experiment (YAML)', value: restored ? restored.text : initial, disabled: !enabled });
  const keepDraft = () => saveDraft(draftKey, editor.value, base);
  editor.addEventListener('input', keepDraft);
  const draftNote = h('div', { id: 'draft-note' });
  const discard = () => {
    clearDraft(draftKey);
    editor.value = base;
    replace(draftNote);
    editor.focus();
  };
  if (restored) {
    replace(draftNote, h('div', { class: 'state unavailable draft-restored', role: 'status', id: 'draft-restored' },
      `Restored your unsaved changes to this ${id == null ? 'new experiment' : 'experiment'} from ${fmtTime(restored.savedAt, false).slice(0, 8)}; they are not saved yet.`,
      restored.base !== initial && id != null ? ' The saved experiment has changed since you began them: saving replaces it.' : '',
      ' ', h('button', { type: 'button', id: 'discard-draft', onclick: discard }, 'Discard draft')));
  }
  const out = h('div', { id: 'chaos-result', 'aria-live': 'polite' });
  const save = async ({ navigate = true } = {}) => {
    replace(out, loading('Saving…'));
    const text = editor.value;
    try {
      const body = await api(id ? `/api/chaos/experiments/${encodeURIComponent(id)}` : '/api/chaos/experiments', { method: id ? 'PUT' : 'POST', body: text, contentType: 'application/yaml', what: 'The chaos API' });
      const newId = id || (body && body.id);
      // saved: no draft left, unless more was typed while the request was out
      base = text;
      if (id) keepDraft(); else clearDraft(draftKey);
      replace(draftNote);
      replace(out, h('p', { class: 'state empty' }, `Saved${newId ? ` as ${newId}` : ''}.`));
      if (newId && !id && navigate) ctx.update({ experiment: newId });
      return newId;
    } catch (e) {
      replace(out, problemsBox(e, 'Validating the experiment'));
      return null;
    }
  };
  const start = async (dryRun) => {
    // what is in the editor is what runs: unsaved edits are saved (and validated) first
    const target = id && editor.value === base ? id : await save({ navigate: false });
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
      replace(out, problemsBox(e, dryRun ? 'The dry run' : 'Starting the run'));
      if (e.body && e.body.plan) out.append(planView(e.body.plan));
    }
  };
  const known = { slos: [], alerts: [] };
  const knownBox = h('div', { class: 'small', id: 'halt-known' });
  const add = (kind) => {
    const next = addHaltCondition(editor.value, haltSnippet(kind, known));
    if (next == null) {
      replace(out, h('div', { class: 'state unavailable', role: 'status' }, 'haltWhen is written inline here; add this condition to it by hand:',
        h('pre', { class: 'mono small' }, haltSnippet(kind, known))));
      return;
    }
    const at = next.indexOf(haltSnippet(kind, known)) + haltSnippet(kind, known).length;
    editor.value = next;
    editor.focus();
    // the caret after the new condition, scrolled into view, so the author sees what was added
    editor.setSelectionRange(at, at);
    editor.blur();
    editor.focus();
    keepDraft();
  };
  replace(box, h('h2', null, id ? `Edit ${experiment.body && experiment.body.title || id}` : 'New experiment'),
    draftNote,
    editor,
    h('div', { class: 'row', style: 'margin-top: 6px; align-items: center' },
      h('span', { class: 'small muted' }, 'Add a halt condition:'),
      h('button', { type: 'button', id: 'add-halt-promql', disabled: !enabled, onclick: () => add('promql') }, '+ PromQL'),
      h('button', { type: 'button', id: 'add-halt-alert', disabled: !enabled, onclick: () => add('alert') }, '+ Alert firing'),
      h('button', { type: 'button', id: 'add-halt-slo', disabled: !enabled, onclick: () => add('sloBurnRate') }, '+ SLO burn rate')),
    h('div', { class: 'row', style: 'margin-top: 8px' },
      h('button', { type: 'button', class: 'primary', id: 'save-experiment', disabled: !enabled, onclick: save }, id ? 'Save' : 'Create'),
      h('button', { type: 'button', id: 'dry-run', disabled: !enabled, onclick: () => start(true) }, 'Dry run'),
      h('button', { type: 'button', id: 'run-now', disabled: !enabled, onclick: () => start(false) }, 'Run now'),
      id ? h('a', { href: ctx.href('chaos') }, 'New experiment') : null),
    h('p', { class: 'small muted' }, 'The server validates the YAML; its messages appear below. A dry run checks the plan, the steady-state probes and the halt conditions without injecting anything.'),
    out,
    h('details', { class: 'halt-kinds', id: 'halt-kinds' }, h('summary', { class: 'small muted' }, 'Halt condition kinds (haltWhen): promql, trace, http, alert, sloBurnRate'),
      h('dl', null,
        h('dt', null, 'promql'), h('dd', null, 'halts as soon as the query returns any series (write the threshold into it: … > 0.05), or when a value leaves tolerance {min, max}.'),
        h('dt', null, 'trace'), h('dd', null, 'service, measure (errorRatio or latency with percentile), window, tolerance; from span metrics.'),
        h('dt', null, 'http'), h('dd', null, 'url, method, timeout, expectStatus: halts when the answer is wrong or late.'),
        h('dt', null, 'alert'), h('dd', null, 'alert (an alerting rule\'s name) and optional labels: halts while that alert is firing (not merely pending).'),
        h('dt', null, 'sloBurnRate'), h('dd', null, 'slo (a declared SLO\'s name), window (e.g. 5m) and above (e.g. 14.4): halts while the burn rate over that window is higher.')),
      knownBox));
  if (enabled) loadKnown(ctx, known, knownBox);
  return out;
}

/**
 * The server's validation problems ({"errors": ["method[0].type: unknown fault type 'teleport'",
 * ...]} with a 400 or 422, see ChaosResource), each as {where, message}: where is the field path
 * the server put before the message (or an object problem's path, field or line), null when the
 * problem names none. Empty when the error carries no list.
 */
export function problemsOf(err) {
  const body = err && err.body;
  const list = body && (Array.isArray(body.errors) ? body.errors : Array.isArray(body.problems) ? body.problems : null);
  if (!list) return [];
  return list.map((p) => {
    if (typeof p === 'string') {
      // a field path (method[0].parameters.delayMs, rollbacks[1].headers.X Bad, body), then ": "
      const m = /^([A-Za-z_$][\w$-]*(?:\[\d+\]|\.[^.:[\n]+)*): ([\s\S]*)$/.exec(p);
      return m ? { where: m[1], message: m[2] } : { where: null, message: p };
    }
    if (p && typeof p === 'object') {
      const line = p.line != null ? `line ${p.line}${p.column != null ? `, column ${p.column}` : ''}` : null;
      const where = [p.path || p.field || p.location || null, line].filter(Boolean).join(', ') || null;
      return { where, message: String(p.message || p.msg || p.error || p.detail || JSON.stringify(p)) };
    }
    return { where: null, message: String(p) };
  }).filter((p) => p.message || p.where);
}

/**
 * An error as errorBox shows it, except that a list of problems is a list, one problem per item
 * with its location first; one problem, or an error that is a single message, stays text.
 */
function problemsBox(err, what) {
  const problems = problemsOf(err);
  if (!problems.length || (err && err.unavailable)) return errorBox(err, what);
  const status = err.status ? ` (HTTP ${err.status})` : '';
  const item = (p) => [p.where ? h('code', { class: 'problem-at' }, p.where) : null, p.where ? ': ' : '', p.message];
  if (problems.length === 1) {
    return h('div', { class: 'state error', role: 'alert', id: 'experiment-problems', 'data-count': 1 },
      `${what} failed${status}: `, item(problems[0]));
  }
  return h('div', { class: 'state error', role: 'alert', id: 'experiment-problems', 'data-count': problems.length },
    `${what} failed${status}: ${problems.length} problems`,
    h('ul', { class: 'problems' }, problems.map((p) => h('li', { 'data-where': p.where || null }, item(p)))));
}

/** The SLOs and alerting rules this server knows, for the halt-condition snippets and the reference. */
async function loadKnown(ctx, known, box) {
  const [slos, rules] = await settle([
    api('/api/slos', { signal: ctx.signal }),
    api('/api/v1/rules', { params: { type: 'alert' }, signal: ctx.signal }),
  ]);
  if (ctx.signal.aborted) return;
  known.slos = slos.value && slos.value.slos ? slos.value.slos : [];
  const groups = rules.value && rules.value.data && rules.value.data.groups ? rules.value.data.groups : [];
  known.alerts = [...new Set(groups.flatMap((g) => (g.rules || []).filter((r) => r.type === 'alerting').map((r) => r.name)))];
  replace(box,
    h('p', { id: 'known-slos' }, 'SLOs declared on this server: ', slos.error ? h('span', { class: 'muted' }, slos.error.unavailable ? 'no SLO API here' : slos.error.message)
      : known.slos.length ? known.slos.map((s, i) => [i ? ', ' : '', h('code', null, s.name), ` (${s.service})`]) : h('span', { class: 'muted' }, 'none')),
    h('p', { id: 'known-alerts' }, 'Alerting rules: ', rules.error ? h('span', { class: 'muted' }, rules.error.unavailable ? 'no rules API here' : rules.error.message)
      : known.alerts.length ? known.alerts.map((a, i) => [i ? ', ' : '', h('code', null, a)]) : h('span', { class: 'muted' }, 'none')));
}

/** A haltWhen item of the given kind, filled in from what the server declares. */
function haltSnippet(kind, known) {
  const slo = known.slos[0];
  if (kind === 'sloBurnRate') {
    const name = slo ? slo.name : 'availability';
    return `  - name: ${name} budget burning fast\n    type: sloBurnRate\n    slo: ${name}\n    window: 5m\n    above: 14.4`;
  }
  if (kind === 'alert') {
    if (slo && (known.alerts.includes('ErrorBudgetBurn') || !known.alerts.length)) {
      return `  - name: ${slo.name} paging\n    type: alert\n    alert: ErrorBudgetBurn\n    labels: {slo: ${slo.name}, severity: page}`;
    }
    const alert = known.alerts[0] || 'ErrorBudgetBurn';
    return `  - name: ${alert} firing\n    type: alert\n    alert: ${alert}`;
  }
  return '  - name: error storm\n    type: promql\n    query: sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[1m])) > 5';
}

/**
 * Adds a YAML list item to the top-level haltWhen block (creating it at the end when missing).
 * A JSON experiment gets the item as JSON. Returns null when haltWhen is written inline (flow
 * style), which only a YAML parser could edit safely.
 */
export function addHaltCondition(source, snippet) {
  const text = source.replace(/\s+$/, '');
  if (text.startsWith('{')) {
    try {
      const exp = JSON.parse(text);
      exp.haltWhen = [...(exp.haltWhen || []), snippetToObject(snippet)];
      return JSON.stringify(exp, null, 2);
    } catch (e) {
      return null;
    }
  }
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^haltWhen\s*:/.test(l));
  if (at < 0) return `${text}\nhaltWhen:\n${snippet}\n`;
  if (/^haltWhen\s*:\s*\[\s*\]\s*$/.test(lines[at])) lines[at] = 'haltWhen:';
  else if (!/^haltWhen\s*:\s*(#.*)?$/.test(lines[at])) return null;
  let end = at + 1;
  while (end < lines.length && (lines[end].trim() === '' || /^[\s#-]/.test(lines[end]))) end++;
  while (end > at + 1 && lines[end - 1].trim() === '') end--;
  lines.splice(end, 0, snippet);
  return `${lines.join('\n')}\n`;
}

function snippetToObject(snippet) {
  const o = {};
  for (const line of snippet.split('\n')) {
    const m = /^\s*-?\s*([A-Za-z]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2];
    if (/^\{.*\}$/.test(v)) o[m[1]] = Object.fromEntries(v.slice(1, -1).split(',').map((kv) => kv.split(':').map((x) => x.trim())));
    else o[m[1]] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return o;
}

/** The dry run's plan: a verdict, one line per fault, then the whole plan as the server sent it. */
function showPlan(out, plan) {
  replace(out, planView(plan));
}

function planView(plan) {
  if (typeof plan !== 'object' || plan == null) return h('pre', { class: 'mono', id: 'dry-run-plan' }, String(plan));
  const faults = Array.isArray(plan.faults) ? plan.faults : [];
  const probes = Array.isArray(plan.steadyStateNow) ? plan.steadyStateNow : [];
  const halts = Array.isArray(plan.haltWhenNow) ? plan.haltWhenNow : [];
  const warnings = Array.isArray(plan.warnings) ? plan.warnings : [];
  return h('div', { id: 'dry-run-plan' },
    h('h3', null, 'Plan'),
    plan.refused ? h('div', { class: 'state error', role: 'alert', id: 'plan-refused' }, `A run would be refused now: ${plan.refused}`)
      : h('p', { class: 'state empty', id: 'plan-ok' }, `A run could start now: ${faults.length} fault(s) over ${plan.faultWindow || '?'}, recovery within ${plan.recoveryDeadline || '?'}.`),
    warnings.length ? h('div', { class: 'state unavailable', role: 'status', id: 'plan-warnings' },
      h('strong', null, warnings.length === 1 ? 'Warning' : `${warnings.length} warnings`),
      h('ul', { class: 'plan-warnings' }, warnings.map((w) => h('li', null, w)))) : null,
    faults.length ? h('table', { id: 'plan-faults' },
      h('thead', null, h('tr', null, ['Fault', 'Type', 'Target', 'Duration', 'What it does'].map((c) => h('th', null, c)))),
      h('tbody', null, faults.map((f) => h('tr', null, h('td', null, f.name), h('td', { class: 'mono small' }, f.type),
        h('td', null, f.target), h('td', null, f.duration), h('td', { class: 'small' }, f.description))))) : null,
    probes.length ? h('table', { id: 'plan-probes' },
      h('thead', null, h('tr', null, h('th', null, 'Steady state now'), h('th', null, 'Result'))),
      h('tbody', null, probes.map((p) => h('tr', null, h('td', null, p.name || ''),
        h('td', null, statusBadge(p.ok ? 'ok' : 'failing'), ' ', h('span', { class: 'small mono' }, p.detail || (p.value != null ? String(p.value) : ''))))))) : null,
    halts.length ? h('table', { id: 'plan-halts' },
      h('thead', null, h('tr', null, h('th', null, 'Halt condition now'), h('th', null, 'Result'))),
      h('tbody', null, halts.map((p) => h('tr', { 'data-halt': p.name || '' }, h('td', null, p.name || ''),
        h('td', null, h('span', { class: `badge ${p.ok ? 'ok' : 'bad'}` }, p.ok ? 'clear' : 'would halt'), ' ',
          h('span', { class: 'small mono' }, p.detail || (p.value != null ? String(p.value) : ''))))))) : null,
    h('details', null, h('summary', { class: 'small muted' }, 'The plan as JSON'),
      h('pre', { class: 'mono small' }, JSON.stringify(plan, null, 2))));
}

async function loadRuns(ctx, box, experiment) {
  try {
    const runs = list(await api('/api/chaos/runs', { params: { experiment }, signal: ctx.signal }), 'runs');
    const open = ctx.params.get('run');
    replace(box, h('h2', null, `Runs (${runs.length})`), runs.length ? h('table', null,
      h('thead', null, h('tr', null, ['Run', 'Experiment', 'Status', 'Started', ''].map((c) => h('th', null, c)))),
      h('tbody', null, runs.map((r) => {
        const id = r.runId || r.id;
        return h('tr', { class: id === open ? 'selected' : null, 'data-run': id }, h('td', { class: 'mono small' }, h('a', { href: ctx.href('chaos', { experiment: experiment || r.experiment, run: id }) }, id.slice(0, 8))),
          h('td', null, r.title || r.experiment || ''), h('td', null, statusBadge(r.status)),
          h('td', { class: 'small' }, r.startedAt ? fmtTime(Date.parse(r.startedAt)) : ''),
          h('td', null, h('a', { href: `/api/chaos/runs/${encodeURIComponent(id)}/report`, target: '_blank', rel: 'noopener' }, 'report')));
      }))) : empty('No runs yet.'));
  } catch (e) {
    if (e.name !== 'AbortError') replace(box, h('h2', null, 'Runs'), errorBox(e, 'Listing runs'));
  }
}

const statusBadge = (st) => h('span', { class: `badge ${/fail|abort|halt|deviat/i.test(st || '') ? 'bad' : /run|plan|pend/i.test(st || '') ? 'warn' : /succ|pass|ok|done|complete/i.test(st || '') ? 'ok' : ''}` }, st || '?');

const isLive = (run) => run.status === 'pending' || run.status === 'running' || run.status === 'aborting';

/** Where a run is, from its status and journal: [key, words]. */
function phaseOf(run) {
  const seen = new Set((run.journal || []).map((j) => j.event));
  if (run.status === 'pending') return ['pending', 'waiting for the agent to start it'];
  if (run.status === 'aborting') return ['aborting', 'aborting: reverting the faults and running the rollbacks'];
  if (run.status === 'running') {
    if (seen.has('faults.ended')) return ['recovery', 'recovering: waiting for the steady state to hold again'];
    if (seen.has('fault.injected')) return ['faults', 'faults active: halt conditions and the steady state are watched'];
    return ['before', 'checking the steady state before injecting'];
  }
  return ['done', run.verdict || run.reason || run.status];
}

/**
 * The live run view: asks for the run every POLL_MS while it is pending or running and updates
 * status, phase, faults, journal and charts in place (no page reload, no re-render of the page).
 */
async function showRun(ctx, box, runId, onStatusChange) {
  let timer = null;
  let charts = [];
  let lastStatus = null;
  let chartKey = null;
  let chartAt = 0;
  const disposeCharts = () => { charts.forEach((d) => { try { d(); } catch (e) { /* already gone */ } }); charts = []; };
  ctx.onCleanup(() => { clearTimeout(timer); disposeCharts(); });
  const els = {
    status: h('span', { id: 'run-status' }), phase: h('span', { class: 'phase', id: 'run-phase' }), live: h('span', { class: 'small muted', id: 'run-live' }),
    actions: h('span', { class: 'row', style: 'gap: 8px; align-items: center' }), times: h('div', { class: 'small muted', id: 'run-times' }),
    reason: h('div', { id: 'run-reason' }), error: h('div', { id: 'run-error' }), charts: h('div', { id: 'run-charts' }, loading('Loading the steady-state signals…')),
    faults: h('div', { id: 'run-faults' }), hypothesis: h('div', { id: 'run-hypothesis' }), journal: h('div', { id: 'run-journal' }),
  };
  replace(box, loading(`Loading run ${runId}…`));
  let built = false;
  const tick = async () => {
    let run;
    try {
      run = await api(`/api/chaos/runs/${encodeURIComponent(runId)}`, { signal: ctx.signal, what: 'The chaos API' });
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (!built) { replace(box, errorBox(e, `Loading run ${runId}`)); return; }
      // a live view keeps trying through a hiccup, and says so
      replace(els.error, errorBox(e, 'Refreshing the run'));
      timer = setTimeout(tick, POLL_MS * 2);
      return;
    }
    if (ctx.signal.aborted) return;
    if (!built) {
      built = true;
      replace(box, h('div', { class: 'panel', id: 'run-detail', 'data-run': runId },
        h('div', { class: 'row', style: 'align-items: center' }, h('h2', { style: 'margin: 0' }, run.title || `Run ${runId}`), els.status, els.live, els.actions),
        h('p', { style: 'margin: 6px 0' }, h('span', { class: 'muted small' }, 'Phase: '), els.phase), els.times, els.reason, els.error,
        h('h3', null, 'Steady state during the run'), els.charts,
        h('div', { class: 'cols', style: 'grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top: 8px' },
          h('div', null, h('h3', null, 'Faults'), els.faults, h('h3', null, 'Hypothesis'), els.hypothesis),
          h('div', null, h('h3', null, 'Journal'), els.journal))));
    }
    replace(els.error);
    update(ctx, els, run, runId, tick);
    const live = isLive(run);
    const key = JSON.stringify([run.status, (run.faults || []).map((f) => [f.injectedAt, f.revertedAt])]);
    if (key !== chartKey || (live && Date.now() - chartAt > 5 * POLL_MS)) {
      chartKey = key;
      chartAt = Date.now();
      await drawRunCharts(ctx, els.charts, run, disposeCharts, (d) => charts.push(d));
    }
    if (lastStatus && lastStatus !== run.status && onStatusChange) onStatusChange();
    lastStatus = run.status;
    if (live && !ctx.signal.aborted) timer = setTimeout(tick, POLL_MS);
  };
  await tick();
}

function update(ctx, els, run, runId, refresh) {
  const live = isLive(run);
  const [key, words] = phaseOf(run);
  replace(els.status, statusBadge(run.status));
  els.status.dataset.status = run.status;
  els.phase.dataset.phase = key;
  els.phase.textContent = words;
  replace(els.live, live ? [h('i', { class: 'live-dot', 'aria-hidden': 'true' }), `live, updated ${fmtTime(Date.now(), false).slice(0, 8)}`] : 'final');
  replace(els.actions,
    live ? h('button', { type: 'button', id: 'abort-run', onclick: async () => {
      try { await api(`/api/chaos/runs/${encodeURIComponent(runId)}/abort`, { method: 'POST' }); refresh(); } catch (e) { replace(els.error, errorBox(e, 'Aborting')); }
    } }, 'Abort') : null,
    h('a', { href: `/api/chaos/runs/${encodeURIComponent(runId)}/report`, target: '_blank', rel: 'noopener' }, 'Report'));
  const t = (x) => (x ? fmtTime(Date.parse(x)) : '—');
  replace(els.times, `run ${runId} · ${run.trigger || 'manual'}${run.requestedBy ? ` by ${run.requestedBy}` : ''} · created ${t(run.createdAt)} · started ${t(run.startedAt)}`
    + ` · faults ${run.faultStart ? `${t(run.faultStart)} – ${run.faultEnd ? fmtTime(Date.parse(run.faultEnd), false) : '…'}` : '—'} · ended ${t(run.endedAt)}`);
  replace(els.reason, run.haltReason ? errorBox(new Error(run.haltReason), 'Halted')
    : !live && run.status !== 'completed' && run.reason ? errorBox(new Error(run.reason), `Run ${run.status}`) : null);
  const faults = run.faults || [];
  replace(els.faults, faults.length ? h('table', { id: 'run-fault-table' },
    h('thead', null, h('tr', null, ['Fault', 'Type', 'Target', 'Injected', 'Reverted'].map((c) => h('th', null, c)))),
    h('tbody', null, faults.map((f) => h('tr', { 'data-fault': f.name },
      h('td', null, f.name), h('td', { class: 'mono small' }, f.type), h('td', null, f.target),
      h('td', { class: 'small' }, f.injectedAt ? fmtTime(Date.parse(f.injectedAt), false) : '—'),
      h('td', { class: 'small' }, f.revertedAt ? fmtTime(Date.parse(f.revertedAt), false) : f.revertError ? h('span', { class: 'badge bad' }, `failed: ${f.revertError}`) : h('span', { class: 'badge warn' }, 'active'))))))
    : h('p', { class: 'small muted' }, live ? 'No fault injected yet.' : 'No fault was injected.'));
  const hyp = run.hypothesis || {};
  const phases = ['before', 'during', 'after'].filter((p) => (hyp[p] || []).length);
  replace(els.hypothesis, phases.length ? h('table', null, h('tbody', null, phases.map((p) => {
    const checks = hyp[p];
    const bad = checks.filter((c) => !c.ok);
    const last = checks[checks.length - 1];
    return h('tr', null, h('td', null, p), h('td', null, statusBadge(bad.length ? `${bad.length} of ${checks.length} failing` : `${checks.length} ok`)),
      h('td', { class: 'small mono' }, (bad[0] || last).name, ' = ', (bad[0] || last).detail || '—'));
  }))) : h('p', { class: 'small muted' }, 'No checks yet.'));
  const journal = run.journal || [];
  replace(els.journal, journal.length ? h('table', null, h('tbody', null, journal.map((j) => h('tr', { class: 'journal-row', 'data-event': j.event || '' },
    h('td', { class: 'small mono', style: 'white-space: nowrap' }, j.time ? fmtTime(Date.parse(j.time), false) : ''),
    h('td', null, h('span', { class: `badge ${j.level === 'ERROR' ? 'bad' : j.level === 'WARN' ? 'warn' : ''}` }, j.event || j.level || '')),
    h('td', { class: 'small' }, j.message || JSON.stringify(j))))))
    : h('p', { class: 'small muted' }, 'No journal entries yet.'));
}

/** PromQL for one steady-state probe, or null when it has no time series (http). */
function probeQuery(p) {
  if (p.type === 'promql') return p.query;
  if (p.type === 'trace') {
    const extra = `service="${red.esc(p.service)}"${p.operation ? `, span_name="${red.esc(p.operation)}"` : ''}`;
    const win = p.window || '1m';
    return p.measure === 'latency' ? red.quantile(p.percentile || 0.99, 'service', win, extra) : red.errorRatio('service', win, extra);
  }
  return null;
}

/**
 * One chart per steady-state probe over the run's time (with a margin on both sides), the
 * tolerance as dashed lines and the run's fault windows shaded; the targets' request rate when no
 * probe has a time series.
 */
async function drawRunCharts(ctx, box, run, dispose, keep) {
  const now = Date.now();
  const t0 = Date.parse(run.startedAt || run.createdAt) || now;
  const t1 = run.endedAt ? Date.parse(run.endedAt) : now;
  const pad = Math.max(60e3, (t1 - t0) / 4);
  const range = { start: t0 - pad, end: isLive(run) ? now + 15e3 : Math.max(t1 + 5e3, Math.min(now, t1 + pad)) };
  const step = stepFor(range, 150);
  const def = run.experimentDefinition || {};
  let probes = (def.steadyState || []).map((p) => ({ name: p.name, query: probeQuery(p), tolerance: p.tolerance })).filter((p) => p.query);
  if (!probes.length) {
    const targets = (def.targets || []).map((t) => t.service).filter(Boolean);
    if (targets.length) {
      probes = [{ name: `requests per second of ${targets.join(', ')}`, query: red.rate('service', red.windowFor(step), `service=~"${targets.map((t) => red.esc(t).replace(/[.*+?^${}()|[\]]/g, '\\\\$&')).join('|')}"`) }];
    }
  }
  const bands = runBands(run, now);
  if (!probes.length) {
    dispose();
    replace(box, empty('This experiment has no steady-state probe with a time series to chart.'), faultLegend(bands, ctx.href));
    return;
  }
  const answers = await settle(probes.map((p) => api('/api/v1/query_range', {
    params: { query: p.query, start: range.start / 1000, end: range.end / 1000, step }, signal: ctx.signal, what: 'The metrics (PromQL) API',
  })));
  if (ctx.signal.aborted) return;
  dispose();
  const cells = probes.map((p, i) => {
    const el = h('div', { class: 'chart run-chart', id: `run-chart-${i}` });
    return { p, el, answer: answers[i], panel: h('div', { class: 'panel', style: 'margin: 0' }, h('div', { class: 'chart-title' }, p.name), h('div', { class: 'small mono muted', style: 'margin-bottom: 4px; overflow-wrap: anywhere' }, p.query), el) };
  });
  replace(box, h('div', { class: 'run-charts' }, cells.map((c) => c.panel)), faultLegend(bands, ctx.href));
  const xRange = xRangeOf(range);
  for (const { p, el, answer } of cells) {
    if (answer.error) { replace(el, errorBox(answer.error, 'Querying the probe')); continue; }
    const data = answer.value.data || {};
    const result = data.resultType === 'matrix' ? data.result : [];
    const series = result.slice(0, 20).map((r) => {
      const label = seriesLabel(r.metric, 'value');
      return { label, points: toPoints(r.values).filter((x) => isFinite(x[1])), color: colorFor(label) };
    }).filter((s) => s.points.length);
    if (!series.length) { replace(el, empty('No samples of this probe around the run.')); continue; }
    const xs = [...new Set(series.flatMap((s) => s.points.map((x) => x[0])))];
    for (const [k, v] of Object.entries(p.tolerance || {})) {
      if (typeof v === 'number') series.push({ label: `tolerance ${k}`, points: xs.map((x) => [x, v]), color: '#d1343b', dash: [6, 4] });
    }
    try {
      keep(await timeChart(el, series, { height: 190, bands, xRange, yFormat: fmtNum }));
    } catch (e) {
      replace(el, errorBox(e, 'Drawing the chart'));
    }
  }
}
