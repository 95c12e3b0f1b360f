// my-registrations.js - the account's registrations (GET /api/me/enrollments),
// upcoming (soonest first) and past (latest first) apart, or an empty state
// pointing to the calendar, with their status and waiting-list position,
// each upcoming one cancellable after
// confirming (DELETE /api/activities/{id}/enrollments/me); and the private
// calendar feed: its address shown with a copy button, created, renewed or
// turned off (GET, POST, DELETE /api/me/calendar-token).
import { api, errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { focusNotice, notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { formatInstant } from "./time.js";
import { initPage } from "./layout.js";
import {
  ACTIVE, activityHref, badges, dateNodes, enrolmentChip, enrolmentText, hasEnded, kindLabel, placeText,
} from "./activity-info.js";
import { DataTable } from "./table.js";

await initPage({ auth: "required" });
const result = byId("result");

// ---- Registrations ----------------------------------------------------------

function activityCell(e) {
  const a = e.activity || {};
  return [
    h("a", { href: activityHref(a), class: "strong" }, a.title),
    h("span", { class: "sub" }, kindLabel(a.kind)),
    a.status === "cancelled" ? h("span", { class: "sub" }, badges(a)) : null,
  ];
}

function statusCell(e) {
  const position = e.status === "waitlisted" && e.waitlist_position
    ? h("span", { class: "sub" }, t("mine.position", { position: e.waitlist_position }))
    : null;
  return [enrolmentChip(e), position];
}

function actionCell(e) {
  const a = e.activity || {};
  if (!ACTIVE.includes(e.status) || a.status === "cancelled" || hasEnded(a)) return "";
  const button = h("button", { type: "button", class: "secondary small" }, t("mine.cancel"));
  button.setAttribute("aria-label", t("mine.cancel_label", { title: a.title }));
  button.addEventListener("click", () => cancel(e, button));
  return button;
}

// The first day an activity covers, for ordering ("" when undated).
function startOf(e) {
  const a = e.activity || {};
  return a.starts_on || a.period_start || "";
}

// One fetch shared by both tables; reset before each refresh.
let mine = null;
function fetchMine() {
  if (!mine) mine = api("GET", "/api/me/enrollments");
  return mine;
}

// The part of the registrations for one table: upcoming (not ended yet,
// soonest first, undated last) or past (latest first).
function part(which) {
  return async () => {
    const r = await fetchMine();
    if (!r.ok || !r.data || !Array.isArray(r.data.items)) return r;
    const items = r.data.items.filter((e) => hasEnded(e.activity || {}) === (which === "past"));
    items.sort((x, y) => {
      const a = startOf(x);
      const b = startOf(y);
      if (a === b) return x.id - y.id;
      if (!a) return 1;
      if (!b) return -1;
      return which === "past" ? b.localeCompare(a) : a.localeCompare(b);
    });
    return { ...r, data: { items, total: items.length } };
  };
}

const columns = [
  { label: t("mine.col.activity"), cell: activityCell, className: "title-cell" },
  { label: t("mine.col.dates"), cell: (e) => dateNodes(e.activity || {}) },
  { label: t("mine.col.place"), cell: (e) => placeText(e.activity || {}) },
  { label: t("mine.col.status"), cell: statusCell },
  { label: t("mine.col.registered"), cell: (e) => formatInstant(e.registered_at), className: "date" },
];
const upcoming = new DataTable(byId("list-upcoming"), {
  caption: t("mine.upcoming"),
  perPage: 1000,
  empty: t("mine.empty_upcoming"),
  columns: [...columns, { label: t("mine.col.action"), cell: actionCell, className: "actions-cell" }],
  load: part("upcoming"),
});
const past = new DataTable(byId("list-past"), {
  caption: t("mine.past"),
  perPage: 1000,
  empty: t("mine.empty_past"),
  columns,
  load: part("past"),
});

// Both tables, or the empty state when there is nothing at all.
async function showAll() {
  mine = null;
  const r = await fetchMine();
  const none = r.ok && r.data && Array.isArray(r.data.items) && r.data.items.length === 0;
  byId("empty").hidden = !none;
  byId("upcoming").hidden = none;
  byId("past").hidden = none;
  if (none) return;
  await Promise.all([upcoming.show(1), past.show(1)]);
}
const table = { show: showAll };

async function cancel(e, button) {
  const title = e.activity ? e.activity.title : "";
  const sure = await openDialog({
    title: t("register.cancel_title"),
    body: [
      h("p", null, t("register.cancel_text", { title })),
      h("p", { class: "hint" }, t("mine.cancel_status", { status: enrolmentText(e) })),
    ],
    buttons: [
      { label: t("register.keep"), value: false, kind: "secondary" },
      { label: t("register.cancel_confirm"), value: true, kind: "danger" },
    ],
    initial: false,
  });
  if (!sure) return;
  setBusy(button, true);
  const r = await api("DELETE", `/api/activities/${e.activity.id}/enrollments/me`);
  setBusy(button, false);
  if (r.ok) {
    await table.show(1);
    notice(result, "ok", t("mine.cancelled", { title }));
    focusNotice(result);
  } else {
    notice(result, "bad", errorMessage(r));
    focusNotice(result);
  }
}

// ---- The private calendar feed ------------------------------------------------

const feedBody = byId("feed-body");
const feedResult = byId("feed-result");

async function copy(url, input) {
  try {
    await navigator.clipboard.writeText(url);
    return true;
  } catch (e) {
    // No clipboard permission: select the text and use the older way.
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (e2) {
      return false;
    }
  }
}

function renderFeed(url) {
  clear(feedBody);
  if (!url) {
    const create = h("button", { type: "button", id: "feed-create" }, t("feed.create"));
    create.addEventListener("click", () => change("POST", create, "feed.created"));
    feedBody.append(h("p", null, t("feed.none")), h("p", { class: "actions" }, create));
    return;
  }
  // A text area, so that the whole address shows (wrapped) on a phone.
  const input = h("textarea", { id: "feed-url", readonly: true, rows: "3", spellcheck: "false", class: "feed-url" }, url);
  const copyButton = h("button", { type: "button", class: "secondary" }, t("feed.copy"));
  copyButton.addEventListener("click", async () => {
    const ok = await copy(url, input);
    notice(feedResult, ok ? "ok" : "bad", t(ok ? "feed.copied" : "feed.copy_failed"));
  });
  const renew = h("button", { type: "button", class: "secondary" }, t("feed.renew"));
  renew.addEventListener("click", async () => {
    const sure = await openDialog({
      title: t("feed.renew_title"),
      body: [h("p", null, t("feed.renew_text"))],
      buttons: [
        { label: t("dialog.cancel"), value: false, kind: "secondary" },
        { label: t("feed.renew"), value: true },
      ],
      initial: false,
    });
    if (sure) await change("POST", renew, "feed.renewed");
  });
  const revoke = h("button", { type: "button", class: "danger" }, t("feed.revoke"));
  revoke.addEventListener("click", async () => {
    const sure = await openDialog({
      title: t("feed.revoke_title"),
      body: [h("p", null, t("feed.revoke_text"))],
      buttons: [
        { label: t("dialog.cancel"), value: false, kind: "secondary" },
        { label: t("feed.revoke"), value: true, kind: "danger" },
      ],
      initial: false,
    });
    if (sure) await change("DELETE", revoke, "feed.revoked");
  });
  feedBody.append(
    h("div", { class: "field" },
      h("label", { for: "feed-url" }, t("feed.url")),
      h("div", { class: "inline" }, input, copyButton)),
    h("p", { class: "actions" }, renew, revoke));
}

async function change(method, button, doneKey) {
  setBusy(button, true);
  const r = await api(method, "/api/me/calendar-token");
  if (!button.isConnected) return;
  setBusy(button, false);
  if (r.ok && r.data) {
    renderFeed(r.data.url);
    notice(feedResult, "ok", t(doneKey));
    focusNotice(feedResult);
  } else {
    notice(feedResult, "bad", errorMessage(r));
  }
}

async function loadFeed() {
  const r = await api("GET", "/api/me/calendar-token");
  if (r.ok && r.data) renderFeed(r.data.url);
  else {
    clear(feedBody);
    notice(feedResult, "bad", errorMessage(r));
  }
}

await Promise.all([showAll(), loadFeed()]);
if (location.hash === "#feed") byId("feed").focus();
