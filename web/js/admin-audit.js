// admin-audit.js - the audit log as sentences with names, newest first
// ("Kim Min-jun approved Ana Reyes for Urban Heat Resilience Workshop"),
// filtered by person, action and days (GET /api/admin/audit?person=
// &action=&from=&to=; the server answers the names: actor_name,
// person_name, activity_title). Each action has a sentence in the
// dictionary (audit.sentence.<action>); one without says who did what.
import { api, errorMessage, query } from "./api.js";
import { byId, h } from "./dom.js";
import { notice, clearNotice } from "./form.js";
import { formatDateTime, hasKey, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

await initPage({ auth: "required", role: "admin" });
const form = byId("filter");
const result = byId("result");
const FIELDS = ["person", "action", "from", "to"];
const start = new URLSearchParams(location.search);
for (const f of FIELDS) form.elements[f].value = start.get(f) || "";

// Known actions, offered as suggestions (with their families, "login.").
const ACTIONS = [
  "account.signup", "account.verified", "account.organisation_changed", "account.organisation_confirmed",
  "login.succeeded", "login.failed", "login.rate_limited", "login.owner_warned",
  "password.reset_requested", "password.reset", "password.changed", "session.revoked",
  "role.granted", "role.revoked", "mail.retried",
  "activity.created", "activity.updated", "activity.published", "activity.cancelled",
  "activity.questions_changed", "activity.message_sent",
  "enrollment.approve", "enrollment.reject", "enrollment.promote", "enrollment.waitlist",
  "enrollment.attended", "enrollment.cancel", "enrollment.approved_over_limit",
  "enrollment.promoted_over_limit", "enrollment.registered_for",
  "calendar_feed.created", "calendar_feed.revoked",
];
const families = [...new Set(ACTIONS.map((a) => `${a.split(".")[0]}.`))];
byId("actions").append(...[...families, ...ACTIONS].map((a) => h("option", { value: a })));

function filters() {
  const out = {};
  for (const f of FIELDS) out[f] = form.elements[f].value.trim();
  return out;
}

// The names a sentence is made of, each with a fallback that still says
// something true.
function names(e) {
  const d = e.details && typeof e.details === "object" ? e.details : {};
  return {
    actor: e.actor_name || (e.actor_id ? t("audit.account_n", { id: e.actor_id }) : t("audit.someone")),
    person: e.person_name || (e.person_id ? t("audit.account_n", { id: e.person_id })
      : e.target_type === "account" && e.target_id ? t("audit.account_n", { id: e.target_id }) : t("audit.someone_else")),
    activity: e.activity_title || (e.activity_id ? t("audit.activity_n", { id: e.activity_id }) : t("audit.an_activity")),
    target: e.target_id || "",
    role: d.role && hasKey(`role.${d.role}`) ? t(`role.${d.role}`) : d.role || "",
  };
}

function sentence(e) {
  const key = `audit.sentence.${e.action}`;
  const n = names(e);
  if (hasKey(key)) return t(key, n);
  const label = hasKey(`audit.action.${e.action}`) ? t(`audit.action.${e.action}`) : e.action;
  return t("audit.sentence.other", { ...n, action: label });
}

function entryCell(e) {
  return [h("span", { class: "audit-sentence" }, sentence(e)), h("code", null, e.action)];
}

function details(e) {
  if (!e.details || typeof e.details !== "object") return "";
  return Object.entries(e.details).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

const table = new DataTable(byId("list"), {
  caption: t("audit.caption"),
  perPage: 25,
  empty: t("audit.empty"),
  columns: [
    { label: t("audit.col.at"), cell: (e) => formatDateTime(e.at), className: "date" },
    { label: t("audit.col.entry"), cell: entryCell, className: "entry-cell" },
    { label: t("audit.col.details"), cell: details },
    { label: t("audit.col.ip"), cell: (e) => e.ip || "" },
  ],
  load: async (page, perPage) => {
    const r = await api("GET", `/api/admin/audit${query({ ...filters(), page, per_page: perPage })}`);
    if (!r.ok && r.status === 400) notice(result, "bad", errorMessage(r));
    return r;
  },
  onPage: (page) => saveState({ ...filters(), page }),
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearNotice(result);
  const f = filters();
  if (f.from && f.to && f.from > f.to) {
    notice(result, "bad", t("audit.from_after_to"));
    return;
  }
  saveState({ ...f, page: 1 });
  await table.show(1);
});

await table.show(pageFromUrl());
