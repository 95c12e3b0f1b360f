// staff-activities.js - every activity, drafts included
// (GET /api/activities?status=all), with its registrations counted per
// status (enrollment_counts; the activities with the most waiting for
// approval first unless staff choose the date order, sort=pending), the
// registrations as the row's main link and editing and viewing in its menu.
import { api, query } from "./api.js";
import { byId, h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { KINDS, activityHref, badges, dateNodes, kindLabel, kindOptions, modeLabel } from "./activity-info.js";
import { rowActions } from "./rowmenu.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const form = byId("filter");
kindOptions(form.elements.kind);
const params = new URLSearchParams(location.search);
form.elements.q.value = params.get("q") || "";
form.elements.kind.value = KINDS.includes(params.get("kind")) ? params.get("kind") : "";
form.elements.sort.value = params.get("sort") === "date" ? "date" : "pending";

function filters() {
  return { q: form.elements.q.value.trim(), kind: form.elements.kind.value, sort: form.elements.sort.value };
}

// Registrations per status, those waiting for approval first (and linked
// to the list of them).
const COUNTED = ["pending_approval", "confirmed", "waitlisted", "attended"];

function registrationsCell(a) {
  const counts = a.enrollment_counts || {};
  const parts = COUNTED.filter((s) => counts[s] > 0).map((s) => {
    const text = t(`staff.count.${s}`, { count: formatNumber(counts[s]) });
    return h("li", null, s === "pending_approval"
      ? h("a", { href: `/staff/registrations.html?id=${a.id}&status=pending_approval`, class: "chip enrolment-pending_approval" }, text)
      : h("span", { class: `chip enrolment-${s}` }, text));
  });
  if (!parts.length) return h("span", { class: "muted" }, t("staff.count.none"));
  return h("ul", { class: "count-chips" }, parts);
}

function titleCell(a) {
  return [
    h("a", { href: `/staff/activity.html?id=${a.id}`, class: "strong" }, a.title),
    h("span", { class: "sub" }, kindLabel(a.kind)),
  ];
}

function statusCell(a) {
  if (a.status === "published") return h("span", { class: "chip status-published" }, t("status.published"));
  return badges(a).slice(0, 1);
}

function seatsCell(a) {
  if (a.capacity === null || a.capacity === undefined) return h("span", { class: "muted" }, t("staff.no_limit"));
  return t("staff.seats", { left: formatNumber(a.seats_left), capacity: formatNumber(a.capacity) });
}

function actionsCell(a) {
  const main = h("a", {
    href: `/staff/registrations.html?id=${a.id}`,
    class: "button-link small main-action",
    "aria-label": t("staff.registrations_of", { title: a.title }),
  }, t("staff.registrations"));
  return rowActions({
    main,
    name: a.title,
    more: [
      { label: t("staff.edit"), href: `/staff/activity.html?id=${a.id}`, ariaLabel: t("staff.edit_of", { title: a.title }) },
      { label: t("staff.view"), href: activityHref(a), ariaLabel: t("staff.view_of", { title: a.title }) },
    ],
  });
}

const table = new DataTable(byId("list"), {
  caption: t("staff.activities_caption"),
  perPage: 25,
  empty: t("staff.activities_empty"),
  columns: [
    { label: t("staff.col.title"), cell: titleCell, className: "title-cell" },
    { label: t("staff.col.dates"), cell: (a) => dateNodes(a) },
    { label: t("staff.col.mode"), cell: (a) => modeLabel(a) },
    { label: t("staff.col.status"), cell: statusCell },
    { label: t("staff.col.seats"), cell: seatsCell },
    { label: t("staff.col.registrations"), cell: registrationsCell },
    { label: t("staff.col.actions"), cell: actionsCell, className: "actions-cell" },
  ],
  load: (page, perPage) => api("GET", `/api/activities${query({ ...filters(), status: "all", page, per_page: perPage })}`),
  onPage: (page) => saveState({ ...filters(), page }),
});
await table.show(pageFromUrl());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  saveState({ ...filters(), page: 1 });
  await table.show(1);
});
