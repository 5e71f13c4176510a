// Talks to the daemon: logs in with the one-time token from the URL, keeps the
// session's CSRF token, and sends it with every POST. The session itself is an
// HttpOnly cookie this script cannot read.
let csrf = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function reply(response) {
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const e = body && body.error ? body.error : { code: 'http', message: 'HTTP ' + response.status };
    throw new ApiError(response.status, e.code, e.message);
  }
  return body;
}

// Spends a #token=... from the address (then removes it from the address and
// history), or picks up an existing session. False when neither works.
export async function signIn() {
  const match = /^#token=([0-9a-f]{64})$/.exec(location.hash);
  if (match) {
    history.replaceState(null, '', location.pathname + '#overview');
    const r = await fetch('/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: match[1] }), credentials: 'same-origin',
    });
    if (r.ok) { csrf = (await r.json()).csrf; return true; }
  }
  const r = await fetch('/session', { credentials: 'same-origin' });
  if (!r.ok) return false;
  csrf = (await r.json()).csrf;
  return true;
}

export async function get(path) {
  return reply(await fetch(path, { credentials: 'same-origin' }));
}

export async function post(path, body) {
  const headers = { 'X-CSRF-Token': csrf || '' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return reply(await fetch(path, {
    method: 'POST', headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

// Server-Sent Events from /v1/events: handlers by event type ("progress", "run", "restore").
export function follow(handlers) {
  const source = new EventSource('/v1/events');
  for (const [type, handler] of Object.entries(handlers)) {
    source.addEventListener(type, (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      handler(data);
    });
  }
  return source;
}
