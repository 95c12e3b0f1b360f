// admin-outbox.js - the mail outbox filtered by status, each status's count
// in the filter (GET /api/admin/outbox: counts) with "send again" for failed mail
// (POST /api/admin/outbox/{id}/retry).
import { api, errorMessage, query } from "./api.js";
import { byId, h } from "./dom.js";
import { focusNotice, notice, setBusy } from "./form.js";
import { formatDateTime, formatNumber, hasKey, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

await initPage({ auth: "required", role: "admin" });
const form = byId("filter");
const result = byId("result");
const STATUSES = ["pending", "sending", "sent", "failed"];
const wanted = new URLSearchParams(location.search).get("status") || "";
form.elements.status.value = STATUSES.includes(wanted) ? wanted : "";

// The count of each status in its option ("Failed (3)"), from the list's
// counts.
function showCounts(counts) {
  for (const o of form.elements.status.options) {
    if (o.value) o.textContent = t("outbox.status_count", { status: t(`outbox.status.${o.value}`), count: formatNumber(counts[o.value] || 0) });
  }
}

function statusCell(m) {
  return h("span", { class: `chip status-${m.status}` }, t(`outbox.status.${m.status}`));
}

function templateName(m) {
  const key = `outbox.template.${m.template}`;
  return hasKey(key) ? t(key) : m.template;
}

function actionCell(m) {
  if (m.status !== "failed") return "";
  const button = h("button", { type: "button", class: "secondary small" }, t("outbox.retry"));
  button.setAttribute("aria-label", t("outbox.retry_label", { id: m.id, to: m.to_address }));
  button.addEventListener("click", () => retry(m, button));
  return button;
}

const table = new DataTable(byId("list"), {
  caption: t("outbox.caption"),
  perPage: 25,
  empty: t("outbox.empty"),
  columns: [
    { label: t("outbox.col.id"), cell: (m) => String(m.id) },
    { label: t("outbox.col.created"), cell: (m) => formatDateTime(m.created_at), className: "date" },
    { label: t("outbox.col.template"), cell: templateName },
    { label: t("outbox.col.to"), cell: (m) => m.to_address },
    { label: t("outbox.col.status"), cell: statusCell },
    { label: t("outbox.col.attempts"), cell: (m) => String(m.attempts) },
    { label: t("outbox.col.error"), cell: (m) => m.last_error || "" },
    { label: t("outbox.col.sent"), cell: (m) => formatDateTime(m.sent_at), className: "date" },
    { label: t("outbox.col.action"), cell: actionCell, className: "actions-cell" },
  ],
  load: async (page, perPage) => {
    const r = await api("GET", `/api/admin/outbox${query({ status: form.elements.status.value, page, per_page: perPage })}`);
    if (r.ok && r.data && r.data.counts) showCounts(r.data.counts);
    return r;
  },
  onPage: (page) => saveState({ status: form.elements.status.value, page }),
});
await table.show(pageFromUrl());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.hidden = true;
  saveState({ status: form.elements.status.value, page: 1 });
  await table.show(1);
});

async function retry(m, button) {
  setBusy(button, true);
  const r = await api("POST", `/api/admin/outbox/${encodeURIComponent(m.id)}/retry`);
  setBusy(button, false);
  if (r.ok) {
    notice(result, "ok", t("outbox.retried", { id: m.id }));
    await table.show();
  } else {
    notice(result, "bad", errorMessage(r));
  }
  focusNotice(result);
}
