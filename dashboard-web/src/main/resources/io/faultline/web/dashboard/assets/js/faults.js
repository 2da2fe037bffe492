// Copyright The Faultline Authors. SPDX-License-Identifier: Apache-2.0
// Chaos fault windows as chart bands: from the annotations every run writes (any time range) or
// from one run's own fault records (the live run view).
import { api } from './api.js';
import { h, fmtTime } from './dom.js';

/**
 * The fault windows overlapping range: {bands: [{start, end (sec), label, run, experiment, target}],
 * error}. A server without the chaos API has no faults to show, so that is not an error; any other
 * failure is returned for the page to mention next to its (unshaded) charts.
 */
export async function faultBands(range, signal) {
  try {
    const body = await api('/api/chaos/annotations', { params: { start: range.start, end: range.end }, signal, what: 'The chaos API' });
    const now = Date.now();
    const bands = (body && body.data ? body.data : []).filter((a) => a.fault).map((a) => ({
      start: a.time / 1000, end: (a.timeEnd == null ? Math.min(now, range.end) : a.timeEnd) / 1000,
      label: a.fault, fault: a.fault, target: a.target, run: a.run, experiment: a.experiment, active: a.timeEnd == null,
    }));
    return { bands, error: null };
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return { bands: [], error: e.unavailable ? null : e };
  }
}

/** One run's fault windows: injected until reverted, or until now while still injected. */
export function runBands(run, now = Date.now()) {
  const ended = run.endedAt ? Date.parse(run.endedAt) : null;
  return (run.faults || []).filter((f) => f.injectedAt).map((f) => {
    const end = f.revertedAt ? Date.parse(f.revertedAt) : (ended || now);
    return {
      start: Date.parse(f.injectedAt) / 1000, end: end / 1000, label: f.name, fault: f.name, target: f.target,
      run: run.runId, experiment: run.experiment, active: !f.revertedAt,
    };
  });
}

/** A line under charts naming each shaded window, linking to its run. */
export function faultLegend(bands, href) {
  if (!bands.length) return null;
  return h('div', { class: 'fault-legend small', role: 'note' },
    h('i', { class: 'fault-swatch', 'aria-hidden': 'true' }),
    `Shaded: chaos fault window${bands.length > 1 ? 's' : ''} `,
    bands.map((b, i) => h('span', { class: 'fault-item' }, i ? ' · ' : '',
      b.run && href ? h('a', { href: href('chaos', { experiment: b.experiment, run: b.run }) }, b.fault) : b.fault,
      b.target ? ` on ${b.target}` : '', ' ',
      h('span', { class: 'muted' }, `${fmtTime(b.start * 1000, false)}–${b.active ? 'now (active)' : fmtTime(b.end * 1000, false)}`))));
}
