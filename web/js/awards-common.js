// awards-common.js - what the SDG Awards pages share: the 17 goals, the
// phases, times shown with their zone, the countdown to the next deadline,
// the current cycle, the awards sub-navigation and the error summary at
// the top of a form (each entry a link to its field).
import { api, errorMessage } from "./api.js";
import { clear, h } from "./dom.js";
import { fillSummary, showFieldErrors } from "./form.js";
import { formatNumber, hasKey, t, tn } from "./i18n.js";
import { hasRole, isStaff } from "./layout.js";

export const SDGS = Array.from({ length: 17 }, (_, i) => i + 1);
export const PHASES = ["upcoming", "submission", "voting", "evaluation", "closed", "published"];
export const CASE_STATUSES = ["draft", "submitted", "withdrawn"];

export function sdgLabel(n) {
  return t("sdg.label", { number: n, name: t(`sdg.${n}`) });
}

export function sdgChips(list) {
  return h("ul", { class: "sdg-chips" },
    (list || []).map((n) => h("li", { class: `chip sdg sdg-${n}` }, sdgLabel(n))));
}

export function phaseLabel(phase) {
  return PHASES.includes(phase) ? t(`awards.phase.${phase}`) : String(phase || "");
}

export function phaseChip(phase) {
  return h("span", { class: `chip phase phase-${phase}` }, phaseLabel(phase));
}

export function statusChip(status) {
  const label = CASE_STATUSES.includes(status) ? t(`awards.status.${status}`) : String(status || "");
  return h("span", { class: `chip case-${status}` }, label);
}

// The browser's time zone ("Asia/Seoul"), or "" when it cannot say.
export function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return "";
  }
}

// An instant from the API with its zone: "12 Mar 2026, 09:00 GMT+9 (Asia/Seoul)".
export function whenText(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  let s;
  try {
    s = new Intl.DateTimeFormat("en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short",
    }).format(d);
  } catch (e) {
    s = d.toISOString();
  }
  const zone = zoneName();
  return zone ? t("awards.when_zone", { when: s, zone }) : s;
}

export function whenNode(iso) {
  return h("time", { datetime: iso }, whenText(iso));
}

// The deadline that matters next in a cycle: {key, at} or null.
export function nextDeadline(c, now = Date.now()) {
  const steps = [
    ["awards.deadline.submission_opens", c.submission_opens_at],
    ["awards.deadline.submission_closes", c.submission_closes_at],
    ["awards.deadline.voting_opens", c.voting_opens_at],
    ["awards.deadline.voting_closes", c.voting_closes_at],
    ["awards.deadline.evaluation_opens", c.evaluation_opens_at],
    ["awards.deadline.evaluation_closes", c.evaluation_closes_at],
  ].filter(([, at]) => at && Date.parse(at) > now);
  steps.sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  return steps.length ? { key: steps[0][0], at: steps[0][1] } : null;
}

