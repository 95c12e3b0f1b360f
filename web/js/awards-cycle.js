// awards-cycle.js - the current cycle for everyone: its phase, windows
// (with their zone), a countdown to the next deadline, the categories and
// criteria, and what one can do now (submit a case, vote, see results).
import { errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";
import { initPage, showBanner } from "./layout.js";
import { awardsNav, countdown, phaseChip, whenText, windowsList } from "./awards-common.js";
import { currentCycle } from "./awards-common.js";

const { me } = await initPage();
const { cycle, result } = await currentCycle();
byId("loading").remove();
awardsNav(me, cycle && cycle.id);
const box = byId("cycle");

function nowLinks(c) {
  const links = [];
  if (c.phase === "submission") {
    links.push(h("a", { class: "button-link", href: `/awards/case-edit.html?cycle=${c.id}` }, t("awards.start_case")));
  }
  if (c.phase === "voting") {
    links.push(h("a", { class: "button-link", href: `/awards/vote.html?cycle=${c.id}` }, t("awards.go_vote")));
  }
  if (c.phase === "published") {
    links.push(h("a", { class: "button-link", href: `/awards/results.html?cycle=${c.id}` }, t("awards.see_results")));
  }
  links.push(h("a", { class: "button-link secondary", href: "/awards/gallery.html" }, t("awards.see_gallery")));
  return h("p", { class: "actions page-actions" }, links);
}

if (!result.ok && !cycle) {
  showBanner("bad", errorMessage(result));
} else if (!cycle) {
  box.append(h("section", { class: "card" }, h("h2", null, t("awards.no_cycle_heading")), h("p", null, t("awards.no_cycle"))));
} else {
  const c = cycle;
  document.title = t("title.pattern", { page: c.title });
  clear(box).append(
    h("section", { class: "card", "aria-labelledby": "cycle-title" },
      h("h2", { id: "cycle-title" }, c.title),
      h("p", { class: "lead" }, t("awards.phase_now"), " ", phaseChip(c.phase)),
      countdown(c),
      windowsList(c),
      c.ceremony_on ? h("p", null, t("awards.ceremony", { date: c.ceremony_on, place: c.ceremony_place || "" })) : null,
      nowLinks(c)),
    h("section", { class: "card", "aria-labelledby": "cats-title" },
      h("h2", { id: "cats-title" }, t("awards.categories")),
      h("ul", { class: "plain-list" }, c.categories.map((k) => h("li", null,
        h("h3", null, k.name), k.description ? h("p", null, k.description) : null)))),
    h("section", { class: "card", "aria-labelledby": "crit-title" },
      h("h2", { id: "crit-title" }, t("awards.criteria")),
      h("p", { class: "hint" }, t("awards.criteria_intro")),
      h("ul", { class: "plain-list" }, c.criteria.map((k) => h("li", null,
        h("h3", null, k.name),
        h("p", { class: "sub" }, t("awards.criterion_scale", { max: formatNumber(k.scale_max), weight: formatNumber(k.weight) })),
        k.description ? h("p", null, k.description) : null)))),
    h("section", { class: "card", "aria-labelledby": "formula-title" },
      h("h2", { id: "formula-title" }, t("awards.formula_heading")),
      h("p", null, t("awards.formula", {
        jury: formatNumber(Math.round(c.jury_weight * 100)), public: formatNumber(Math.round(c.public_weight * 100)),
      })),
      c.normalise ? h("p", { class: "hint" }, t("awards.normalised")) : null));
}
