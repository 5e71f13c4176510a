// The dashboard's entry point: signs in, follows the event stream, and shows
// one page at a time (#overview, #history, #browse).
import { signIn, follow, post } from './api.js';
import * as overview from './overview.js';
import * as history from './history.js';
import * as browse from './browse.js';

const message = document.getElementById('message');
function say(text) {
  message.textContent = text;
  message.hidden = !text;
}

let plans = [];
async function showPage() {
  const page = ['overview', 'history', 'browse'].includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview';
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== page;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.dataset.page === page);
  try {
    if (page === 'overview') plans = await overview.refresh();
    if (page === 'history') await history.show(plans.length ? plans : await overview.refresh());
    if (page === 'browse') await browse.show();
  } catch (e) { say(e.message); }
}

async function start() {
  if (!(await signIn())) {
    document.getElementById('login').hidden = false;
    return;
  }
  document.body.dataset.signedIn = 'yes';
  const signOut = document.getElementById('sign-out');
  signOut.hidden = false;
  signOut.addEventListener('click', async () => {
    try { await post('/logout'); } catch (e) { say(e.message); return; }
    location.replace('/');
  });
  overview.init(say);
  browse.init(say);
  window.addEventListener('hashchange', showPage);
  follow({
    progress: (d) => overview.showProgress(d.plan, d.progress, d.paused),
    run: (run) => {
      overview.showRunEnd(run);
      overview.refresh().then((p) => { plans = p; }).catch((e) => say(e.message));
    },
  });
  await showPage();
}

start();
