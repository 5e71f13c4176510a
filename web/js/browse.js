// Browse a checkpoint like a file manager, see what changed against the
// previous checkpoint, and restore a file or folder to a chosen path.
import { get, post, ApiError } from './api.js';
import { bytes, time, mode, el, clear } from './format.js';

let checkpoint = null;  // the selected checkpoint row
let path = '';          // where in it ("" = its sources)
let report = () => {};

const join = (dir, name) => (dir ? dir + '/' + name : name);

function crumbs() {
  const nav = clear(document.getElementById('crumbs'));
  const go = (p) => el('a', { href: '#browse', onclick: (e) => { e.preventDefault(); open(p); } });
  const root = go('');
  root.textContent = checkpoint.id.slice(0, 8);
  nav.append(root);
  let sofar = '';
  for (const part of path ? path.split('/') : []) {
    sofar = join(sofar, part);
    const a = go(sofar);
    a.textContent = part;
    nav.append(' / ', a);
  }
  nav.append(' ', el('button', { type: 'button', class: 'small', onclick: () => restoreForm(path) },
    path ? 'Restore this folder…' : 'Restore everything…'));
}

function row(entry) {
  const full = join(path, entry.name);
  const name = entry.type === 'dir'
    ? el('a', { href: '#browse', onclick: (e) => { e.preventDefault(); open(full); } }, entry.name + '/')
    : el('span', {}, entry.name + (entry.type === 'symlink' ? ' → ' + entry.link_target : ''));
  return el('tr', { 'data-name': entry.name },
    el('td', { class: 'icon' }, entry.type === 'dir' ? '▸' : entry.type === 'symlink' ? '↪' : '·'),
    el('td', { class: 'name' }, name),
    el('td', { class: 'num' }, entry.type === 'dir' ? '' : bytes(entry.size)),
    el('td', {}, time(entry.mtime_ns)),
    el('td', { class: 'mode' }, mode(entry.mode, entry.type)),
    el('td', {}, el('button', { type: 'button', class: 'small', 'data-action': 'restore', onclick: () => restoreForm(full) }, 'Restore…')));
}

async function open(p) {
  path = p;
  const q = new URLSearchParams({ path, target: checkpoint.target });
  try {
    const tree = await get('/v1/checkpoints/' + checkpoint.id + '/tree?' + q);
    crumbs();
    const body = clear(document.querySelector('#entries tbody'));
    for (const e of tree.entries) body.append(row(e));
  } catch (e) { report(e.message); }
}

async function diff() {
  const summary = document.getElementById('diff-summary');
  const body = clear(document.querySelector('#diff tbody'));
  summary.textContent = '';
  try {
    const d = await get('/v1/checkpoints/' + checkpoint.id + '/diff?target=' + encodeURIComponent(checkpoint.target));
    const s = d.summary;
    summary.textContent = `Against ${d.against.slice(0, 8)}: ${s.added} added, ${s.removed} removed, ` +
      `${s.changed} changed, ${s.metadata} metadata only; +${bytes(s.bytes_added)} −${bytes(s.bytes_removed)}` +
      (d.truncated ? ' (list cut short)' : '');
    const sign = { added: '+', removed: '−', content: 'M', metadata: 'U', type: '~' };
    for (const c of d.changes)
      body.append(el('tr', { class: 'change ' + c.change }, el('td', { class: 'icon' }, sign[c.change] || '?'),
        el('td', { class: 'name' }, c.path), el('td', { class: 'num' }, c.change === 'removed' ? bytes(c.old_size) : bytes(c.new_size))));
  } catch (e) {
    summary.textContent = e instanceof ApiError && e.status === 404 ? 'This is the first checkpoint of its plan on ' + checkpoint.target + '.' : e.message;
  }
}

let restoreWhat = '';
function restoreForm(p) {
  restoreWhat = p;
  const form = document.getElementById('restore-form');
  document.getElementById('restore-what').textContent = p || 'everything';
  document.getElementById('restore-state').textContent = '';
  document.getElementById('restore-progress').hidden = true;
  form.hidden = false;
  document.getElementById('restore-to').focus();
}

function restoreProgress(r) {
  const bar = document.getElementById('restore-progress');
  const state = document.getElementById('restore-state');
  const p = r.progress || {};
  bar.hidden = false;
  if (r.state === 'done') bar.value = 1;
  else if (p.bytes_total > 0) bar.value = Math.min(1, p.bytes_done / p.bytes_total);
  else bar.removeAttribute('value');
  const rep = r.report || {};
  state.dataset.state = r.state;
  state.textContent = r.state === 'failed' ? 'failed: ' + (r.error || 'unknown error')
    : r.state === 'done' ? 'done' + (rep.files !== undefined ? ': ' + rep.files + ' files, ' + bytes(rep.bytes || 0) : '')
    : 'restoring: ' + bytes(p.bytes_done || 0) + (p.bytes_total ? ' of ' + bytes(p.bytes_total) : '');
}

async function restore(e) {
  e.preventDefault();
  const to = document.getElementById('restore-to').value.trim();
  if (!to.startsWith('/')) { report('The destination must be an absolute path.'); return; }
  try {
    const body = { checkpoint: checkpoint.id, plan: checkpoint.plan, target: checkpoint.target, to };
    if (restoreWhat) body.paths = [restoreWhat];
    let r = await post('/v1/restores', body);
    restoreProgress(r);
    while (r.state === 'running') {
      await new Promise((ok) => setTimeout(ok, 300));
      r = await get('/v1/restores/' + encodeURIComponent(r.id));
      restoreProgress(r);
    }
  } catch (err) {
    restoreProgress({ state: 'failed', error: err.message });
  }
}

export async function show() {
  const select = document.getElementById('browse-checkpoint');
  const { checkpoints } = await get('/v1/checkpoints');
  const chosen = select.value;
  clear(select);
  for (const c of checkpoints)
    select.append(el('option', { value: c.id + ' ' + c.target }, `${c.plan} · ${c.target} · ${time(c.time_ns)} · ${c.id.slice(0, 8)}`));
  if (chosen) select.value = chosen;
  if (!select.value) {
    clear(document.querySelector('#entries tbody'));
    document.getElementById('diff-summary').textContent = 'No checkpoints yet.';
    return;
  }
  const pick = () => {
    const [id, target] = select.value.split(' ');
    checkpoint = checkpoints.find((c) => c.id === id && c.target === target);
    document.getElementById('restore-form').hidden = true;
    open('');
    diff();
  };
  select.onchange = pick;
  pick();
}

export function init(onError) {
  report = onError;
  document.getElementById('restore-form').addEventListener('submit', restore);
  document.getElementById('restore-close').addEventListener('click', () => { document.getElementById('restore-form').hidden = true; });
}
