// static.test.mjs - checks on the web files that need no browser: every
// string key used exists in the English dictionary and the English text in
// the HTML matches it; nothing the Content-Security-Policy would refuse
// (inline scripts, inline styles, event-handler attributes, eval); every
// page has the shared frame and a title saying where it is; the log-in
// redirect only goes to paths on this site; and every error code of the
// server's table has its message in the dictionary.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const here = path.dirname(fileURLToPath(import.meta.url));
const web = process.env.E2E_WEB_ROOT || path.resolve(here, "../../web");
// The web files are ES modules named .js with no package.json saying so:
// Node 18 (Debian 12's) would load them as CommonJS, so they are imported
// from their text (neither imports anything).
const importModule = (file) =>
  import(`data:text/javascript;base64,${readFileSync(file).toString("base64")}`);
const en = (await importModule(path.join(web, "i18n/en.js"))).default;
const { forgetReturn, rememberReturn, returnPath, safeNext } = await importModule(path.join(web, "js/url.js"));

function files(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...files(full, ext));
    else if (name.endsWith(ext)) out.push(full);
  }
  return out.sort();
}

const htmlFiles = files(web, ".html");
const jsFiles = files(path.join(web, "js"), ".js");
const rel = (f) => path.relative(web, f);

function decode(s) {
  return s.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

test("every data-i18n key exists and the HTML's English text matches the dictionary", () => {
  const problems = [];
  for (const f of htmlFiles) {
    const html = readFileSync(f, "utf8");
    // Elements whose text is the key's: <tag ... data-i18n="key" ...>text</tag>
    for (const m of html.matchAll(/<(\w+)[^>]*\sdata-i18n="([^"]+)"[^>]*>([^<]*)<\/\1>/g)) {
      const [, , key, text] = m;
      if (!(key in en)) problems.push(`${rel(f)}: unknown key ${key}`);
      else if (decode(text) !== en[key]) problems.push(`${rel(f)}: ${key} reads "${text}", en.js "${en[key]}"`);
    }
    for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
      if (!(m[1] in en)) problems.push(`${rel(f)}: unknown key ${m[1]}`);
    }
    for (const m of html.matchAll(/<(\w+)([^>]*)\sdata-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[3].split(/\s+/)) {
        const [attr, key] = pair.split(":");
        if (!(key in en)) problems.push(`${rel(f)}: unknown key ${key}`);
        const current = new RegExp(`\\s${attr}="([^"]*)"`).exec(m[2] + m[0]);
        if (current && key in en && decode(current[1]) !== en[key]) {
          problems.push(`${rel(f)}: ${attr} is "${current[1]}", en.js ${key} "${en[key]}"`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("every string key the scripts name exists in en.js", () => {
  const problems = [];
  for (const f of jsFiles) {
    const js = readFileSync(f, "utf8");
    for (const m of js.matchAll(/\bt\(\s*"([^"]+)"/g)) {
      if (!(m[1] in en)) problems.push(`${rel(f)}: t("${m[1]}")`);
    }
    for (const m of js.matchAll(/\btn\(\s*"([^"]+)"/g)) {
      if (!(`${m[1]}.other` in en)) problems.push(`${rel(f)}: tn("${m[1]}") needs ${m[1]}.other`);
    }
    // Keys passed around as strings: ("nav.x", "flash.x", "error.x"...)
    for (const m of js.matchAll(/\b(?:key|Key)\s*[:=]\s*"([a-z_]+\.[a-z_.]+)"/g)) {
      if (!(m[1] in en)) problems.push(`${rel(f)}: key "${m[1]}"`);
    }
    for (const m of js.matchAll(/(?:setFlash|replaceMain|setBusy)\(([^)]*)\)/g)) {
      for (const k of m[1].matchAll(/"([a-z_]+\.[a-z_.]+)"/g)) {
        if (!(k[1] in en)) problems.push(`${rel(f)}: key "${k[1]}"`);
      }
    }
    for (const m of js.matchAll(/\?\s*"([a-z_]+\.[a-z_.]+)"\s*:\s*"([a-z_]+\.[a-z_.]+)"/g)) {
      for (const k of [m[1], m[2]]) if (!(k in en)) problems.push(`${rel(f)}: key "${k}"`);
    }
  }
  for (const role of ["participant", "judge", "staff", "admin"]) {
    for (const k of [`role.${role}`, `role.${role}.about`]) if (!(k in en)) problems.push(`en.js lacks ${k}`);
  }
  for (const s of ["pending", "sending", "sent", "failed"]) {
    if (!(`outbox.status.${s}` in en)) problems.push(`en.js lacks outbox.status.${s}`);
  }
  // Keys made from the API's values: kinds, modes, statuses, actions.
  const info = readFileSync(path.join(web, "js/activity-info.js"), "utf8");
  const list = (name) => {
    const m = new RegExp(`export const ${name} = \\[([^\\]]*)\\]`).exec(info);
    assert.ok(m, `activity-info.js exports ${name}`);
    return [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
  };
  const need = [
    ...list("KINDS").map((k) => `kind.${k}`),
    ...list("MODES").map((k) => `mode.${k}`),
    "mode.partner",
    ...list("ENROLMENT_STATUSES").map((k) => `enrolment.${k}`),
    ...["draft", "published", "cancelled"].flatMap((k) => [`status.${k}`, `staff.status_help.${k}`]),
    ...list("SECTIONS").map((k) => `section.${k}`),
    ...["approve", "reject", "promote", "waitlist", "attended", "cancel"].map((k) => `staff.action.${k}`),
    ...["reject", "cancel"].map((k) => `staff.action_confirm.${k}`),
    ...["text", "single_choice", "multiple_choice", "yes_no"].map((k) => `question.kind.${k}`),
  ];
  for (const k of need) if (!(k in en)) problems.push(`en.js lacks ${k}`);
  assert.deepEqual(problems, []);
});

// The codes the server's error table (src/api/api.c, sql_errors[]) sends
// for refused actions are shown to people in the dictionary's words
// (errorMessage() uses error.<code> when it exists), not the server's
// English. not_found is left to the server: its messages say what was not
// found, and the pages word their own 404s.
test("every code of the server's error table has its message in en.js", (t) => {
  const table = path.resolve(web, "../src/api/api.c");
  let source;
  try {
    source = readFileSync(table, "utf8");
  } catch (e) {
    t.skip(`no ${table} next to the web root`);
    return;
  }
  const codes = new Set([...source.matchAll(/^\s*\{"[a-z_]+", \d{3}, "([a-z_]+)"/gm)].map((m) => m[1]));
  assert.ok(codes.has("no_one_waiting"), "the table is read");
  const missing = [...codes].filter((c) => c !== "not_found" && !(`error.${c}` in en));
  assert.deepEqual(missing, [], "error codes without a message in en.js");
});

test("the dictionary's strings are all non-empty text", () => {
  for (const [k, v] of Object.entries(en)) {
    assert.equal(typeof v, "string", k);
    assert.ok(v.trim().length > 0, k);
  }
});

test("nothing the Content-Security-Policy refuses", () => {
  const problems = [];
  for (const f of htmlFiles) {
    const html = readFileSync(f, "utf8");
    for (const m of html.matchAll(/<script\b([^>]*)>/g)) {
      if (!/\bsrc=/.test(m[1])) problems.push(`${rel(f)}: inline <script>`);
    }
    if (/<style\b/i.test(html)) problems.push(`${rel(f)}: <style> element`);
    if (/\sstyle=/i.test(html)) problems.push(`${rel(f)}: style attribute`);
    if (/\son[a-z]+=/i.test(html)) problems.push(`${rel(f)}: event-handler attribute`);
    if (/javascript:/i.test(html)) problems.push(`${rel(f)}: javascript: URL`);
    if (/(src|href)="(https?:)?\/\//i.test(html)) problems.push(`${rel(f)}: resource from another site`);
  }
  for (const f of jsFiles) {
    const js = readFileSync(f, "utf8");
    if (/\beval\(|new Function\(|setTimeout\(\s*["'`]/.test(js)) problems.push(`${rel(f)}: eval or a string as code`);
    if (/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML/.test(js)) problems.push(`${rel(f)}: markup from strings`);
    if (/setAttribute\(\s*["']style["']|\.style\.cssText/.test(js)) problems.push(`${rel(f)}: inline style`);
  }
  assert.deepEqual(problems, []);
});

test("every page has the shared frame and a title saying where it is", () => {
  const problems = [];
  for (const f of htmlFiles) {
    const html = readFileSync(f, "utf8");
    const need = [
      [/<html lang="en">/, "<html lang>"],
      [/<meta name="viewport" content="width=device-width, initial-scale=1">/, "viewport"],
      [/<link rel="stylesheet" href="\/css\/app\.css">/, "app.css"],
      [/<link rel="icon" href="\/favicon\.svg"/, "favicon"],
      [/<script type="module" src="\/js\/[a-z-]+\.js"><\/script>/, "a module script"],
      [/<header class="site">[\s\S]*<nav class="site-nav"/, "header with navigation"],
      [/<main id="main"/, "<main id=main>"],
      [/<footer class="site">/, "footer"],
      [/class="skip-link" href="#main"/, "skip link"],
    ];
    for (const [re, what] of need) if (!re.test(html)) problems.push(`${rel(f)}: no ${what}`);
    // Pages a visitor or a search engine may open say what they are for.
    if (!/\/(staff|admin)\//.test(f) && !/<meta name="description" content="[^"]{50,160}">/.test(html)) {
      problems.push(`${rel(f)}: no meta description of 50 to 160 characters`);
    }
    const title = /<title[^>]*>([^<]+)<\/title>/.exec(html);
    if (!title) problems.push(`${rel(f)}: no <title>`);
    else if (!/ · Convene$|^Convene · CityNet$/.test(title[1])) problems.push(`${rel(f)}: title "${title[1]}"`);
    if ((html.match(/<h1\b/g) || []).length !== 1) problems.push(`${rel(f)}: not exactly one <h1>`);
    // Every field has a label.
    for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
      const id = /\sid="([^"]+)"/.exec(m[2]);
      if (/type="hidden"|\shidden\b/.test(m[2])) continue;
      if (!id || !new RegExp(`<label[^>]*for="${id[1]}"`).test(html)) problems.push(`${rel(f)}: <${m[1]}> without a label`);
    }
  }
  assert.deepEqual(problems, []);
});

test("after log-in only paths on this site are followed", () => {
  const origin = "https://convene.example.org";
  assert.equal(safeNext("/profile.html", origin), "/profile.html");
  assert.equal(safeNext("/admin/accounts.html?q=kim&page=2#x", origin), "/admin/accounts.html?q=kim&page=2#x");
  for (const bad of [null, "", "profile.html", "//evil.example/x", "/\\evil.example", "https://evil.example/",
    "javascript:alert(1)", "/login.html", "/%0a/evil", "/\t/evil.example", " /x"]) {
    const got = safeNext(bad, origin);
    assert.ok(got === "/index.html" || (got.startsWith("/") && !got.startsWith("//")), `${bad} -> ${got}`);
    assert.notEqual(new URL(got, origin).origin === origin, false, `${bad} leaves the site`);
  }
  assert.equal(safeNext("//evil.example/x", origin), "/index.html");
  assert.equal(safeNext("/login.html?next=/x", origin), "/index.html");
});

test("the page to come back to after confirming an address is a path on this site, used for a week", () => {
  const origin = "https://convene.example.org";
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  rememberReturn("//evil.example/x", origin, storage);
  assert.equal(returnPath(null, origin, storage), null, "another site is not remembered");
  rememberReturn("/activity.html?id=7", origin, storage);
  assert.equal(returnPath(null, origin, storage), "/activity.html?id=7");
  assert.equal(returnPath("https://evil.example/", origin, storage), null, "?next= to another site is refused");
  assert.equal(returnPath("/activity.html?id=8", origin, storage), "/activity.html?id=8", "?next= wins");
  const old = JSON.parse(store.get("convene.after_verify"));
  store.set("convene.after_verify", JSON.stringify({ ...old, at: Date.now() - 8 * 86400000 }));
  assert.equal(returnPath(null, origin, storage), null, "older than a week: forgotten");
  forgetReturn(storage);
  assert.equal(store.size, 0);
});

test("the pages ask only for dictionaries that ship: i18n.js's list is the files of web/i18n", () => {
  const js = readFileSync(path.join(web, "js/i18n.js"), "utf8");
  const m = /export const DICTIONARIES = \[([^\]]*)\]/.exec(js);
  assert.ok(m, "i18n.js exports DICTIONARIES");
  const listed = [...m[1].matchAll(/"([a-z-]+)"/g)].map((x) => x[1]).sort();
  const shipped = readdirSync(path.join(web, "i18n")).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3)).sort();
  assert.deepEqual(listed, shipped);
  // And loadLanguage asks for no other.
  assert.match(js, /if \(!DICTIONARIES\.includes\(tag\)\) continue;/);
});
