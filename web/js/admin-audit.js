// admin-audit.js - the audit log, newest first, filtered by the beginning
// of the action (GET /api/admin/audit?action=).
import { api, query } from "./api.js";
import { byId, h } from "./dom.js";
import { formatDateTime, hasKey, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

await initPage({ auth: "required", role: "admin" });
const form = byId("filter");
form.elements.action.value = new URLSearchParams(location.search).get("action") || "";

// Known actions, offered as suggestions (with their families, "login.").
const ACTIONS = [
  "account.signup", "account.verified", "login.succeeded", "login.failed", "login.rate_limited",
  "password.reset_requested", "password.reset", "password.changed", "session.revoked",
  "role.granted", "role.revoked", "mail.retried",
];
const families = [...new Set(ACTIONS.map((a) => `${a.split(".")[0]}.`))];
byId("actions").append(...[...families, ...ACTIONS].map((a) => h("option", { value: a })));

function actionCell(e) {
  const key = `audit.action.${e.action}`;
  return [
    hasKey(key) ? h("span", { class: "action-name" }, t(key)) : null,
    h("code", null, e.action),
  ];
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
    { label: t("audit.col.actor"), cell: (e) => e.actor_email || (e.actor_id ? `#${e.actor_id}` : t("audit.nobody")) },
    { label: t("audit.col.action"), cell: actionCell },
    { label: t("audit.col.target"), cell: (e) => (e.target_type ? `${e.target_type} ${e.target_id || ""}`.trim() : "") },
    { label: t("audit.col.details"), cell: details },
    { label: t("audit.col.ip"), cell: (e) => e.ip || "" },
  ],
  load: (page, perPage) =>
    api("GET", `/api/admin/audit${query({ action: form.elements.action.value.trim(), page, per_page: perPage })}`),
  onPage: (page) => saveState({ action: form.elements.action.value.trim(), page }),
});
await table.show(pageFromUrl());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  saveState({ action: form.elements.action.value.trim(), page: 1 });
  await table.show(1);
});
