// i18n.js - every user-visible string comes from a dictionary in
// /i18n/<lang>.js (a module whose default export maps keys to strings).
// English is bundled; another language is loaded with a dynamic import
// when it is one of DICTIONARIES, the languages web/i18n/ ships (adding
// web/i18n/ko.js means adding "ko" there), so a page in any other language
// asks for nothing that is not there and reads in English. A key missing
// from the chosen language falls back to English.
//
// Strings may hold {name} placeholders, filled from t(key, {name: ...}).
// Counted strings have one key per plural category of Intl.PluralRules
// ("x.one", "x.other", ...), read with tn(key, count, vars).
//
// Static HTML carries the English text (so a page reads without
// JavaScript) and names its key: data-i18n="key" sets the element's text,
// data-i18n-attr="attr:key attr2:key2" sets attributes; translate() applies
// both.
import en from "/i18n/en.js";

// The languages with a dictionary in web/i18n/ (tests/e2e/static.test.mjs
// checks this list against the files).
export const DICTIONARIES = ["en"];

let dict = en;
let lang = "en";

// The chosen language's own wording of key, or null when it has none (so
// a caller can keep a more precise English text from the server).
export function own(key) {
  return dict !== en && Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : null;
}

export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : en[key];
  if (s === undefined) {
    console.warn(`i18n: no string for "${key}"`);
    return key;
  }
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m);
  }
  return s;
}

// True when the dictionary (or English) has the key.
export function hasKey(key) {
  return Object.prototype.hasOwnProperty.call(dict, key) ||
    Object.prototype.hasOwnProperty.call(en, key);
}

// A counted string: "key.one", "key.few"... chosen by the plural rules of
// the current language, falling back to "key.other". {count} is filled in,
// formatted for the language.
export function tn(key, count, vars) {
  let category = "other";
  try {
    category = new Intl.PluralRules(lang).select(count);
  } catch (e) {
    category = "other";
  }
  const k = hasKey(`${key}.${category}`) ? `${key}.${category}` : `${key}.other`;
  return t(k, { ...vars, count: formatNumber(count) });
}

export function language() {
  return lang;
}

// Language tags to try, best first: the account's locale (as given, then
// its primary subtag), else the browser's first language's primary subtag.
export function candidates(locale) {
  const out = [];
  const add = (tag) => {
    const v = String(tag || "").toLowerCase().trim();
    if (/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(v) && !out.includes(v)) out.push(v);
  };
  if (locale) {
    add(locale);
    add(String(locale).split("-")[0]);
  } else if (typeof navigator !== "undefined") {
    const first = (navigator.languages && navigator.languages[0]) || navigator.language;
    add(String(first || "").split("-")[0]);
  }
  add("en");
  return out;
}

// Loads the first available dictionary among candidates(locale).
export async function loadLanguage(locale) {
  for (const tag of candidates(locale)) {
    if (tag === "en") break;
    if (!DICTIONARIES.includes(tag)) continue;
    try {
      const mod = await import(`/i18n/${tag}.js`);
      if (mod && mod.default && typeof mod.default === "object") {
        dict = mod.default;
        lang = tag;
        return lang;
      }
    } catch (e) {
      // No dictionary for this language: try the next one.
    }
  }
  dict = en;
  lang = "en";
  return lang;
}

// Applies data-i18n and data-i18n-attr under root.
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.trim().split(/\s+/)) {
      const at = pair.indexOf(":");
      if (at > 0) el.setAttribute(pair.slice(0, at), t(pair.slice(at + 1)));
    }
  }
  if (root === document) document.documentElement.lang = lang;
}

export function formatNumber(n) {
  try {
    return new Intl.NumberFormat(lang).format(n);
  } catch (e) {
    return String(n);
  }
}

// A date and time from the API (ISO 8601) for people, in their time zone.
// The locale dates are written in: plain English ones as in Britain ("24
// April 2023", 24-hour times), as the strings' spelling is.
function dateLocale() {
  return lang === "en" ? "en-GB" : lang;
}

export function formatDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(dateLocale(), { dateStyle: "medium", timeStyle: "short" }).format(d);
  } catch (e) {
    return d.toISOString();
  }
}

// The name of a language (a tag such as "ko"): in the language itself and,
// when different, in the page's language.
export function languageName(tag) {
  let own = tag;
  let here = tag;
  try {
    own = new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
    here = new Intl.DisplayNames([lang], { type: "language" }).of(tag) || tag;
  } catch (e) {
    return tag;
  }
  return own === here ? own : `${own} (${here})`;
}

// A calendar day from the API ("2023-04-24", no time of day) for people,
// the same day in every time zone.
function dayDate(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}

function dayFormat(options) {
  try {
    return new Intl.DateTimeFormat(dateLocale(), { ...options, timeZone: "UTC" });
  } catch (e) {
    return new Intl.DateTimeFormat("en", { ...options, timeZone: "UTC" });
  }
}

export function formatDate(day) {
  const d = dayDate(day);
  return d ? dayFormat({ dateStyle: "long" }).format(d) : String(day || "");
}

// "24 April – 12 May 2023" (one day when both are the same).
export function formatDateRange(start, end) {
  const a = dayDate(start);
  const b = dayDate(end);
  if (!a) return "";
  if (!b || b.getTime() === a.getTime()) return formatDate(start);
  const f = dayFormat({ dateStyle: "long" });
  return typeof f.formatRange === "function" ? f.formatRange(a, b) : `${f.format(a)} – ${f.format(b)}`;
}

// "April 2023" for "2023-04".
export function formatMonth(month) {
  const d = dayDate(`${month}-01`);
  return d ? dayFormat({ month: "long", year: "numeric" }).format(d) : String(month || "");
}
