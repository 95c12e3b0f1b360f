// staff-award-progress.js - where the jury stands: per judge the cases
// scored and missing, per case the eligible judges (flagged under the
// cycle's minimum) and the spread of the scores, the largest disagreement
// first; and the cycle's three CSV exports.
import { api, errorMessage } from "./api.js";
import { byId, h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { categoryName, currentCycle, number, phaseChip, staffAwardsNav } from "./awards-common.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const { cycle, result } = await currentCycle();
staffAwardsNav(cycle && cycle.id);
byId("loading").remove();
const box = byId("progress");

function table(caption, heads, rows) {
  return h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": caption },
    h("table", { class: "list" }, h("caption", { class: "visually-hidden" }, caption),
      h("thead", null, h("tr", null, heads.map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", null, rows)));
}

function cell(labelKey, content, cls) {
  return h("td", { "data-label": t(labelKey), class: cls || null }, h("div", { class: "cell" }, content));
}

if (!cycle) {
  box.append(h("p", { class: "notice info" }, result.ok ? t("awards.no_cycle") : errorMessage(result)));
} else {
  box.append(h("p", { class: "lead" }, cycle.title, " ", phaseChip(cycle.phase)));
  const r = await api("GET", `/api/awards/cycles/${cycle.id}/progress?sort=disagreement`);
  if (!r.ok) box.append(h("p", { class: "notice bad" }, errorMessage(r)));
  else {
    const p = r.data;
    const under = p.cases.filter((c) => c.under_min_judges).length;
    box.append(h("section", { class: "card", "aria-labelledby": "judges-h" },
      h("h2", { id: "judges-h" }, t("staff.progress.judges")),
      p.judges.length ? table(t("staff.progress.judges_caption"), ["staff.progress.col.judge", "staff.progress.col.scored", "staff.progress.col.missing", "staff.progress.col.conflicted"],
        p.judges.map((j) => h("tr", null,
          cell("staff.progress.col.judge", h("span", { class: "strong" }, j.name), "title-cell"),
          cell("staff.progress.col.scored", formatNumber(j.scored)),
          cell("staff.progress.col.missing", j.missing ? h("span", { class: "chip warn" }, formatNumber(j.missing)) : "0"),
          cell("staff.progress.col.conflicted", formatNumber(j.conflicted)))))
        : h("p", { class: "muted" }, t("staff.judges.none"))));
    box.append(h("section", { class: "card", "aria-labelledby": "cases-h" },
      h("h2", { id: "cases-h" }, t("staff.progress.cases")),
      h("p", { class: "hint" }, t("staff.progress.cases_hint", { min: formatNumber(p.min_judges) })),
      under ? h("p", { class: "notice bad" }, t("staff.progress.under", { count: formatNumber(under), min: formatNumber(p.min_judges) })) : null,
      p.cases.length ? table(t("staff.progress.cases_caption"), ["staff.progress.col.case", "staff.progress.col.judges", "staff.progress.col.scored", "staff.progress.col.mean", "staff.progress.col.median", "staff.progress.col.stddev", "staff.progress.col.range"],
        p.cases.map((c) => h("tr", { class: c.under_min_judges ? "flagged" : null },
          cell("staff.progress.col.case", [h("a", { class: "strong", href: `/awards/case.html?id=${c.submission_id}` }, c.title), h("span", { class: "sub" }, categoryName(cycle, c.category_id))], "title-cell"),
          cell("staff.progress.col.judges", [formatNumber(c.eligible_judges), c.under_min_judges ? h("span", { class: "chip conflict" }, t("staff.progress.too_few")) : null]),
          cell("staff.progress.col.scored", formatNumber(c.scored)),
          cell("staff.progress.col.mean", number(c.mean)),
          cell("staff.progress.col.median", number(c.median)),
          cell("staff.progress.col.stddev", number(c.stddev)),
          cell("staff.progress.col.range", number(c.range)))))
        : h("p", { class: "muted" }, t("staff.progress.no_cases"))));
  }
  const ex = byId("exports");
  for (const [file, key] of [["submissions.csv", "staff.exports.submissions"], ["scores.csv", "staff.exports.scores"], ["votes.csv", "staff.exports.votes"]]) {
    ex.append(h("li", null, h("a", { href: `/api/awards/cycles/${cycle.id}/${file}`, download: `${cycle.year}-${file}` }, t(key))));
  }
}
