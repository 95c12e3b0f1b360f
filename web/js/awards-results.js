// awards-results.js - a cycle's published results, per category.
import { api, errorMessage } from "./api.js";
import { byId, h } from "./dom.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { awardsNav, currentCycle, whenText } from "./awards-common.js";
import { resultsView } from "./awards-results-view.js";

const { me } = await initPage();
const { cycle, result } = await currentCycle();
awardsNav(me, cycle && cycle.id);
const box = byId("results");
byId("loading").remove();

if (!cycle) {
  box.append(h("p", { class: "notice info" }, result.ok ? t("awards.no_cycle") : errorMessage(result)));
} else if (cycle.phase !== "published") {
  box.append(h("section", { class: "card" }, h("h2", null, cycle.title),
    h("p", { class: "notice info" }, t("awards.results.not_yet", { when: whenText(cycle.evaluation_closes_at) }))));
} else {
  const r = await api("GET", `/api/awards/cycles/${cycle.id}/results`);
  box.append(h("h2", null, cycle.title));
  if (!r.ok) box.append(h("p", { class: "notice bad" }, r.status === 404 ? t("awards.results.unavailable") : errorMessage(r)));
  else {
    if (r.data.published_at) box.append(h("p", { class: "hint results-when" }, t("awards.results.published_at", { when: whenText(r.data.published_at) })));
    box.append(...resultsView(r.data));
  }
}
