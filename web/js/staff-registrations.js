// staff-registrations.js - the registrations of one activity
// (GET /api/activities/{id}/enrollments, searched by name, email or
// organisation, filtered by status with the count of each, the waiting
// list in order), several approved or moved to the waiting list at once
// (POST /api/activities/{id}/enrollments/bulk, a result per row), and the
// staff's actions on each (the main one on the row, the rest in its menu; POST
// /api/enrollments/{id}/{action}: approve, reject, promote, waitlist,
// attended, cancel; approve and promote past an organisation's limit only
// after an explicit choice, sent as {"override_limit": true}), registering someone on their behalf (POST
// /api/activities/{id}/enrollments with account_id; staff find the
// account by name or email through GET /api/accounts) and the participants'
// CSV (a plain link: the session cookie authorises the download).
import { api, errorMessage, query, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { focusNotice, notice, clearNotice, setBusy, submit } from "./form.js";
import { formatNumber, t, tn } from "./i18n.js";
import { formatInstant } from "./time.js";
import { initPage, setFlash } from "./layout.js";
import {
  ENROLMENT_STATUSES, activityHref, dateText, enrolmentChip, enrolmentText, modeLabel, placeText, seatsText,
} from "./activity-info.js";
import { answerList, collectAnswers, questionFields } from "./questions.js";
import { rowActions } from "./rowmenu.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

const { me } = await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const id = queryParam("id");
const result = byId("result");
const filter = byId("filter");
let activity = null;

async function loadActivity() {
  if (!id || !/^\d+$/.test(id)) return { ok: false, status: 404 };
  return api("GET", `/api/activities/${id}`);
}

const first = await loadActivity();
if (!first.ok || !first.data) {
  setFlash("bad", first.status === 404 ? "staff.not_found" : "error.me_failed");
  location.replace("/staff/activities.html");
  await new Promise(() => {});
}

function showActivity(a) {
  activity = a;
  document.title = t("title.staff_registrations_of", { title: a.title });
  byId("heading").textContent = t("staff.registrations_of", { title: a.title });
  const parts = [dateText(a), placeText(a), modeLabel(a)];
  const seats = seatsText(a);
  if (seats) parts.push(seats);
  if (a.status !== "published") parts.push(t(`status.${a.status}`));
  byId("activity-meta").textContent = parts.join(" · ");
  byId("csv").href = `/api/activities/${a.id}/participants.csv`;
  byId("link-edit").href = `/staff/activity.html?id=${a.id}`;
  byId("link-public").href = activityHref(a);
}
showActivity(first.data);

// ---- The list ----------------------------------------------------------------

const statusSelect = filter.elements.status;
const search = filter.elements.q;
statusSelect.append(...ENROLMENT_STATUSES.map((s) => h("option", { value: s }, t(`enrolment.${s}`))));
const startParams = new URLSearchParams(location.search);
const wanted = startParams.get("status") || "";
statusSelect.value = ENROLMENT_STATUSES.includes(wanted) ? wanted : "";
search.value = startParams.get("q") || "";

// The actions each status allows (as the API does); the first is the one
// shown on the row, the others are in its menu.
const ACTIONS = {
  pending_approval: ["approve", "reject", "waitlist", "cancel"],
  confirmed: ["attended", "waitlist", "reject", "cancel"],
  waitlisted: ["promote", "reject", "cancel"],
};
const CONFIRM = ["reject", "cancel"];

// The registrations ticked for a bulk action (ids of the page shown).
const selected = new Set();
let shown = [];

function selectCell(e) {
  const box = h("input", {
    type: "checkbox",
    class: "row-select",
    value: String(e.id),
    "aria-label": t("staff.select_of", { name: e.name }),
    checked: selected.has(e.id),
  });
  box.addEventListener("change", () => {
    if (box.checked) selected.add(e.id);
    else selected.delete(e.id);
    showSelection();
  });
  return box;
}

function personCell(e) {
  return [
    h("span", { class: "strong" }, e.name),
    h("span", { class: "sub" }, e.email),
    e.organisation ? h("span", { class: "sub" }, e.organisation) : null,
  ];
}

function statusCell(e) {
  return [
    enrolmentChip(e),
    e.status === "waitlisted" && e.waitlist_position
      ? h("span", { class: "sub" }, t("mine.position", { position: formatNumber(e.waitlist_position) }))
      : null,
  ];
}

function answersCell(e) {
  return answerList(activity.questions, e.answers) || "";
}

function actionsCell(e) {
  const actions = activity.status === "cancelled" ? [] : ACTIONS[e.status] || [];
  if (!actions.length) return "";
  const [first, ...rest] = actions;
  const label = t(`staff.action.${first}`);
  const main = h("button", {
    type: "button",
    class: "small main-action",
    "aria-label": t("staff.action_of", { action: label, name: e.name }),
  }, label);
  main.addEventListener("click", () => act(e, first, main));
  return rowActions({
    main,
    name: e.name,
    more: rest.map((action) => ({
      label: t(`staff.action.${action}`),
      ariaLabel: t("staff.action_of", { action: t(`staff.action.${action}`), name: e.name }),
      danger: CONFIRM.includes(action),
      onSelect: (button) => act(e, action, button),
    })),
  });
}

function params(page) {
  return { q: search.value.trim(), status: statusSelect.value, page };
}

const table = new DataTable(byId("list"), {
  caption: t("staff.registrations_caption"),
  perPage: 50,
  empty: t("staff.registrations_empty"),
  columns: [
    { label: t("staff.col.select"), cell: selectCell, className: "select-cell" },
    { label: t("staff.col.person"), cell: personCell },
    { label: t("staff.col.status"), cell: statusCell },
    { label: t("staff.col.actions"), cell: actionsCell, className: "actions-cell" },
    { label: t("staff.col.answers"), cell: answersCell, className: "answers-cell" },
    { label: t("staff.col.registered"), cell: (e) => formatInstant(e.registered_at), className: "date" },
  ],
  load: async (page, perPage) => {
    const r = await api("GET", `/api/activities/${activity.id}/enrollments${query({ q: search.value.trim(), status: statusSelect.value, page, per_page: perPage })}`);
    selected.clear();
    shown = r.ok && r.data && Array.isArray(r.data.items) ? r.data.items : [];
    showCounts(r.ok && r.data ? r.data.counts : null);
    showSelection();
    return r;
  },
  onPage: (page) => saveState({ id: activity.id, ...params(page) }),
});

// ---- Counts per status: pending approvals first ----

const countsNav = byId("counts");

function showCounts(counts) {
  clear(countsNav);
  if (!counts) {
    countsNav.hidden = true;
    return;
  }
  const items = ENROLMENT_STATUSES.filter((s) => counts[s] > 0 || s === "pending_approval").map((s) => {
    const link = h("a", {
      href: `?${new URLSearchParams({ id: activity.id, status: s, ...(search.value.trim() ? { q: search.value.trim() } : {}) })}`,
      class: `status-count enrolment-${s}`,
      "aria-current": statusSelect.value === s ? "true" : null,
    }, t("staff.count_of", { status: t(`enrolment.${s}`), count: formatNumber(counts[s] || 0) }));
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      statusSelect.value = s;
      clearNotice(result);
      saveState({ id: activity.id, ...params(1) });
      await table.show(1);
    });
    return h("li", null, link);
  });
  countsNav.append(h("ul", null, items));
  countsNav.hidden = false;
  // The option labels carry the counts too.
  for (const o of statusSelect.options) {
    if (o.value) o.textContent = t("staff.count_option", { status: t(`enrolment.${o.value}`), count: formatNumber(counts[o.value] || 0) });
  }
}

