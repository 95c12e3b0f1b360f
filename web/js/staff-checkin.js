// staff-checkin.js - check-in at the door, made for a phone: every
// registration of the activity is loaded once (GET
// /api/activities/{id}/checkin) and searched as one types, by name, email
// or organisation, in the page (300 people without another request). One
// tap on a person's toggle button (aria-pressed) marks them arrived on the
// chosen day (PUT /api/enrollments/{id}/attendance/{day}); another tap, or
// "Undo" beside the announcement, takes it back (DELETE). Each answer
// carries the activity's counts, so expected / arrived at the top include
// what other phones at the door have marked. A polite live region says
// what happened ("Marked Kim Min-jun as arrived."). Multi-day activities
// get a day selector and the rule of how many days make "attended" (PUT
// /api/activities/{id}/checkin).
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { clearNotice, notice, submit } from "./form.js";
import { formatDate, formatDateRange, formatNumber, t, tn } from "./i18n.js";
import { enrolmentChip } from "./activity-info.js";
import { initPage, setFlash } from "./layout.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const id = queryParam("id");
const list = byId("people");
const search = byId("search");
const daySelect = byId("day");
const announce = byId("announce");
const undoLast = byId("undo-last");
const result = byId("result");

// Only these statuses hold a seat and can be checked in (as the API says).
const CHECKABLE = ["confirmed", "attended"];

let activity = null;
let counts = null;
let day = 1;
// One entry per registration: {data, li, button, days (Set), text}.
let rows = [];
let last = null; // the last change, for "Undo": {row, day, present}

async function load() {
  if (!id || !/^\d+$/.test(id)) return { ok: false, status: 404 };
  return api("GET", `/api/activities/${id}/checkin`);
}

const first = await load();
if (!first.ok || !first.data) {
  setFlash("bad", first.status === 404 ? "staff.not_found" : "error.me_failed");
  location.replace("/staff/activities.html");
  await new Promise(() => {});
}

// ---- Search ------------------------------------------------------------------

// Lower case without accents, so "nguyen" finds "Nguyễn" and "JOSE" finds
// "José"; other scripts are compared as written.
function fold(s) {
  return String(s || "").normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function applySearch() {
  const terms = fold(search.value).split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of rows) {
    const match = terms.every((term) => row.text.includes(term));
    row.li.hidden = !match;
    if (match) shown += 1;
  }
  byId("empty").hidden = shown > 0 || rows.length === 0;
  byId("match-count").textContent = terms.length
    ? tn("checkin.matches", shown, { total: formatNumber(rows.length) })
    : tn("checkin.everyone", rows.length);
}

search.addEventListener("input", applySearch);
// Enter goes to the first person shown: search, Enter, Space marks them.
search.addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter") return;
  ev.preventDefault();
  const row = rows.find((r) => !r.li.hidden);
  if (row) (row.button || row.li.querySelector(".checkin-name")).focus();
});

// ---- Counts --------------------------------------------------------------------

function showCounts() {
  const arrived = counts.arrived[day - 1] || 0;
  byId("count-arrived").textContent = formatNumber(arrived);
  const vars = { day: formatNumber(day), attended: formatNumber(counts.attended) };
  byId("count-text").textContent = activity.days.length > 1
    ? tn("checkin.counts_day", counts.expected, vars)
    : tn("checkin.counts", counts.expected, vars);
}

// ---- The people --------------------------------------------------------------

function daysText(row) {
  if (activity.days.length < 2) return "";
  const days = [...row.days].sort((a, b) => a - b);
  return days.length
    ? t("checkin.days_marked", { days: days.map(formatNumber).join(", "), total: formatNumber(activity.days.length) })
    : "";
}

function paint(row) {
  const here = row.days.has(day);
  if (row.button) {
    row.button.setAttribute("aria-pressed", here ? "true" : "false");
    row.li.classList.toggle("arrived", here);
  }
  clear(row.status).append(enrolmentChip(row.data));
  const days = daysText(row);
  row.daysEl.textContent = days;
  row.daysEl.hidden = !days;
}

function makeRow(e) {
  const row = { data: e, days: new Set(e.days), text: fold([e.name, e.email, e.organisation].join(" ")) };
  row.status = h("span", { class: "checkin-status" });
  row.daysEl = h("span", { class: "sub checkin-days" });
  const who = h("div", { class: "checkin-who" },
    h("span", { class: "strong checkin-name", tabindex: "-1" }, e.name),
    h("span", { class: "sub" }, e.email),
    e.organisation ? h("span", { class: "sub" }, e.organisation) : null,
    h("span", { class: "checkin-state" }, row.status, row.daysEl));
  let control;
  if (CHECKABLE.includes(e.status) && activity.status !== "cancelled") {
    // The name in the accessible name, the visible word first (so voice
    // control users can say "Arrived").
    row.button = h("button", {
      type: "button", class: "checkin-toggle", "aria-pressed": "false",
      "aria-label": t("checkin.arrived_who", { name: e.name }),
    }, h("span", { class: "checkin-mark", "aria-hidden": "true" }), t("checkin.arrived"));
    row.button.addEventListener("click", () => toggle(row, day, !row.days.has(day)));
    control = row.button;
  } else {
    control = h("span", { class: "checkin-no hint" }, t("checkin.not_checkable"));
  }
  row.li = h("li", { class: "checkin-person" }, who, control);
  paint(row);
  return row;
}