// "2 days 3 hours", "45 minutes".
export function durationText(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${tn("awards.days", days)} ${tn("awards.hours", hours)}`;
  if (hours > 0) return `${tn("awards.hours", hours)} ${tn("awards.minutes", mins)}`;
  return tn("awards.minutes", mins);
}

// A paragraph counting down to the cycle's next deadline, kept up to date
// each minute (not announced: it changes too often).
export function countdown(c) {
  const p = h("p", { class: "countdown" });
  const draw = () => {
    const next = nextDeadline(c);
    if (!next) {
      p.textContent = t("awards.no_deadline");
      return;
    }
    p.textContent = t("awards.countdown", {
      what: t(next.key), left: durationText(Date.parse(next.at) - Date.now()), when: whenText(next.at),
    });
  };
  draw();
  setInterval(draw, 60000);
  return p;
}

// The windows of a cycle as a definition list.
export function windowsList(c) {
  const row = (key, a, b) => h("div", null, h("dt", null, t(key)),
    h("dd", null, t("awards.window", { from: whenText(a), to: whenText(b) })));
  return h("dl", { class: "facts windows" },
    row("awards.window.submission", c.submission_opens_at, c.submission_closes_at),
    row("awards.window.voting", c.voting_opens_at, c.voting_closes_at),
    row("awards.window.evaluation", c.evaluation_opens_at, c.evaluation_closes_at));
}

// The cycles, newest first (an API result).
export function loadCycles() {
  return api("GET", "/api/awards/cycles");
}

// The cycle a page is about: ?cycle= when given, else the newest one not
// yet published, else the newest. {cycle, result}; cycle null when none.
export async function currentCycle() {
  const wanted = Number.parseInt(new URLSearchParams(location.search).get("cycle") || "", 10);
  if (wanted > 0) {
    const r = await api("GET", `/api/awards/cycles/${wanted}`);
    return { cycle: r.ok ? r.data : null, result: r };
  }
  const r = await loadCycles();
  if (!r.ok || !r.data || !Array.isArray(r.data.items)) return { cycle: null, result: r };
  const items = r.data.items;
  return { cycle: items.find((c) => c.phase !== "published") || items[0] || null, result: r };
}

export function categoryName(cycle, id) {
  const c = (cycle.categories || []).find((x) => x.id === id);
  return c ? c.name : "";
}

// The awards pages' own navigation, after the page's <h1>.
export function awardsNav(me, cycleId) {
  const q = cycleId ? `?cycle=${cycleId}` : "";
  const items = [
    ["awards.nav.cycle", `/awards/index.html${q}`, "/awards/index.html"],
    ["awards.nav.vote", `/awards/vote.html${q}`, "/awards/vote.html"],
    ["awards.nav.gallery", "/awards/gallery.html", "/awards/gallery.html"],
    ["awards.nav.results", `/awards/results.html${q}`, "/awards/results.html"],
  ];
  if (me) items.push(["awards.nav.my_cases", "/awards/my-cases.html", "/awards/my-cases.html"]);
  if (hasRole(me, "judge")) items.push(["awards.nav.judging", "/awards/judging.html", "/awards/judging.html"]);
  if (isStaff(me)) items.push(["awards.nav.staff", "/staff/awards.html", "/staff/awards.html"]);
  const here = location.pathname;
  const nav = h("nav", { class: "subnav", "aria-label": t("awards.nav.label") },
    h("ul", null, items.map(([key, href, path]) =>
      h("li", null, h("a", { href, "aria-current": here === path ? "page" : null }, t(key))))));
  const h1 = document.querySelector("main h1");
  if (h1) h1.insertAdjacentElement("afterend", nav);
  return nav;
}

// The staff pages' navigation of the awards, after the page's <h1>.
export function staffAwardsNav(cycleId) {
  const q = cycleId ? `?cycle=${cycleId}` : "";
  const items = [
    ["staff.awards.nav.cycles", "/staff/awards.html", "/staff/awards.html"],
    ["staff.awards.nav.judges", `/staff/award-judges.html${q}`, "/staff/award-judges.html"],
    ["staff.awards.nav.progress", `/staff/award-progress.html${q}`, "/staff/award-progress.html"],
    ["staff.awards.nav.votes", `/staff/award-votes.html${q}`, "/staff/award-votes.html"],
    ["staff.awards.nav.results", `/staff/award-results.html${q}`, "/staff/award-results.html"],
    ["staff.awards.nav.affiliations", "/staff/affiliations.html", "/staff/affiliations.html"],
  ];
  const here = location.pathname;
  const nav = h("nav", { class: "subnav", "aria-label": t("staff.awards.nav.label") },
    h("ul", null, items.map(([key, href, path]) =>
      h("li", null, h("a", { href, "aria-current": here === path ? "page" : null }, t(key))))));
  const h1 = document.querySelector("main h1");
  if (h1) h1.insertAdjacentElement("afterend", nav);
  return nav;
}

// The cycle id of a staff page (?cycle=), or the newest cycle's.
export async function staffCycle() {
  const { cycle, result } = await currentCycle();
  return { cycle, result };
}

// The message of a field error, saying what to do: the awards' own wording
// (awards.err.<field>.<code>, or awards.err.<code>) when there is one.
export function fieldText(name, error) {
  const code = error && typeof error === "object" ? error.code : "";
  const base = String(name).replace(/\.\d+\./g, ".").replace(/^scores\..*/, "scores");
  if (code && hasKey(`awards.err.${base}.${code}`)) return t(`awards.err.${base}.${code}`);
  if (code && hasKey(`awards.err.${code}`)) return t(`awards.err.${code}`);
  if (typeof error === "string") return error;
  return (error && error.message) || t("error.validation_failed");
}

// A failed answer (or {fields} found by the page itself) shown as an error
// summary at the top of the form, each entry a link to its field, and each
// message next to its field. Returns true when there were field errors.
export function showErrors(form, summaryEl, result) {
  clear(summaryEl);
  summaryEl.hidden = true;
  const fields = result && result.data && result.data.error && result.data.error.fields;
  if (!fields || typeof fields !== "object" || !Object.keys(fields).length) {
    showFieldErrors(form, null);
    if (result && !result.ok) fillSummary(summaryEl, [[null, errorMessage(result)]], t("awards.err.heading"));
    return false;
  }
  const worded = {};
  for (const [name, err] of Object.entries(fields)) worded[name] = { code: "x", message: fieldText(name, err) };
  showFieldErrors(form, { data: { error: { fields: worded } } });
  const entries = [];
  for (const [name, err] of Object.entries(worded)) {
    const item = form.elements.namedItem(name);
    const el = item && (item.setAttribute ? item : item[0]);
    if (el && !el.id) el.id = `${form.id}-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    entries.push([el || null, err.message]);
  }
  fillSummary(summaryEl, entries, t("awards.err.heading"));
  return true;
}

export function clearErrors(form, summaryEl) {
  showFieldErrors(form, null);
  clear(summaryEl);
  summaryEl.hidden = true;
}

// A result shaped like a 422 answer, for errors found before sending.
export function localErrors(fields) {
  return { ok: false, status: 422, data: { error: { code: "validation_failed", fields } } };
}

// A menu of further actions for a table row (the main action stays visible).
export function rowMenu(label, links) {
  return h("details", { class: "row-menu" },
    h("summary", null, label),
    h("ul", null, links.map((l) => h("li", null, l))));
}

export function orgText(o) {
  if (!o) return "";
  const where = [o.city, o.country].filter(Boolean).join(", ");
  return where ? t("awards.org_where", { name: o.name, where }) : o.name;
}

export function number(n, digits = 1) {
  if (n === null || n === undefined) return "—";
  return typeof n === "number" && !Number.isInteger(n) ? Number(n).toFixed(digits) : formatNumber(n);
}

export function sizeText(bytes) {
  if (bytes >= 1048576) return t("awards.size_mb", { n: (bytes / 1048576).toFixed(1) });
  return t("awards.size_kb", { n: formatNumber(Math.max(1, Math.round(bytes / 1024))) });
}
