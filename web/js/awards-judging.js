// awards-judging.js - a judge's queue: the cases assigned to it (through
// their category), scored or not, with its own status only.
import { api, errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { t, tn } from "./i18n.js";
import { initPage } from "./layout.js";
import { awardsNav, phaseChip, whenText } from "./awards-common.js";

const { me } = await initPage({ auth: "required", role: "judge", forbiddenKey: "awards.judging.forbidden" });
awardsNav(me, null);
const box = byId("list");
const r = await api("GET", "/api/me/judging");
clear(box);
if (!r.ok) {
  box.append(h("p", { class: "notice bad" }, errorMessage(r)));
} else if (!r.data.items.length) {
  box.append(h("div", { class: "empty-state" }, h("p", null, t("awards.judging.empty"))));
} else {
  const items = r.data.items;
  const missing = items.filter((x) => x.status === "missing").length;
  box.append(h("p", { class: "count", role: "status" }, tn("awards.judging.left", missing, { total: items.length })));
  const row = (x) => {
    const open = Date.now() < Date.parse(x.evaluation_closes_at) && x.phase !== "published";
    const action = open
      ? h("a", { class: "button-link small", href: `/awards/score.html?id=${x.submission_id}`, "aria-label": t(x.status === "scored" ? "awards.judging.rescore_of" : "awards.judging.score_of", { title: x.title }) },
        t(x.status === "scored" ? "awards.judging.rescore" : "awards.judging.score"))
      : h("a", { href: `/awards/score.html?id=${x.submission_id}`, "aria-label": t("awards.my.view_of", { title: x.title }) }, t("awards.my.view"));
    return h("tr", null,
      h("td", { "data-label": t("awards.judging.col.case"), class: "title-cell" }, h("div", { class: "cell" }, h("span", { class: "strong" }, x.title))),
      h("td", { "data-label": t("awards.judging.col.status") }, h("div", { class: "cell" },
        h("span", { class: `chip judging-${x.status}` }, t(`awards.judging.status.${x.status === "scored" ? "scored" : "missing"}`)))),
      h("td", { "data-label": t("awards.judging.col.phase") }, h("div", { class: "cell" }, phaseChip(x.phase))),
      h("td", { "data-label": t("awards.judging.col.until") }, h("div", { class: "cell" }, whenText(x.evaluation_closes_at))),
      h("td", { "data-label": t("awards.my.col.action"), class: "actions-cell" }, h("div", { class: "cell" }, action)));
  };
  box.append(h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": t("awards.judging.caption") },
    h("table", { class: "list" },
      h("caption", { class: "visually-hidden" }, t("awards.judging.caption")),
      h("thead", null, h("tr", null, ["awards.judging.col.case", "awards.judging.col.status", "awards.judging.col.phase", "awards.judging.col.until", "awards.my.col.action"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", null, items.map(row)))));
}