function render(data) {
  activity = data.activity;
  counts = data.counts;
  const query = search.value;
  clear(list);
  rows = data.items.map(makeRow);
  list.append(...rows.map((r) => r.li));
  search.value = query;
  applySearch();
  showCounts();
}

// ---- Marking -----------------------------------------------------------------

function said(row, present, d) {
  const multi = activity.days.length > 1;
  const vars = { name: row.data.name, day: formatNumber(d) };
  if (present) return t(multi ? "checkin.said_marked_day" : "checkin.said_marked", vars);
  return t(multi ? "checkin.said_unmarked_day" : "checkin.said_unmarked", vars);
}

async function toggle(row, d, present) {
  const button = row.button;
  // Busy, not disabled: the focus stays on the button for the next tap.
  if (button.getAttribute("aria-busy") === "true") return;
  clearNotice(result);
  button.setAttribute("aria-busy", "true");
  const path = `/api/enrollments/${row.data.id}/attendance/${d}`;
  const r = await api(present ? "PUT" : "DELETE", path);
  button.removeAttribute("aria-busy");
  if (!r.ok || !r.data) {
    notice(result, "bad", t("checkin.failed", { name: row.data.name, reason: errorMessage(r) }));
    return;
  }
  row.data.status = r.data.status;
  row.days = new Set(r.data.days);
  counts = r.data.counts;
  paint(row);
  showCounts();
  announce.textContent = said(row, present, d);
  last = { row, day: d, present };
  undoLast.hidden = false;
}

undoLast.addEventListener("click", async () => {
  if (!last) return;
  const { row, day: d, present } = last;
  await toggle(row, d, !present);
  last = null;
  undoLast.hidden = true;
  if (row.button) row.button.focus();
});

// ---- Days ------------------------------------------------------------------

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function setUpDays() {
  const days = activity.days;
  byId("day-field").hidden = days.length < 2;
  clear(daySelect).append(...days.map((d) =>
    h("option", { value: String(d.day) },
      d.date ? t("checkin.day_option", { day: formatNumber(d.day), date: formatDate(d.date) })
        : t("checkin.day_number", { day: formatNumber(d.day) }))));
  const now = days.find((d) => d.date === today());
  day = now ? now.day : 1;
  daySelect.value = String(day);
}

daySelect.addEventListener("change", () => {
  day = Number(daySelect.value) || 1;
  for (const row of rows) paint(row);
  showCounts();
  last = null;
  undoLast.hidden = true;
});

// ---- The rule: days that make attended ----------------------------------------

const ruleForm = byId("rule-form");
const needed = byId("days-needed");

function setUpRule() {
  const total = activity.days.length;
  byId("rule-box").hidden = total < 2;
  if (total < 2) return;
  const options = [h("option", { value: "" }, tn("checkin.all_days", total))];
  for (let n = 1; n < total; n += 1) options.push(h("option", { value: String(n) }, tn("checkin.n_days", n, { total: formatNumber(total) })));
  clear(needed).append(...options);
  needed.value = activity.days_needed ? String(activity.days_needed) : "";
}

ruleForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = needed.value ? Number(needed.value) : null;
  submit(ruleForm, byId("rule-result"), () => api("PUT", `/api/activities/${activity.id}/checkin`, { days_needed: value }),
    async (r) => {
      activity.days_needed = r.data.days_needed;
      notice(byId("rule-result"), "ok", tn("checkin.rule_saved", r.data.needed));
      // Statuses may have changed for many people: load them again.
      const again = await load();
      if (again.ok && again.data) render(again.data);
    });
});

// ---- Start -------------------------------------------------------------------

function showActivity(a) {
  document.title = t("title.staff_checkin_of", { title: a.title });
  byId("heading").textContent = t("checkin.heading_of", { title: a.title });
  byId("link-activity").href = `/staff/activity.html?id=${a.id}`;
  const first = a.days[0];
  const lastDay = a.days[a.days.length - 1];
  const meta = byId("activity-meta");
  clear(meta);
  if (first.date) meta.append(h("span", { class: "when" }, formatDateRange(first.date, lastDay.date)));
  if (a.days.length > 1) meta.append(h("span", {}, tn("checkin.days_count", a.days.length)));
  byId("cancelled-note").hidden = a.status !== "cancelled";
}

byId("refresh").addEventListener("click", async () => {
  const button = byId("refresh");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  const again = await load();
  button.disabled = false;
  button.removeAttribute("aria-busy");
  if (!again.ok || !again.data) {
    notice(result, "bad", errorMessage(again));
    return;
  }
  render(again.data);
  announce.textContent = t("checkin.refreshed");
});

activity = first.data.activity;
showActivity(activity);
setUpDays();
setUpRule();
render(first.data);
byId("loading").hidden = true;
byId("content").hidden = false;
