// lib.mjs - what the browser tests share: the browser, page checks (axe,
// screenshots at two sizes, horizontal overflow at 360 px, console and CSP
// errors, API errors) and the mail catcher.
//
// axe runs on every state a test visits: settle() (which every test calls
// once a state is ready) runs it, checkPage() runs it at both sizes, and
// assertNoProblems() runs it on the final state of every open page.
//
// API answers: a 5xx always fails the test; a 4xx fails it unless the test
// allowed it (allowApi) because it provokes it on purpose. None is allowed
// everywhere: every page asks who is logged in with GET /api/session, which
// answers a visitor 200 {"authenticated": false}. An answer a test fakes with
// context.route carries the header X-E2E-Simulated: yes and is not judged.
//
// Settings come from tests/e2e/run.sh through the environment:
// E2E_BASE_URL, E2E_MAIL_API, E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD,
// E2E_STAFF_EMAIL, E2E_STAFF_PASSWORD, E2E_ARTIFACTS, E2E_CHROMIUM.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with tests/e2e/run.sh`);
  return v;
}

export const env = {
  base: need("E2E_BASE_URL").replace(/\/$/, ""),
  mailApi: need("E2E_MAIL_API"),
  adminEmail: need("E2E_ADMIN_EMAIL"),
  adminPassword: need("E2E_ADMIN_PASSWORD"),
  staffEmail: need("E2E_STAFF_EMAIL"),
  staffPassword: need("E2E_STAFF_PASSWORD"),
  artifacts: need("E2E_ARTIFACTS"),
  chromium: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
};
mkdirSync(env.artifacts, { recursive: true });

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

export async function launch() {
  return chromium.launch({
    executablePath: env.chromium,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--headless=new",
    ],
  });
}

// A fresh browser profile (own cookies and storage), English, desktop size.
// Problems seen by its pages (script errors, CSP refusals, failed module
// loads) are collected in context.problems.
export async function newContext(browser, opts = {}) {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: "en-GB",
    timezoneId: "Asia/Seoul",
    ...opts,
  });
  context.setDefaultTimeout(15000);
  context.problems = [];
  context.allowed = [];
  context.on("page", (page) => watch(page, context));
  return context;
}

// Lets pages of this context get `status` for `method` on API paths that
// match `path` (a RegExp) without failing the test: for errors the test
// provokes on purpose. `why` says which (it is kept for the report).
export function allowApi(context, status, method, path, why) {
  assert.ok(status >= 400 && status < 500, "only 4xx answers can be allowed");
  assert.ok(why, "say why the error is expected");
  context.allowed.push({ status, method, path, why });
}

function apiAllowed(context, status, method, pathname) {
  return context.allowed.some((a) => a.status === status && a.method === method && a.path.test(pathname));
}

