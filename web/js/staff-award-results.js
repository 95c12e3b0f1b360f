// staff-award-results.js - the results before publication (a preview with
// the formula and the cycle's weights) and publishing them with the
// finalists chosen per category (the highest ranked are proposed).
import { api, errorMessage } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { setBusy } from "./form.js";
import { formatNumber, t } from "./i18n.js";
import { initPage, setFlash } from "./layout.js";
import { currentCycle, localErrors, number, phaseChip, showErrors, staffAwardsNav, whenText } from "./awards-common.js";
import { resultsView } from "./awards-results-view.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const { cycle, result } = await currentCycle();
staffAwardsNav(cycle && cycle.id);
byId("loading").remove();
const box = byId("results");

if (!cycle) {
  box.append(h("p", { class: "notice info" }, result.ok ? t("awards.no_cycle") : errorMessage(result)));
} else {
  box.append(h("p", { class: "lead" }, cycle.title, " ", phaseChip(cycle.phase)));
  const r = await api("GET", `/api/awards/cycles/${cycle.id}/results`);
  if (!r.ok) {
    box.append(h("p", { class: "notice bad" }, r.status === 404 ? t("staff.results.unavailable") : errorMessage(r)));
  } else if (r.data.published_at) {
    box.append(h("p", { class: "notice ok results-when" }, t("awards.results.published_at", { when: whenText(r.data.published_at) })),
      ...resultsView(r.data));
  } else {
    box.append(...resultsView(r.data, { staff: true }));
    const summaryEl = h("div", { hidden: true });
    const form = h("form", { id: "publish-form", class: "card", novalidate: true },
      h("h2", null, t("staff.results.publish_heading")),
      h("p", { class: "hint" }, t("staff.results.publish_hint", { n: formatNumber(cycle.finalists_per_category) })));
    for (const cat of r.data.categories) {
      const entries = [...cat.entries].sort((a, b) => (a.rank || 999) - (b.rank || 999));
      // The preview carries the awards publishing without a choice would
      // give: the winner (rank 1 with a final score) is not a finalist;
      // the finalists it proposes are ticked, any other case can be.
      const winner = entries.find((e) => e.award === "winner");
      const fs = h("fieldset", { class: "field" }, h("legend", null, t("staff.results.finalists_of", { category: cat.name })));
      if (winner) fs.append(h("p", { class: "hint" }, t("staff.results.winner_is", { title: winner.title, score: number(winner.final_score) })));
      for (const e of entries) {
        if (e === winner) continue;
        const id = `fin-${cat.id}-${e.submission_id}`;
        fs.append(h("div", { class: "check" },
          h("input", { type: "checkbox", id, name: `finalists.${cat.id}`, value: String(e.submission_id), checked: e.award === "finalist" }),
          h("label", { for: id }, t("staff.results.entry", { rank: e.rank || "—", title: e.title, score: number(e.final_score) }))));
      }
      if (!entries.length) fs.append(h("p", { class: "muted" }, t("awards.results.no_entries")));
      else if (entries.length === 1 && winner) fs.append(h("p", { class: "muted" }, t("staff.results.no_other")));
      fs.append(h("p", { class: "field-error", dataset: { errorFor: `finalists.${cat.id}` }, hidden: true }));
      form.append(fs);
    }
    const closed = cycle.phase === "closed";
    if (!closed) form.append(h("p", { class: "notice info" }, t("staff.results.not_closed", { when: whenText(cycle.evaluation_closes_at) })));
    const button = h("button", { type: "submit", disabled: !closed }, t("staff.results.publish"));
    form.append(h("p", { class: "actions" }, button));
    box.append(summaryEl, form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const finalists = {};
      for (const cat of r.data.categories) {
        finalists[cat.id] = [...form.querySelectorAll(`input[name="finalists.${cat.id}"]:checked`)].map((x) => Number(x.value));
      }
      const empty = {};
      for (const cat of r.data.categories) if (cat.entries.some((e) => e.award !== "winner") && !finalists[cat.id].length) empty[`finalists.${cat.id}`] = t("staff.results.err.finalists", { category: cat.name });
      if (Object.keys(empty).length) {
        showErrors(form, summaryEl, localErrors(empty));
        return;
      }
      const ok = await confirmDialog({ title: t("staff.results.confirm_title"), text: t("staff.results.confirm_text"), confirmLabel: t("staff.results.publish"), danger: false });
      if (!ok) return;
      setBusy(button, true);
      const p = await api("POST", `/api/awards/cycles/${cycle.id}/publish`, { finalists });
      setBusy(button, false);
      if (!p.ok) {
        showErrors(form, summaryEl, p);
        return;
      }
      setFlash("ok", "staff.results.published");
      location.reload();
    });
  }
}
