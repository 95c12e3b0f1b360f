// awards-results-view.js - a cycle's results per category (the winner,
// the finalists, the public's choice, every entry's scores) and the
// formula with the cycle's weights; shared by the public results page and
// the staff preview.
import { h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";
import { number, orgText } from "./awards-common.js";

export function formulaText(r) {
  return t("awards.results.formula", {
    jury: formatNumber(Math.round(Number(r.jury_weight) * 100)),
    public: formatNumber(Math.round(Number(r.public_weight) * 100)),
  });
}

function entryLine(e) {
  return [h("a", { href: `/awards/case.html?id=${e.submission_id}` }, e.title), " ",
    h("span", { class: "sub" }, orgText(e.organisation))];
}

export function resultsView(r, { staff = false } = {}) {
  const out = [h("section", { class: "card", "aria-labelledby": "formula-h" },
    h("h2", { id: "formula-h" }, t("awards.formula_heading")),
    h("p", null, formulaText(r)),
    // The server's computation in full is for those who want to check it.
    r.formula ? h("details", { class: "formula-full" }, h("summary", null, t("awards.results.formula_full")),
      h("p", null, h("code", null, r.formula))) : null,
    r.normalise ? h("p", { class: "hint" }, t("awards.normalised")) : null)];
  for (const cat of r.categories || []) {
    const entries = [...(cat.entries || [])].sort((a, b) => (a.rank || 999) - (b.rank || 999));
    // Before publication no award is set: the highest ranked is shown as
    // the winner to be.
    const winner = entries.find((e) => e.award === "winner") || (!r.published_at ? entries.find((e) => e.rank === 1) : null);
    const proposed = winner && !r.published_at;
    const finalists = entries.filter((e) => e.award === "finalist");
    const publicChoice = entries.find((e) => e.public_choice);
    const rows = entries.map((e) => h("tr", null,
      h("td", { "data-label": t("awards.results.rank") }, h("div", { class: "cell" }, e.rank ? formatNumber(e.rank) : "—")),
      h("td", { "data-label": t("awards.results.case"), class: "title-cell" }, h("div", { class: "cell" }, entryLine(e),
        e.award ? h("span", { class: `chip award-${e.award}` }, t(`awards.award.${e.award}`)) : null)),
      h("td", { "data-label": t("awards.results.jury") }, h("div", { class: "cell" }, number(e.jury_score))),
      h("td", { "data-label": t("awards.results.votes") }, h("div", { class: "cell" }, number(e.public_votes))),
      h("td", { "data-label": t("awards.results.public") }, h("div", { class: "cell" }, number(e.public_score))),
      h("td", { "data-label": t("awards.results.final") }, h("div", { class: "cell" }, h("strong", null, number(e.final_score))))));
    out.push(h("section", { class: "card results-category", "aria-labelledby": `res-${cat.id}` },
      h("h2", { id: `res-${cat.id}` }, cat.name),
      h("dl", { class: "facts" },
        h("div", null, h("dt", null, t("awards.results.winner")), h("dd", null, winner ? [entryLine(winner), proposed ? h("span", { class: "sub" }, ` ${t("awards.results.proposed")}`) : null] : t("awards.results.none"))),
        h("div", null, h("dt", null, t("awards.results.finalists")),
          h("dd", null, finalists.length ? h("ul", { class: "plain-list" }, finalists.map((e) => h("li", null, entryLine(e)))) : t("awards.results.none"))),
        h("div", null, h("dt", null, t("awards.results.public_choice")), h("dd", null, publicChoice ? entryLine(publicChoice) : t("awards.results.none")))),
      entries.length ? h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": t("awards.results.table", { category: cat.name }) },
        h("table", { class: "list" },
          h("caption", { class: "visually-hidden" }, t("awards.results.table", { category: cat.name })),
          h("thead", null, h("tr", null,
            ["awards.results.rank", "awards.results.case", "awards.results.jury", "awards.results.votes", "awards.results.public", "awards.results.final"]
              .map((k) => h("th", { scope: "col" }, t(k))))),
          h("tbody", null, rows))) : h("p", { class: "muted" }, t("awards.results.no_entries")),
      staff ? h("p", { class: "hint" }, t("awards.results.staff_note")) : null));
  }
  return out;
}
