// url.js - checks on addresses (no DOM: the tests load it in node too).

// Where to go after logging in: `next` when it is a path on this site
// ("/x?y#z"), else the home page. Refuses other sites ("//host/x",
// "/\host", "https://..."), other schemes and the log-in page itself.
export function safeNext(next, origin) {
  const home = "/index.html";
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") ||
      next.startsWith("/\\") || /[\u0000-\u001f\\]/.test(next)) {
    return home;
  }
  try {
    const u = new URL(next, origin);
    if (u.origin !== new URL(origin).origin) return home;
    if (u.pathname === "/login.html") return home;
    return u.pathname + u.search + u.hash;
  } catch (e) {
    return home;
  }
}

// The page to come back to after confirming a new account's address (the
// activity sign-up started from): remembered in this browser for a week
// while the confirmation email travels. Only same-site paths (safeNext).
const RETURN_KEY = "convene.after_verify";
const RETURN_DAYS = 7;

export function rememberReturn(next, origin, storage = globalThis.localStorage) {
  const path = safeNext(next, origin);
  if (!storage || path === "/index.html") return;
  try {
    storage.setItem(RETURN_KEY, JSON.stringify({ path, at: Date.now() }));
  } catch (e) {
    // Storage full or refused: the person finds the activity again.
  }
}

// The remembered path (or `next` from the address when given), else null.
export function returnPath(next, origin, storage = globalThis.localStorage) {
  if (next) {
    const path = safeNext(next, origin);
    return path === "/index.html" ? null : path;
  }
  try {
    const v = storage ? JSON.parse(storage.getItem(RETURN_KEY) || "null") : null;
    if (!v || typeof v.path !== "string" || Date.now() - Number(v.at) > RETURN_DAYS * 86400000) return null;
    const path = safeNext(v.path, origin);
    return path === "/index.html" ? null : path;
  } catch (e) {
    return null;
  }
}

export function forgetReturn(storage = globalThis.localStorage) {
  try {
    if (storage) storage.removeItem(RETURN_KEY);
  } catch (e) {
    // Nothing to forget.
  }
}
