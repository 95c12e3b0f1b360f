// calendar.js - the activity calendar (GET /api/activities): upcoming and
// ongoing activities (soonest first; when=upcoming, the default) or the
// past ones (the latest first; when=past), as a list with pages or grouped
// by month (upcoming opens on the current month, which is marked; an
// activity that is under way or whose loose dates span several months,
// such as "May – November" or "On a Rolling Basis", shows once in an
// "Ongoing" band above the months rather than in every month). Filters for the kind, the place (online, in
// person or a city), free text and a month. The view, the filters and the
// page live in the address (?view=month&kind=forum&page=2), so a view can be
// shared and the browser's back button goes back through them.
import { api, errorMessage, query } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { formatMonth, formatNumber, t, tn } from "./i18n.js";
import { initPage } from "./layout.js";
import {
  KINDS, activityHref, badges, dateNodes, externalLink, kindLabel, kindOptions, placeText, seatsText,
} from "./activity-info.js";

await initPage();

const PER_PAGE = 20;
const form = byId("filters");
const results = byId("results");
const count = byId("count");
kindOptions(form.elements.kind);

// ---- State in the address ----------------------------------------------

function readState() {
  const p = new URLSearchParams(location.search);
  const kind = p.get("kind") || "";
  const month = p.get("month") || "";
  const page = Number.parseInt(p.get("page") || "1", 10);
  let where = "";
  if (p.get("online") === "true") where = "online";
  else if (p.get("online") === "false") where = "in_person";
  else if (p.get("city")) where = `city:${p.get("city")}`;
  return {
    view: p.get("view") === "month" ? "month" : "list",
    when: p.get("when") === "past" ? "past" : "upcoming",
    q: (p.get("q") || "").trim(),
    kind: KINDS.includes(kind) ? kind : "",
    where,
    month: /^\d{4}-(0[1-9]|1[0-2])$/.test(month) ? month : "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

// The API's filters for a state.
// A month filter shows that whole month, past or not.
function apiFilters(s) {
  return {
    when: s.month ? "" : s.when,
    q: s.q,
    kind: s.kind,
    month: s.month,
    online: s.where === "online" ? "true" : s.where === "in_person" ? "false" : "",
    city: s.where.startsWith("city:") ? s.where.slice(5) : "",
  };
}

function hrefFor(s) {
  const f = apiFilters(s);
  const params = {
    view: s.view === "month" ? "month" : "",
    when: s.when === "past" ? "past" : "",
    q: f.q, kind: f.kind, city: f.city, online: f.online, month: f.month,
    page: s.view === "list" && s.page > 1 ? s.page : "",
  };
  return `/index.html${query(params)}`;
}

function stateFromForm(view) {
  const month = form.elements.month.value;
  return {
    view,
    when: state.when,
    q: form.elements.q.value.trim(),
    kind: form.elements.kind.value,
    where: form.elements.where.value,
    month: /^\d{4}-\d{2}$/.test(month) ? month : "",
    page: 1,
  };
}

function fillForm(s) {
  form.elements.q.value = s.q;
  form.elements.kind.value = s.kind;
  ensureWhereOption(s.where);
  form.elements.where.value = s.where;
  form.elements.month.value = s.month;
}

// ---- Cities for the "Where" filter ---------------------------------------

let cityGroup = null;

function ensureWhereOption(where) {
  if (!where.startsWith("city:")) return;
  const select = form.elements.where;
  if ([...select.options].some((o) => o.value === where)) return;
  cityGroup = cityGroup || select.appendChild(h("optgroup", { label: t("calendar.where_city") }));
  cityGroup.append(h("option", { value: where }, where.slice(5)));
}

async function loadCities() {
  const all = await fetchAll({});
  if (!all.ok) return;
  const cities = [...new Set(all.items.map((a) => a.city).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  const select = form.elements.where;
  const chosen = select.value;
  if (cityGroup) cityGroup.remove();
  cityGroup = h("optgroup", { label: t("calendar.where_city") },
    cities.map((c) => h("option", { value: `city:${c}` }, c)));
  select.append(cityGroup);
  ensureWhereOption(chosen);
  select.value = chosen;
}

// ---- Loading ---------------------------------------------------------------

// Every activity matching the filters, across the API's pages.
async function fetchAll(filters) {
  const items = [];
  for (let page = 1; page <= 50; page++) {
    const r = await api("GET", `/api/activities${query({ ...filters, page, per_page: 100 })}`);
    if (!r.ok || !r.data || !Array.isArray(r.data.items)) return { ok: false, result: r };
    items.push(...r.data.items);
    if (items.length >= r.data.total || r.data.items.length === 0) break;
  }
  return { ok: true, items };
}

// ---- Rendering -----------------------------------------------------------

// One activity; compact (the month view, where an activity may show in
// several months) leaves out the summary and the host.
function card(a, level, compact = false) {
  const title = h(level, { class: "activity-title" }, h("a", { href: activityHref(a) }, a.title));
  const seats = seatsText(a);
  const host = [a.host ? a.host.name : null, a.programme].filter(Boolean).join(" · ");
  const link = a.mode === "external" ? externalLink(a, t("calendar.partner_site")) : null;
  if (link) link.setAttribute("aria-label", t("calendar.partner_site_of", { title: a.title }));
  return h("li", { class: `activity${a.status === "cancelled" ? " is-cancelled" : ""}` },
    title,
    h("p", { class: "meta" },
      h("span", { class: "when" }, dateNodes(a)),
      h("span", { class: "where" }, placeText(a)),
      h("span", { class: "kind" }, kindLabel(a.kind))),
    h("p", { class: "badges" }, badges(a)),
    a.summary && !compact ? h("p", { class: "summary" }, a.summary) : null,
    host && !compact ? h("p", { class: "host" }, h("span", { class: "muted" }, t("calendar.host")), " ", host) : null,
    seats ? h("p", { class: `seats${a.seats_left === 0 ? " full" : ""}` }, seats) : null,
    link ? h("p", { class: "out" }, link) : null);
}

function emptyState() {
  const filtered = activeFilters(state) > 0;
  const cleared = { ...state, q: "", kind: "", where: "", month: "", page: 1 };
  const other = { ...state, when: state.when === "past" ? "upcoming" : "past", page: 1 };
  const link = filtered
    ? h("a", { href: hrefFor(cleared) }, t("calendar.clear"))
    : h("a", { href: hrefFor(other) }, t(other.when === "past" ? "calendar.when_past" : "calendar.when_upcoming"));
  link.addEventListener("click", (event) => follow(event, filtered ? cleared : other, false));
  const text = filtered ? "calendar.empty" : state.when === "past" ? "calendar.empty_past" : "calendar.empty_upcoming";
  return h("div", { class: "empty-state" }, h("p", null, t(text)), h("p", null, link));
}

function errorState(r) {
  const retry = h("button", { type: "button", class: "secondary small" }, t("table.retry"));
  retry.addEventListener("click", () => show(state));
  return h("div", { class: "notice bad", role: "alert" }, h("p", null, errorMessage(r)), h("p", null, retry));
}

function pageLink(s, page, key, rel) {
  const a = h("a", { href: hrefFor({ ...s, page }), class: "button-link secondary", rel }, t(key));
  a.addEventListener("click", (event) => follow(event, { ...s, page }, true));
  return a;
}

function pager(s, total) {
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  if (pages <= 1) return null;
  return h("nav", { class: "pager", "aria-label": t("calendar.pages") },
    s.page > 1 ? pageLink(s, s.page - 1, "table.previous", "prev") : h("span"),
    h("span", { class: "page-text" }, t("table.page_of", { page: formatNumber(s.page), pages: formatNumber(pages) })),
    s.page < pages ? pageLink(s, s.page + 1, "table.next", "next") : h("span"));
}

function renderList(s, data) {
  const list = h("ul", { class: "activities", "aria-label": t("calendar.list_label") },
    data.items.map((a) => card(a, "h2")));
  clear(results).append(...[list, pager(s, data.total)].filter(Boolean));
  count.textContent = tn("calendar.count", data.total);
}

// Months ("2023-04") from period_start to period_end.
function monthsOf(a) {
  const start = a.period_start || a.starts_on;
  const end = a.period_end || a.ends_on || start;
  if (!start) return [];
  let y = Number(start.slice(0, 4));
  let m = Number(start.slice(5, 7));
  const ey = Number(end.slice(0, 4));
  const em = Number(end.slice(5, 7));
  const out = [];
  while ((y < ey || (y === ey && m <= em)) && out.length < 120) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

// "2026-11": the month of the viewer's today.
function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

function renderMonths(s, items) {
  const groups = new Map();
  const undated = [];
  const ongoing = [];
  const now = thisMonth();
  // Upcoming: from this month on (this month first, shown even when it is
  // empty); past: up to this month, the latest first.
  if (!s.month && s.when === "upcoming") groups.set(now, []);
  for (const a of items) {
    let months = monthsOf(a);
    // With a month filter, only that month.
    if (s.month) months = months.filter((m) => m === s.month);
    else if (s.when === "upcoming") months = months.filter((m) => m >= now);
    else months = months.filter((m) => m <= now);
    if (!months.length && !s.month) undated.push(a);
    // Several months, and under way or without exact days: once, in the band.
    if (!s.month && months.length > 1 && (!a.starts_on || (a.starts_on.slice(0, 7) < now && s.when === "upcoming"))) {
      ongoing.push(a);
      continue;
    }
    for (const m of months) {
      if (!groups.has(m)) groups.set(m, []);
      groups.get(m).push(a);
    }
  }
  const order = [...groups.keys()].sort();
  if (!s.month && s.when === "past") order.reverse();
  const sections = order.map((m) => {
    const id = `month-${m}`;
    const current = m === now;
    const list = groups.get(m);
    return h("section", { class: `month${current ? " this-month" : ""}`, "aria-labelledby": id },
      h("h2", { id }, formatMonth(m), " ",
        current ? h("span", { class: "this-month-mark" }, t("calendar.this_month")) : null, " ",
        h("span", { class: "month-count" }, tn("calendar.month_count", list.length))),
      list.length
        ? h("ul", { class: "activities" }, list.map((a) => card(a, "h3", true)))
        : h("p", { class: "hint" }, t("calendar.month_empty")));
  });
  if (ongoing.length) {
    const key = s.when === "past" ? "calendar.periodic" : "calendar.ongoing";
    sections.unshift(h("section", { class: "month ongoing", "aria-labelledby": "month-ongoing" },
      h("h2", { id: "month-ongoing" }, t(key), " ",
        h("span", { class: "month-count" }, tn("calendar.month_count", ongoing.length))),
      h("p", { class: "hint" }, t(`${key}_hint`)),
      h("ul", { class: "activities" }, ongoing.map((a) => card(a, "h3", true)))));
  }
  if (undated.length) {
    sections.push(h("section", { class: "month", "aria-labelledby": "month-undated" },
      h("h2", { id: "month-undated" }, t("calendar.undated"), " ",
        h("span", { class: "month-count" }, tn("calendar.month_count", undated.length))),
      h("ul", { class: "activities" }, undated.map((a) => card(a, "h3", true)))));
  }
  // A month index to jump to a month.
  const index = sections.length > 2
    ? h("nav", { class: "month-index", "aria-label": t("calendar.month_index") },
      h("ul", null, (ongoing.length ? [h("li", null, h("a", { href: "#month-ongoing" }, t(s.when === "past" ? "calendar.periodic" : "calendar.ongoing")))] : [])
        .concat(order.map((m) => h("li", null, h("a", { href: `#month-${m}`, "aria-current": m === now ? "date" : null }, formatMonth(m)))))
        .concat(undated.length ? [h("li", null, h("a", { href: "#month-undated" }, t("calendar.undated")))] : [])))
    : null;
  clear(results).append(...[index, ...sections].filter(Boolean));
  count.textContent = tn("calendar.count_months", items.length, { months: formatNumber(groups.size) });
}

// How many filters are in use, shown next to the filters' summary.
function activeFilters(s) {
  return [s.q, s.kind, s.where, s.month].filter(Boolean).length;
}

function markView(s) {
  const n = activeFilters(s);
  byId("filter-count").textContent = n ? tn("calendar.filters_active", n) : "";
  byId("clear").href = hrefFor({ ...s, q: "", kind: "", where: "", month: "", page: 1 });
  for (const [id, view] of [["view-list", "list"], ["view-month", "month"]]) {
    const a = byId(id);
    a.href = hrefFor({ ...s, view, page: 1 });
    if (s.view === view) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
  for (const [id, when] of [["when-upcoming", "upcoming"], ["when-past", "past"]]) {
    const a = byId(id);
    a.href = hrefFor({ ...s, when, page: 1 });
    if (s.when === when) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
}

let state = readState();
let generation = 0;

async function show(s) {
  const mine = ++generation;
  state = s;
  markView(s);
  results.setAttribute("aria-busy", "true");
  count.textContent = t("table.loading");
  let r;
  if (s.view === "month") {
    r = await fetchAll(apiFilters(s));
  } else {
    const res = await api("GET", `/api/activities${query({ ...apiFilters(s), page: s.page, per_page: PER_PAGE })}`);
    r = res.ok && res.data && Array.isArray(res.data.items) ? { ok: true, data: res.data } : { ok: false, result: res };
  }
  if (mine !== generation) return; // a newer view was asked for meanwhile
  results.removeAttribute("aria-busy");
  if (!r.ok) {
    count.textContent = "";
    clear(results).append(errorState(r.result));
    return;
  }
  if (s.view === "list" && r.data.items.length === 0 && r.data.total > 0 && s.page > 1) {
    // Past the last page (an old link): show the last one.
    const last = { ...s, page: Math.ceil(r.data.total / PER_PAGE) };
    history.replaceState(null, "", hrefFor(last));
    await show(last);
    return;
  }
  const items = s.view === "month" ? r.items : r.data.items;
  if (items.length === 0) {
    count.textContent = tn("calendar.count", 0);
    clear(results).append(emptyState());
    return;
  }
  if (s.view === "month") renderMonths(s, items);
  else renderList(s, r.data);
}

// Goes to another view or page in this page (a plain click only: a click
// with a modifier key opens the link as the browser does).
function follow(event, s, focusResults) {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  go(s, focusResults);
}

async function go(s, focusResults) {
  history.pushState(null, "", hrefFor(s));
  fillForm(s);
  await show(s);
  if (focusResults) {
    results.focus();
    results.scrollIntoView({ block: "start" });
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  go(stateFromForm(state.view), false);
});
byId("clear").addEventListener("click", (event) => follow(event, { ...state, q: "", kind: "", where: "", month: "", page: 1 }, false));
byId("view-list").addEventListener("click", (event) => follow(event, { ...state, view: "list", page: 1 }, false));
byId("view-month").addEventListener("click", (event) => follow(event, { ...state, view: "month", page: 1 }, false));
byId("when-upcoming").addEventListener("click", (event) => follow(event, { ...state, when: "upcoming", page: 1 }, false));
byId("when-past").addEventListener("click", (event) => follow(event, { ...state, when: "past", page: 1 }, false));
window.addEventListener("popstate", () => {
  const s = readState();
  fillForm(s);
  show(s);
});

fillForm(state);
// On a phone the filters start folded away (unless some are in use), so the
// activities come first. Until this is decided the stylesheet shows a phone
// only the box's summary, so folding it moves nothing on the screen.
if (window.matchMedia("(max-width: 40rem)").matches && !activeFilters(state)) byId("filter-box").open = false;
byId("filter-box").classList.add("settled");
await Promise.all([show(state), loadCities()]);
