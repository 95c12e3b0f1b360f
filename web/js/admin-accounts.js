// admin-accounts.js - accounts with search and paging, one action on each
// row and the other in its menu
// (GET /api/admin/accounts for admins, GET /api/accounts for staff), their
// roles (admins: PUT / DELETE /api/admin/accounts/{id}/roles/{role}) and
// their confirmed affiliation (staff and admins:
// POST /api/accounts/{id}/organisation/confirm).
import { api, errorMessage, query } from "./api.js";
import { byId, h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { focusNotice, notice } from "./form.js";
import { formatDateTime, formatNumber, t } from "./i18n.js";
import { hasRole, initPage } from "./layout.js";
import { loadOrganisations } from "./orgpicker.js";
import { ROLES, roleChips } from "./roles.js";
import { rowActions } from "./rowmenu.js";
import { DataTable, pageFromUrl, saveState } from "./table.js";

const { me } = await initPage({ auth: "required", role: ["admin", "staff"] });
const isAdmin = hasRole(me, "admin");
const form = byId("filter");
const result = byId("result");
const params = new URLSearchParams(location.search);
form.elements.q.value = params.get("q") || "";
form.elements.role.value = ROLES.includes(params.get("role")) ? params.get("role") : "";

function filters() {
  return { q: form.elements.q.value.trim(), role: form.elements.role.value };
}

// How many accounts hold each role (with the search), in the role's option.
function showCounts(counts) {
  for (const o of form.elements.role.options) {
    if (o.value) o.textContent = t("accounts.role_count", { role: t(`role.${o.value}`), count: formatNumber(counts[o.value] || 0) });
  }
}

const orgNames = new Map();
loadOrganisations().then((r) => {
  if (r.ok && r.data) for (const o of r.data.items) orgNames.set(o.id, o.name);
});

function nameCell(a) {
  return [h("span", { class: "name strong" }, a.name), h("span", { class: "sub" }, a.email)];
}

function rolesCell(a) {
  return h("span", { class: "chips" }, roleChips(a.roles));
}

function organisationCell(a) {
  if (!a.organisation_id) return "";
  return [
    h("span", null, orgNames.get(a.organisation_id) || (a.organisation && a.organisation.name) || ""),
    h("span", { class: "sub" }, t(a.organisation_confirmed ? "accounts.org_confirmed_yes_long" : "accounts.org_confirmed_no_long")),
  ];
}

async function confirmOrganisation(a, button) {
  button.disabled = true;
  result.hidden = true;
  const r = await api("POST", `/api/accounts/${a.id}/organisation/confirm`);
  if (r.ok) {
    await table.show();
    notice(result, "ok", t("accounts.org_confirmed", { name: a.name }));
  } else {
    button.disabled = false;
    notice(result, "bad", errorMessage(r));
  }
  focusNotice(result);
}

// One action on the row (admins: the roles; staff: confirming an
// organisation), the other in the row's menu.
function actionCell(a) {
  const actions = [];
  if (isAdmin) {
    actions.push({
      label: t("accounts.edit_roles"),
      ariaLabel: t("accounts.edit_roles_of", { name: a.name }),
      onSelect: () => editRoles(a),
    });
  }
  if (a.organisation_id && !a.organisation_confirmed) {
    actions.push({
      label: t("accounts.confirm_org"),
      ariaLabel: t("accounts.confirm_org_of", { name: a.name }),
      onSelect: (button) => confirmOrganisation(a, button),
    });
  }
  if (!actions.length) return "";
  const [first, ...rest] = actions;
  const main = h("button", { type: "button", class: "secondary small main-action", "aria-label": first.ariaLabel }, first.label);
  main.addEventListener("click", () => first.onSelect(main));
  return rowActions({ main, more: rest, name: a.name });
}

const table = new DataTable(byId("list"), {
  caption: t("accounts.caption"),
  perPage: 20,
  empty: t("accounts.empty"),
  columns: [
    { label: t("accounts.col.person"), cell: nameCell },
    { label: t("accounts.col.organisation"), cell: organisationCell },
    { label: t("accounts.col.roles"), cell: rolesCell },
    { label: t("accounts.col.action"), cell: actionCell, className: "actions-cell" },
    { label: t("accounts.col.verified"), cell: (a) => t(a.email_verified ? "accounts.yes" : "accounts.no") },
    { label: t("accounts.col.created"), cell: (a) => formatDateTime(a.created_at), className: "date" },
  ],
  load: async (page, perPage) => {
    await loadOrganisations();
    const path = isAdmin ? "/api/admin/accounts" : "/api/accounts";
    const r = await api("GET", `${path}${query({ ...filters(), page, per_page: perPage })}`);
    if (r.ok && r.data && r.data.counts) showCounts(r.data.counts);
    return r;
  },
  onPage: (page) => saveState({ ...filters(), page }),
});
await table.show(pageFromUrl());

form.elements.role.addEventListener("change", () => form.requestSubmit());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.hidden = true;
  saveState({ ...filters(), page: 1 });
  await table.show(1);
});

async function editRoles(account) {
  const boxes = ROLES.map((role) => {
    const id = `role-${role}`;
    const self = account.id === me.id && role === "admin";
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: role, checked: account.roles.includes(role), disabled: self }),
      h("label", { for: id }, t(`role.${role}`),
        h("span", { class: "hint" }, self ? t("accounts.own_admin") : t(`role.${role}.about`))));
  });
  const error = h("p", { class: "notice bad", role: "alert", hidden: true });
  let updated = null;
  const saved = await openDialog({
    title: t("accounts.roles_title", { name: account.name }),
    body: [h("fieldset", { class: "roles" }, h("legend", { class: "visually-hidden" }, t("accounts.col.roles")), boxes), error],
    buttons: [
      { label: t("dialog.cancel"), value: false, kind: "secondary" },
      {
        label: t("accounts.save_roles"),
        value: true,
        onPress: async (dialog, button) => {
          button.disabled = true;
          error.hidden = true;
          let current = account;
          for (const role of ROLES) {
            const want = dialog.querySelector(`input[name="${role}"]`).checked;
            const has = current.roles.includes(role);
            if (want === has) continue;
            const r = await api(want ? "PUT" : "DELETE", `/api/admin/accounts/${account.id}/roles/${role}`);
            if (!r.ok) {
              button.disabled = false;
              error.textContent = errorMessage(r);
              error.hidden = false;
              if (updated) account.roles = updated.roles;
              return false;
            }
            updated = r.data;
            current = { ...current, roles: r.data.roles };
          }
          return true;
        },
      },
    ],
  });
  if (saved && updated) {
    await table.show();
    notice(result, "ok", t("accounts.roles_saved", { name: account.name }));
    focusNotice(result);
  }
}