// ---- Bulk actions ----

const bulk = byId("bulk");
const selectAll = byId("select-all");
const selectedCount = byId("selected-count");
const bulkApprove = byId("bulk-approve");
const bulkWaitlist = byId("bulk-waitlist");

function showSelection() {
  bulk.hidden = activity.status === "cancelled" || shown.length === 0;
  selectedCount.textContent = tn("staff.selected", selected.size);
  bulkApprove.disabled = selected.size === 0;
  bulkWaitlist.disabled = selected.size === 0;
  selectAll.checked = shown.length > 0 && selected.size === shown.length;
  selectAll.indeterminate = selected.size > 0 && selected.size < shown.length;
}

selectAll.addEventListener("change", () => {
  selected.clear();
  if (selectAll.checked) for (const e of shown) selected.add(e.id);
  for (const box of byId("list").querySelectorAll("input.row-select")) box.checked = selectAll.checked;
  showSelection();
});

async function runBulk(action, button) {
  if (selected.size === 0) return;
  const ids = shown.filter((e) => selected.has(e.id)).map((e) => e.id);
  const names = new Map(shown.map((e) => [e.id, e.name]));
  setBusy(button, true);
  clearNotice(result);
  const r = await api("POST", `/api/activities/${activity.id}/enrollments/bulk`, { action, ids });
  setBusy(button, false);
  if (!r.ok || !r.data) {
    notice(result, "bad", errorMessage(r));
    focusNotice(result);
    return;
  }
  await refresh();
  const failures = r.data.results.filter((x) => !x.ok);
  const lines = [tn(`staff.bulk_done.${action}`, r.data.done)];
  if (failures.length) lines.push(tn("staff.bulk_failed", failures.length));
  notice(result, failures.length ? "bad" : "ok", lines.join(" "));
  if (failures.length) {
    result.append(h("ul", { class: "bulk-failures" }, failures.map((x) =>
      h("li", null, t("staff.bulk_failure", {
        name: names.get(x.id) || `#${x.id}`,
        reason: errorMessage({ ok: false, status: 409, data: { error: x.error } }),
      })))));
  }
  focusNotice(result);
}

bulkApprove.addEventListener("click", () => runBulk("approve", bulkApprove));
bulkWaitlist.addEventListener("click", () => runBulk("waitlist", bulkWaitlist));

