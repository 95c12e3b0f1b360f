// api.js - the one way pages talk to the server: JSON in and out, the
// session's CSRF token on every state-changing request, errors as values.

let csrfToken = sessionStorage.getItem("convene.csrf") || "";

export function setCsrf(token) {
  csrfToken = token || "";
  if (csrfToken) sessionStorage.setItem("convene.csrf", csrfToken);
  else sessionStorage.removeItem("convene.csrf");
}

// Returns {ok, status, data}; data is the parsed JSON body (or null).
// A network failure comes back as status 0 with a readable error.
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    return { ok: false, status: 0, data: { error: { code: "network", message: "The server could not be reached. Check your connection and try again." } } };
  }
  let data = null;
  const type = res.headers.get("Content-Type") || "";
  if (type.startsWith("application/json")) {
    try { data = await res.json(); } catch (e) { data = null; }
  }
  return { ok: res.ok, status: res.status, data };
}

// The message of an API error answer, for people.
export function errorMessage(result) {
  return (result.data && result.data.error && result.data.error.message) ||
    `Something went wrong (HTTP ${result.status}). Please try again.`;
}

// Shows 422 field errors next to their fields: elements with
// data-error-for="field" receive the text. Returns true when any was shown.
export function showFieldErrors(form, result) {
  for (const el of form.querySelectorAll("[data-error-for]")) {
    el.textContent = "";
    el.hidden = true;
  }
  const fields = result.data && result.data.error && result.data.error.fields;
  if (!fields) return false;
  let shown = false;
  for (const [name, message] of Object.entries(fields)) {
    const el = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (el) {
      el.textContent = message;
      el.hidden = false;
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
      shown = true;
    }
  }
  return shown;
}

export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}

export function notice(el, kind, text) {
  el.className = `notice ${kind}`;
  el.textContent = text;
  el.hidden = false;
}
