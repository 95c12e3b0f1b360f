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