function watch(page, context) {
  const problems = context.problems;
  page.on("pageerror", (err) => problems.push(`${page.url()}: script error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    const url = (msg.location() && msg.location().url) || "";
    // The browser logs every 4xx/5xx load as an error; API answers are
    // judged by the response handler below, and a language without a
    // dictionary is a 404 for /i18n/<lang>.js before English is used.
    // Anything else (CSP refusals, missing files, script errors) is a
    // problem.
    if (/Failed to load resource/.test(text) && /\/api\/|\/i18n\/[a-z-]+\.js$/.test(url)) return;
    problems.push(`${page.url()}: console: ${text}${url ? ` (${url})` : ""}`);
  });
  page.on("requestfailed", (req) => {
    if (req.failure() && /ERR_ABORTED/.test(req.failure().errorText)) return; // navigations away
    problems.push(`${page.url()}: request failed: ${req.url()} ${req.failure() && req.failure().errorText}`);
  });
  page.on("response", (res) => {
    const u = new URL(res.url());
    const status = res.status();
    if (status < 400) return;
    const method = res.request().method();
    // An answer a test made up with context.route (to show how a page
    // copes with a failing server) carries X-E2E-Simulated.
    if (res.headers()["x-e2e-simulated"] === "yes") return;
    if (u.pathname.startsWith("/api/")) {
      if (status >= 500 || !apiAllowed(context, status, method, u.pathname)) {
        problems.push(`${page.url()}: ${status} for ${method} ${u.pathname}`);
      }
      return;
    }
    if (!/^\/i18n\/[a-z-]+\.js$/.test(u.pathname)) {
      problems.push(`${page.url()}: ${status} for ${u.pathname}`);
    }
  });
}

// Runs axe on the final state of every open page of the context, then
// fails on anything the pages logged (script errors, CSP refusals, API
// errors the test did not allow).
export async function assertNoProblems(context) {
  for (const page of context.pages()) {
    if (page.isClosed() || !/^https?:/.test(page.url())) continue;
    await settle(page, { axe: false });
    await axe(page, `final ${new URL(page.url()).pathname}`);
  }
  assert.deepEqual(context.problems, [], "the pages logged errors");
}

// Waits until the page's script has rendered the layout and no list is
// loading, then (unless axe is false) runs axe on the state reached.
export async function settle(page, { axe: runAxe = true } = {}) {
  await page.waitForSelector("body.ready", { state: "attached" });
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  await page.evaluate(() => document.fonts.ready.then(() => true));
  if (runAxe) await axe(page, `state ${new URL(page.url()).pathname}`);
}

// ---- axe-core ----------------------------------------------------------

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const axeLog = path.join(env.artifacts, "axe.txt");

// Runs axe-core in the page and fails on any violation, whatever its impact
// (issue 11: "axe-core finds no violations on any state visited").
//
// The pages' Content-Security-Policy (script-src 'self') refuses inline
// scripts, so page.addScriptTag({content}) is blocked. page.evaluate()
// runs the source through the DevTools protocol, which CSP does not
// govern, so axe is tested against the page exactly as served (no
// bypassCSP needed).
export async function axe(page, name) {
  const loaded = await page.evaluate(() => typeof window.axe === "object");
  if (!loaded) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      resultTypes: ["violations"],
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
  });
  const lines = result.map((v) => `  [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.join(", ")}`);
  appendFileSync(axeLog, `${name} (${page.url()}): ${result.length} violation(s)\n${lines.join("\n")}${lines.length ? "\n" : ""}`);
  assert.deepEqual(result, [], `axe found problems on ${name}:\n${lines.join("\n")}`);
  return result;
}

// ---- overflow at 360 px ------------------------------------------------

// Elements sticking out past the right edge of the viewport, or a page
// wider than it. Elements inside a container that scrolls or clips
// sideways (a wide table in an overflow-x: auto wrapper) are allowed.
export async function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [];
    const describe = (el) => {
      let s = el.tagName.toLowerCase();
      if (el.id) s += `#${el.id}`;
      if (el.classList.length) s += `.${[...el.classList].join(".")}`;
      const text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 40);
      return text ? `${s} ("${text}")` : s;
    };
    if (document.documentElement.scrollWidth > vw) {
      out.push(`document is ${document.documentElement.scrollWidth}px wide (viewport ${vw}px)`);
    }
    const clippedByAncestor = (el) => {
      for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox !== "visible") return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll("*")) {
      const cs = getComputedStyle(el);
      if (cs.display === "none" || cs.visibility === "hidden") continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const sticksOut = r.right > vw + 0.5;
      // Text wider than its own box (an unbreakable word) overflows too.
      const block = !cs.display.startsWith("inline") && cs.overflowX === "visible" && el.clientWidth > 0;
      const textOverflow = block && el.scrollWidth > el.clientWidth + 1 && r.left + el.scrollWidth > vw + 0.5;
      if ((sticksOut || textOverflow) && !clippedByAncestor(el)) {
        out.push(`${describe(el)}: right edge ${Math.round(Math.max(r.right, r.left + el.scrollWidth))}px`);
      }
    }
    return out;
  });
}

