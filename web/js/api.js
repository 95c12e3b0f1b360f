// api.js - the one way pages talk to the server: JSON in and out, the
// session's CSRF token on every state-changing request, errors as values.
//
// The token comes with log-in and with GET /api/session. It is kept for the tab
// in sessionStorage; when there is none (a new tab, a reload after the
// storage was cleared) or the server refuses it, it is fetched again from
// GET /api/session before the request is (re)sent.
import { t, hasKey } from "./i18n.js";

const STORE = "convene.csrf";
let csrfToken = sessionStorage.getItem(STORE) || "";

export function setCsrf(token) {
  csrfToken = token || "";
  if (csrfToken) sessionStorage.setItem(STORE, csrfToken);
  else sessionStorage.removeItem(STORE);
}

function unsafe(method) {
  return method !== "GET" && method !== "HEAD";
}

async function send(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (unsafe(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    return { ok: false, status: 0, data: { error: { code: "network", message: t("error.network") } } };
  }
  let data = null;
  const type = res.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  return { ok: res.ok, status: res.status, data, headers: res.headers };
}

// The logged-in account, or null when nobody is logged in, from GET
// /api/session (which answers 200 either way, so a visitor's browser logs
// no error). Keeps the CSRF token it carries. A failure comes back as
// {error: result}.
export async function fetchMe() {
  const r = await send("GET", "/api/session");
  if (r.ok && r.data && r.data.authenticated && r.data.account) {
    setCsrf(r.data.csrf_token);
    return { ...r.data.account, csrf_token: r.data.csrf_token };
  }
  if (r.ok && r.data && r.data.authenticated === false) {
    setCsrf("");
    return null;
  }
  return { error: r };
}

async function refreshCsrf() {
  const me = await fetchMe();
  return Boolean(me && !me.error && csrfToken);
}

function errorCode(r) {
  return r.data && r.data.error && r.data.error.code;
}

// Returns {ok, status, data}; data is the parsed JSON body (or null).
// A network failure comes back as status 0 with a readable error.
export async function api(method, path, body) {
  const publicAuth = path.startsWith("/api/auth/") && path !== "/api/auth/logout";
  if (unsafe(method) && !csrfToken && !publicAuth) await refreshCsrf();
  let r = await send(method, path, body);
  if (r.status === 403 && errorCode(r) === "csrf_failed" && (await refreshCsrf())) {
    r = await send(method, path, body);
  }
  return r;
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// The message of an API error answer, for people: the translation of the
// error code when the dictionary has one, else the server's message.
export function errorMessage(result) {
  const err = result && result.data && result.data.error;
  if (err && err.code === "rate_limited" && result.headers && result.headers.get("Retry-After")) {
    return t("error.rate_limited", { seconds: result.headers.get("Retry-After") });
  }
  if (err && err.code && hasKey(`error.${err.code}`)) return t(`error.${err.code}`);
  if (err && err.message) return err.message;
  return t("error.http", { status: result ? result.status : 0 });
}

export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}
