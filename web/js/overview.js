// Overview: every plan with its schedule, next and last run, and a live
// progress bar fed by the event stream; run, cancel, pause and resume.
import { get, post } from './api.js';
import { bytes, seconds, time, el, clear } from './format.js';

const bars = new Map();      // plan -> {box, label, bar, detail}
const finished = new Map();  // plan -> the last run event seen on this page
let report = () => {};

function progressBox(name) {
  const label = el('span', { class: 'progress-label' }, 'idle');
  const bar = el('progress', { max: 1, value: 0, 'aria-label': 'progress of ' + name });
  const detail = el('span', { class: 'progress-detail muted' });
  const box = el('div', { class: 'progress', 'data-state': 'idle' }, label, bar, detail);
  bars.set(name, { box, label, bar, detail });
  return box;
}

// One progress object (docs/API.md, runs/current) into the plan's bar.
export function showProgress(plan, progress, paused) {
  const b = bars.get(plan);
  if (!b) return;
  const p = progress || {};
  b.box.dataset.state = paused ? 'paused' : 'running';
  b.label.textContent = paused ? 'paused: ' + paused : (p.phase || 'starting');
  if (p.bytes_total > 0) b.bar.value = Math.min(1, p.bytes_done / p.bytes_total);
  else b.bar.removeAttribute('value');  // indeterminate until the totals are counted
  const parts = [
    'files ' + (p.files_done || 0) + (p.files_total ? ' of ' + p.files_total : ''),
    bytes(p.bytes_done || 0) + (p.bytes_total ? ' of ' + bytes(p.bytes_total) : '') + ' read',
    bytes(p.bytes_uploaded || 0) + ' uploaded' + (p.bytes_to_upload ? ', ' + bytes(p.bytes_to_upload) + ' to upload' : ''),
    bytes(p.rate_bytes_per_second || 0) + '/s',
    'ETA ' + seconds(p.eta_seconds),
  ];
  // With more than one target, each one's uploads: a slow link shows.
  const perTarget = Object.entries(p.uploaded_by_target || {});
  if (perTarget.length > 1) parts.push(perTarget.map(([t, n]) => t + ' ' + bytes(n)).join(', '));
  b.detail.textContent = parts.join(' · ');
}

export function showRunEnd(run) {
  finished.set(run.plan, run);
  const b = bars.get(run.plan);
  if (!b) return;
  const ok = run.status === 'ok' || run.status === 'skipped';
  b.box.dataset.state = ok ? 'done' : 'failed';
  b.label.textContent = ok ? 'done' : run.status + (run.error ? ': ' + run.error : '');
  b.bar.value = ok ? 1 : 0;
  const uploaded = (run.targets || []).reduce((s, t) => s + (t.bytes_uploaded || 0), 0);
  b.detail.textContent = bytes(uploaded) + ' uploaded';
}

function action(label, path, title) {
  return el('button', {
    type: 'button', 'data-action': label.toLowerCase().replace(' ', '-'), title,
    onclick: async () => {
      try { await post(path); await refresh(); } catch (e) { report(e.message); }
    },
  }, label);
}

function card(p) {
  const last = p.last_run;
  const targets = el('ul', { class: 'targets' }, ...p.targets.map((t) => !p.checkpoints_listed
    ? el('li', {}, t.target + ': checkpoints are not listed on this machine (write-only)')
    : el('li', {}, t.target + ': ' + t.checkpoints + ' checkpoint' + (t.checkpoints === 1 ? '' : 's') +
      (t.checkpoints ? ', newest ' + time(t.newest_ns) + ' (' + bytes(t.newest_bytes) + ')' : ''))));
  const took = last && last.finished_ns ? seconds((last.finished_ns - last.started_ns) / 1e9) : '';
  const enc = encodeURIComponent(p.name);
  return el('article', { class: 'plan', 'data-plan': p.name },
    el('div', { class: 'row' }, el('h2', {}, p.name),
      el('span', { class: 'badge ' + (last ? last.status : 'never') }, last ? last.status : 'never run'),
      // a cancelled run after failures: the plan still does not work
      p.failing && last && last.status === 'cancelled'
        ? el('span', { class: 'badge failed', title: 'The last run that finished failed' }, 'still failing') : null),
    el('dl', {},
      el('dt', {}, 'Schedule'), el('dd', {}, p.schedule || 'by hand'),
      el('dt', {}, 'Next run'), el('dd', {}, p.next_run_ns ? time(p.next_run_ns) : '–'),
      el('dt', {}, 'Last run'), el('dd', {}, last ? time(last.started_ns) + (took ? ', took ' + took : '') +
        (last.error ? ' — ' + last.error : '') : '–'),
      el('dt', {}, 'Targets'), el('dd', {}, targets)),
    progressBox(p.name),
    el('div', { class: 'actions' },
      action('Run now', '/v1/plans/' + enc + '/run', 'Start this plan now'),
      action('Cancel', '/v1/plans/' + enc + '/cancel', 'Cancel its run; nothing half-written is kept'),
      action('Pause', '/v1/plans/' + enc + '/pause', 'Hold reading and uploads'),
      action('Resume', '/v1/plans/' + enc + '/resume', 'Go on')));
}

export async function refresh() {
  const [{ plans }, daemon] = await Promise.all([get('/v1/plans'), get('/v1/daemon')]);
  const list = clear(document.getElementById('plans'));
  bars.clear();
  for (const p of plans) {
    list.append(card(p));
    if (p.running) showProgress(p.name, p.progress, p.paused);
    else if (finished.has(p.name)) showRunEnd(finished.get(p.name));
  }
  document.getElementById('daemon-state').textContent = daemon.paused ? 'paused: ' + daemon.why : '';
  return plans;
}

export function init(onError) {
  report = onError;
  for (const [id, path] of [['pause-all', '/v1/pause'], ['resume-all', '/v1/resume']])
    document.getElementById(id).addEventListener('click', async () => {
      try { await post(path); await refresh(); } catch (e) { report(e.message); }
    });
}