filter.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearNotice(result);
  saveState({ id: activity.id, ...params(1) });
  await table.show(1);
});

async function refresh() {
  const r = await loadActivity();
  if (r.ok && r.data) showActivity(r.data);
  await table.show();
}

async function act(e, action, button) {
  const label = t(`staff.action.${action}`);
  if (CONFIRM.includes(action)) {
    const sure = await confirmDialog({
      title: t("staff.action_confirm_title", { action: label, name: e.name }),
      text: t(`staff.action_confirm.${action}`, { name: e.name }),
      confirmLabel: label,
    });
    if (!sure) return;
  }
  button.disabled = true;
  clearNotice(result);
  let r = await api("POST", `/api/enrollments/${e.id}/${action}`);
  // Approving or promoting past the organisation's limit is refused unless
  // staff say so explicitly: show the refusal, then offer the choice.
  if (!r.ok && r.status === 409 && r.data && r.data.error && r.data.error.code === "organisation_limit_reached"
      && (action === "approve" || action === "promote")) {
    notice(result, "bad", errorMessage(r));
    const over = await confirmDialog({
      title: t("staff.over_limit_title", { name: e.name }),
      text: t("staff.over_limit_text", { name: e.name }),
      confirmLabel: t(`staff.over_limit.${action}`),
    });
    if (over) {
      clearNotice(result);
      r = await api("POST", `/api/enrollments/${e.id}/${action}`, { override_limit: true });
    }
  }
  if (r.ok && r.data) {
    await refresh();
    const status = enrolmentText({ status: r.data.status });
    notice(result, "ok", t(r.data.over_limit ? "staff.action_done_over_limit" : "staff.action_done", { name: e.name, status }));
  } else {
    if (button.isConnected) button.disabled = false;
    notice(result, "bad", errorMessage(r));
    if (r.status === 409) await refresh();
  }
  focusNotice(result);
}

// ---- Register someone ----------------------------------------------------------

const behalf = byId("behalf-form");
const behalfResult = byId("behalf-result");
let accountLabels = new Map();

function whoFields() {
  const error = h("p", { class: "field-error", dataset: { errorFor: "account_id" }, hidden: true });
  const search = h("input", { id: "behalf-search", type: "search", autocomplete: "off", "aria-describedby": "behalf-count", "aria-controls": "behalf-account" });
  const find = h("button", { type: "button", class: "secondary" }, t("staff.behalf_find"));
  const select = h("select", { id: "behalf-account", name: "account_id", size: "5" });
  const count = h("p", { class: "hint", id: "behalf-count", "aria-live": "polite" }, t("staff.behalf_search_first"));
  async function run() {
    const q = search.value.trim();
    if (!q) return;
    find.disabled = true;
    const r = await api("GET", `/api/accounts${query({ q, per_page: 20 })}`);
    find.disabled = false;
    clear(select);
    accountLabels = new Map();
    if (!r.ok || !r.data) {
      count.textContent = errorMessage(r);
      return;
    }
    for (const a of r.data.items) {
      const text = t("staff.behalf_option", { name: a.name, email: a.email });
      accountLabels.set(String(a.id), a.name);
      select.append(h("option", { value: String(a.id) }, text));
    }
    if (r.data.items.length) select.value = String(r.data.items[0].id);
    count.textContent = tn("staff.behalf_found", r.data.total);
  }
  find.addEventListener("click", run);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  return [
    h("div", { class: "field" },
      h("label", { for: "behalf-search" }, t("staff.behalf_search")),
      h("div", { class: "inline" }, search, find)),
    h("div", { class: "field" },
      h("label", { for: "behalf-account" }, t("staff.behalf_choose")),
      select, count, error),
  ];
}

clear(byId("behalf-who")).append(...whoFields());

function behalfQuestions() {
  clear(byId("behalf-questions")).append(...questionFields(activity.questions, "behalf"));
}
behalfQuestions();

behalf.addEventListener("submit", async (event) => {
  event.preventDefault();
  const raw = behalf.elements.account_id.value.trim();
  const who = accountLabels.get(raw) || t("staff.behalf_account_n", { id: raw });
  const body = { account_id: /^\d+$/.test(raw) ? Number(raw) : raw, answers: collectAnswers(behalf, activity.questions) };
  const request = raw
    ? () => api("POST", `/api/activities/${activity.id}/enrollments`, body)
    : async () => ({ ok: false, status: 422, data: { error: { code: "validation_failed", fields: { account_id: t("staff.behalf_missing") } } } });
  const r = await submit(behalf, behalfResult, request);
  if (!r.ok) return;
  const status = enrolmentText(r.data);
  notice(behalfResult, r.data.created ? "ok" : "info",
    t(r.data.created ? "staff.behalf_done" : "staff.behalf_already", { name: who, status }));
  behalf.reset();
  await refresh();
  focusNotice(behalfResult);
});

if (activity.status === "cancelled") byId("behalf").hidden = true;
byId("loading").hidden = true;
byId("content").hidden = false;
await table.show(pageFromUrl());