// ---- the standard check of a page --------------------------------------

// axe on the page as it is; with shots, screenshots at 1280x800 and
// 360x740 (full page) into the artifacts folder and the overflow check at
// 360 px. The viewport is put back afterwards.
export async function checkPage(page, name, { shots = true } = {}) {
  await settle(page, { axe: false });
  await axe(page, name);
  if (!shots) return;
  const before = page.viewportSize() || DESKTOP;
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(env.artifacts, `${name}-1280x800.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await settle(page, { axe: false });
  await axe(page, `${name} at 360 px`);
  await page.screenshot({ path: path.join(env.artifacts, `${name}-360x740.png`), fullPage: true });
  const problems = await overflow(page);
  appendFileSync(path.join(env.artifacts, "overflow.txt"),
    `${name}: ${problems.length ? problems.join("; ") : "nothing overflows at 360 px"}\n`);
  await page.setViewportSize(before);
  assert.deepEqual(problems, [], `${name} overflows horizontally at 360 px`);
}

// ---- the mail catcher --------------------------------------------------

export async function messages() {
  const res = await fetch(env.mailApi);
  assert.equal(res.status, 200, "the mail catcher answers");
  return res.json();
}

// The newest message to `to` whose subject matches, waiting for it (the
// server sends from its outbox a moment after the request).
export async function waitForMail(to, subject, { timeoutMs = 20000, after = 0 } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await messages()).filter((m) =>
      m.id > after && (m.envelope_to || []).some((a) => a.toLowerCase() === to.toLowerCase()) &&
      subject.test(m.subject));
    if (found.length) return found[found.length - 1];
    if (Date.now() > until) throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The highest message id so far (to wait for mail newer than it).
export async function lastMailId() {
  const all = await messages();
  return all.reduce((m, x) => Math.max(m, x.id), 0);
}

// The link to `page` with its token in a message's text part.
export function linkIn(message, page) {
  const escaped = `${env.base}/${page}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // The token, and the page to return to when the link carries one.
  const m = new RegExp(`${escaped}\\?token=[A-Za-z0-9_-]+(?:&next=[A-Za-z0-9%._~-]+)?`).exec(message.text || "");
  assert.ok(m, `the mail "${message.subject}" has a link to ${page}:\n${message.text}`);
  return m[0];
}

// Logs in through the log-in page (which must be open).
export async function logIn(page, email, password) {
  await page.getByLabel("Email address", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

// ---- Setting the scene through the API ------------------------------------

// Logs a browser context in through the API; returns call(method, path,
// body) that sends the session's CSRF token on writes and answers
// {status, body (JSON, or the text of another type), headers}.
export async function apiSession(context, email, password) {
  const r = await context.request.post(`${env.base}/api/auth/login`, { data: { email, password } });
  assert.equal(r.status(), 200, `log-in of ${email}`);
  const { csrf_token: csrf } = await r.json();
  return async (method, path, data) => {
    const res = await context.request.fetch(`${env.base}${path}`, {
      method,
      data,
      headers: method === "GET" ? {} : { "X-CSRF-Token": csrf },
    });
    const type = res.headers()["content-type"] || "";
    const body = type.startsWith("application/json") ? await res.json() : await res.text();
    return { status: res.status(), body, headers: res.headers() };
  };
}

// Signs up and confirms an account through the API and the caught mail.
export async function verifiedAccount(context, { email, password, name }) {
  const since = await lastMailId();
  const r = await context.request.post(`${env.base}/api/auth/signup`, { data: { email, password, name } });
  assert.equal(r.status(), 202, `sign-up of ${email}`);
  const mail = await waitForMail(email, /confirm your email address/i, { after: since });
  const token = new URL(linkIn(mail, "verify-email.html")).searchParams.get("token");
  const v = await context.request.post(`${env.base}/api/auth/verify`, { data: { token } });
  assert.equal(v.status(), 200, `confirmation of ${email}`);
}
