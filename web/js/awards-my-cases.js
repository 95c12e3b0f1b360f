// awards-my-cases.js - the cases of the member's organisation and their
// state, with the main action (continue, or view) in each row.
//
// The list comes from GET /api/me/submissions; while the server has no
// such route (404 or 405), the cases opened in this browser are shown instead.
import { api, errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { awardsNav, statusChip, whenText } from "./awards-common.js";
import { remembered } from "./awards-my-list.js";

const { me } = await initPage({ auth: "required" });
awardsNav(me, null);
const gate = byId("gate");
const box = byId("list");

if (!me.organisation) {
  gate.append(h("p", { class: "notice info" }, t("awards.form.no_org"), " ",
    h("a", { href: "/profile.html" }, t("awards.form.go_profile"))));
} else if (!me.organisation_confirmed) {
  gate.append(h("div", { class: "notice info" },
    h("h2", null, t("awards.form.unconfirmed_heading")),
    h("p", null, t("awards.form.unconfirmed", { org: me.organisation.name })),
    h("p", null, t("awards.form.unconfirmed_todo"))));
}

async function items() {
  // Only confirmed members may list their organisation's cases (403
  // organisation_unconfirmed otherwise): the note above says what to do.
  if (!me.organisation_confirmed) return { r: { ok: true }, items: [] };
  const r = await api("GET", "/api/me/submissions");
  if (r.ok && r.data && Array.isArray(r.data.items)) return { r, items: r.data.items };
  if (r.status !== 404 && r.status !== 405) return { r, items: null };
  const source = byId("source");
  source.textContent = t("awards.my.local_only");
  source.hidden = false;
  const out = [];
  for (const id of remembered()) {
    const g = await api("GET", `/api/submissions/${id}`);
    if (g.ok) out.push(g.data);
  }
  return { r: { ok: true }, items: out };
}

// A case read whole has category (its name); the list's items have
// category {id, name} and cycle {id, year, title}.
function categoryText(c) {
  const name = c.category && typeof c.category === "object" ? c.category.name : c.category || "";
  return c.cycle && c.cycle.title ? `${name} · ${c.cycle.title}` : name;
}

function row(c) {
  const editable = c.phase === "submission" && c.status !== "withdrawn";
  const main = editable
    ? h("a", { class: "button-link small", href: `/awards/case-edit.html?id=${c.id}`, "aria-label": t("awards.my.continue_of", { title: c.title }) }, t("awards.my.continue"))
    : h("a", { href: `/awards/case.html?id=${c.id}`, "aria-label": t("awards.my.view_of", { title: c.title }) }, t("awards.my.view"));
  return h("tr", null,
    h("td", { "data-label": t("awards.my.col.title"), class: "title-cell" }, h("div", { class: "cell" },
      h("a", { href: `/awards/case.html?id=${c.id}`, class: "strong" }, c.title), h("span", { class: "sub" }, categoryText(c)))),
    h("td", { "data-label": t("awards.my.col.status") }, h("div", { class: "cell" }, statusChip(c.status))),
    h("td", { "data-label": t("awards.my.col.updated") }, h("div", { class: "cell" }, whenText(c.updated_at))),
    h("td", { "data-label": t("awards.my.col.action"), class: "actions-cell" }, h("div", { class: "cell" }, main)));
}

const { r, items: list } = await items();
clear(box);
if (!list) {
  box.append(h("p", { class: "notice bad" }, errorMessage(r)));
} else if (!list.length) {
  box.append(h("div", { class: "empty-state" }, h("p", null, t("awards.my.empty"))));
} else {
  box.append(h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": t("awards.my.caption") },
    h("table", { class: "list" },
      h("caption", { class: "visually-hidden" }, t("awards.my.caption")),
      h("thead", null, h("tr", null, ["awards.my.col.title", "awards.my.col.status", "awards.my.col.updated", "awards.my.col.action"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", null, list.map(row)))));
}
