// staff-affiliations.js - staff confirm that an account belongs to the
// organisation it chose (POST /api/accounts/{id}/organisation/confirm).
import { api, errorMessage, query } from "./api.js";
import { byId, h } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { staffAwardsNav } from "./awards-common.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
staffAwardsNav(null);
const form = byId("filter");
const resultEl = byId("result");
const params = new URLSearchParams(location.search);
form.elements.q.value = params.get("q") || "";
form.elements.pending.checked = params.get("pending") === "1";

function filters() {
  return { q: form.elements.q.value.trim(), pending: form.elements.pending.checked ? "1" : "" };
}

function stateCell(a) {
  if (!a.organisation) return h("span", { class: "muted" }, t("staff.aff.no_org"));
  return a.organisation_confirmed
    ? h("span", { class: "chip status-published" }, t("staff.aff.confirmed"))
    : h("span", { class: "chip warn" }, t("staff.aff.unconfirmed"));
}

let table;
function actionCell(a) {
  if (!a.organisation || a.organisation_confirmed) return h("span", { class: "muted" }, "—");
  const b = h("button", { type: "button", class: "small", "aria-label": t("staff.aff.confirm_of", { name: a.name, org: a.organisation.name }) }, t("staff.aff.confirm"));
  b.addEventListener("click", async () => {
    setBusy(b, true);
    const r = await api("POST", `/api/accounts/${a.id}/organisation/confirm`);
    setBusy(b, false);
    if (!r.ok) {
      notice(resultEl, "bad", errorMessage(r));
      return;
    }
    await table.show();
    notice(resultEl, "ok", t("staff.aff.done", { name: a.name, org: a.organisation.name }));
    resultEl.setAttribute("tabindex", "-1");
    resultEl.focus();
  });
  return b;
}

table = new DataTable(byId("list"), {
  caption: t("staff.aff.caption"),
  perPage: 50,
  empty: t("staff.aff.empty"),
  columns: [
    { label: t("staff.aff.col.person"), cell: (a) => [h("span", { class: "strong" }, a.name), h("span", { class: "sub" }, a.email)], className: "title-cell" },
    { label: t("staff.aff.col.org"), cell: (a) => (a.organisation ? a.organisation.name : "—") },
    { label: t("staff.aff.col.state"), cell: stateCell },
    { label: t("staff.aff.col.action"), cell: actionCell, className: "actions-cell" },
  ],
  load: async (page, perPage) => {
    // organisation_confirmed=false narrows the list on servers that know
    // the filter (and the count is then right); the filter below keeps
    // the page right on those that ignore it.
    const pending = filters().pending ? { organisation_confirmed: "false" } : {};
    const r = await api("GET", `/api/accounts${query({ q: filters().q, ...pending, page, per_page: perPage })}`);
    if (r.ok && filters().pending) {
      r.data.items = r.data.items.filter((a) => a.organisation && !a.organisation_confirmed);
    }
    return r;
  },
  onPage: (page) => saveState({ ...filters(), page }),
});
await table.show(pageFromUrl());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  saveState({ ...filters(), page: 1 });
  await table.show(1);
});
