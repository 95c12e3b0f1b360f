// staff-awards.js - the award cycles for staff: phase, next deadline, and
// per row the main action (edit) with the others in a menu.
import { errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { loadCycles, nextDeadline, phaseChip, rowMenu, staffAwardsNav, whenText } from "./awards-common.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
staffAwardsNav(null);
const box = byId("list");
const r = await loadCycles();
clear(box);
if (!r.ok) {
  box.append(h("p", { class: "notice bad" }, errorMessage(r)));
} else if (!r.data.items.length) {
  box.append(h("div", { class: "empty-state" }, h("p", null, t("staff.awards.empty"))));
} else {
  const row = (c) => {
    const next = nextDeadline(c);
    const q = `?cycle=${c.id}`;
    return h("tr", null,
      h("td", { "data-label": t("staff.awards.col.cycle"), class: "title-cell" }, h("div", { class: "cell" },
        h("a", { class: "strong", href: `/staff/award-cycle.html?id=${c.id}` }, c.title),
        h("span", { class: "sub" }, t("staff.awards.cycle_sub", { year: c.year, categories: c.categories.length })))),
      h("td", { "data-label": t("staff.awards.col.phase") }, h("div", { class: "cell" }, phaseChip(c.phase))),
      h("td", { "data-label": t("staff.awards.col.next") }, h("div", { class: "cell" },
        next ? [h("span", null, t(next.key)), h("span", { class: "sub" }, whenText(next.at))] : h("span", { class: "muted" }, t("awards.no_deadline")))),
      h("td", { "data-label": t("staff.awards.col.actions"), class: "actions-cell" }, h("div", { class: "cell row-actions" },
        h("a", { class: "button-link small", href: `/staff/award-cycle.html?id=${c.id}`, "aria-label": t("staff.awards.edit_of", { title: c.title }) }, t("staff.awards.edit")),
        rowMenu(t("staff.awards.more"), [
          h("a", { href: `/staff/award-judges.html${q}` }, t("staff.awards.nav.judges")),
          h("a", { href: `/staff/award-progress.html${q}` }, t("staff.awards.nav.progress")),
          h("a", { href: `/staff/award-votes.html${q}` }, t("staff.awards.nav.votes")),
          h("a", { href: `/staff/award-results.html${q}` }, t("staff.awards.nav.results")),
          h("a", { href: `/awards/index.html${q}` }, t("staff.awards.public_page")),
        ]))));
  };
  box.append(h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": t("staff.awards.caption") },
    h("table", { class: "list" },
      h("caption", { class: "visually-hidden" }, t("staff.awards.caption")),
      h("thead", null, h("tr", null, ["staff.awards.col.cycle", "staff.awards.col.phase", "staff.awards.col.next", "staff.awards.col.actions"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", null, r.data.items.map(row)))));
}
