// History: per plan, a bar chart of each run's cost (bytes read, uploaded,
// stored) with its duration, and the checkpoints each target held over time.
// Charts are SVG built node by node.
import { get } from './api.js';
import { bytes, seconds, time, el, svg, clear } from './format.js';

const W = 640, H = 220, PAD = { l: 56, r: 44, t: 10, b: 24 };

function axisText(x, y, text, anchor = 'end') {
  return svg('text', { x, y, 'text-anchor': anchor, class: 'axis' }, text);
}

function runsChart(runs) {
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'cost of each run' });
  runs = runs.slice().reverse();  // oldest first
  if (!runs.length) return el('p', { class: 'muted' }, 'No runs yet.');
  const s = (r) => r.stats || {};
  const maxBytes = Math.max(1, ...runs.map((r) => Math.max(s(r).bytes_read || 0, s(r).bytes_uploaded || 0, s(r).bytes_stored || 0)));
  const dur = (r) => (r.finished_ns && r.started_ns ? (r.finished_ns - r.started_ns) / 1e9 : 0);
  const maxDur = Math.max(1, ...runs.map(dur));
  const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b, slot = iw / runs.length, bw = Math.max(1, slot / 4);
  chart.append(svg('line', { x1: PAD.l, y1: PAD.t + ih, x2: PAD.l + iw, y2: PAD.t + ih, class: 'grid' }));
  chart.append(axisText(PAD.l - 4, PAD.t + 10, bytes(maxBytes)), axisText(PAD.l - 4, PAD.t + ih, '0'));
  chart.append(axisText(W - PAD.r + 4, PAD.t + 10, seconds(maxDur), 'start'));
  const points = [];
  runs.forEach((r, i) => {
    const x0 = PAD.l + i * slot + slot / 8;
    ['bytes_read', 'bytes_uploaded', 'bytes_stored'].forEach((k, j) => {
      const h = ((s(r)[k] || 0) / maxBytes) * ih;
      const bar = svg('rect', { x: x0 + j * bw, y: PAD.t + ih - h, width: bw, height: Math.max(h, 0.5),
        class: k.replace('bytes_', '') });
      bar.append(svg('title', {}, time(r.started_ns) + ': ' + k.replace('_', ' ') + ' ' + bytes(s(r)[k] || 0)));
      chart.append(bar);
    });
    points.push(`${x0 + 1.5 * bw},${PAD.t + ih - (dur(r) / maxDur) * ih}`);
  });
  chart.append(svg('polyline', { points: points.join(' '), class: 'duration' }));
  return chart;
}

function checkpointsChart(checkpoints) {
  if (!checkpoints.length) return el('p', { class: 'muted' }, 'No checkpoints yet.');
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'checkpoints per target' });
  const byTarget = new Map();
  for (const c of checkpoints.slice().sort((a, b) => a.time_ns - b.time_ns)) {
    if (!byTarget.has(c.target)) byTarget.set(c.target, []);
    byTarget.get(c.target).push(c.time_ns);
  }
  // Nanoseconds since 1970 exceed a double's exact integers: a span of at least a second keeps x finite.
  const t0 = Math.min(...checkpoints.map((c) => c.time_ns));
  const t1 = Math.max(t0 + 1e9, ...checkpoints.map((c) => c.time_ns));
  const maxN = Math.max(...[...byTarget.values()].map((v) => v.length));
  const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b;
  const x = (t) => PAD.l + ((t - t0) / (t1 - t0)) * iw, y = (n) => PAD.t + ih - (n / maxN) * ih;
  chart.append(svg('line', { x1: PAD.l, y1: PAD.t + ih, x2: PAD.l + iw, y2: PAD.t + ih, class: 'grid' }));
  chart.append(axisText(PAD.l - 4, PAD.t + 10, String(maxN)), axisText(PAD.l - 4, PAD.t + ih, '0'));
  chart.append(axisText(PAD.l, H - 6, time(t0), 'start'), axisText(PAD.l + iw, H - 6, time(t1)));
  let k = 0;
  for (const [target, times] of byTarget) {
    let d = `M ${x(times[0])} ${y(0)}`;
    times.forEach((t, i) => { d += ` L ${x(t)} ${y(i)} L ${x(t)} ${y(i + 1)}`; });
    d += ` L ${PAD.l + iw} ${y(times.length)}`;
    const line = svg('path', { d, class: 'series s' + (k % 4) });
    line.append(svg('title', {}, target + ': ' + times.length + ' checkpoints'));
    chart.append(line, svg('text', { x: PAD.l + iw + 4, y: y(times.length) + 4, class: 'axis s' + (k % 4) }, target));
    k++;
  }
  return chart;
}

function table(runs) {
  const body = clear(document.querySelector('#runs-table tbody'));
  for (const r of runs) {
    const s = r.stats || {};
    body.append(el('tr', {}, el('td', {}, time(r.started_ns)), el('td', {}, el('span', { class: 'badge ' + r.status }, r.status)),
      el('td', { class: 'num' }, bytes(s.bytes_read || 0)), el('td', { class: 'num' }, bytes(s.bytes_uploaded || 0)),
      el('td', { class: 'num' }, bytes(s.bytes_stored || 0)),
      el('td', { class: 'num' }, r.finished_ns ? seconds((r.finished_ns - r.started_ns) / 1e9) : '–')));
  }
}

export async function show(plans) {
  const select = document.getElementById('history-plan');
  if (select.options.length !== plans.length) {
    clear(select);
    for (const p of plans) select.append(el('option', { value: p.name }, p.name));
    select.onchange = () => show(plans);
  }
  const plan = select.value;
  if (!plan) return;
  const q = encodeURIComponent(plan);
  const [{ runs }, { checkpoints }] = await Promise.all([get('/v1/runs?limit=60&plan=' + q), get('/v1/checkpoints?plan=' + q)]);
  // Another plan was picked while these were on their way: its own show() draws it, and
  // an answer that arrives late must not paint over it.
  if (select.value !== plan) return;
  clear(document.getElementById('runs-chart')).append(runsChart(runs));
  clear(document.getElementById('checkpoints-chart')).append(checkpointsChart(checkpoints));
  table(runs);
}
