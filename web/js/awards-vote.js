// awards-vote.js - the public vote: per category the candidates (public
// once voting opens) and, for a logged-in account, its one vote, which can
// be changed or withdrawn while voting is open. Outside the window the
// page says when voting opens or closed.
import { api, errorMessage } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage, loginHref, showBanner } from "./layout.js";
import { awardsNav, currentCycle, orgText, phaseChip, sdgChips, whenText } from "./awards-common.js";

const { me } = await initPage();
const { cycle, result } = await currentCycle();
byId("loading").remove();
awardsNav(me, cycle && cycle.id);
const intro = byId("intro");
const list = byId("categories");

function windowText(c) {
  const now = Date.now();
  if (now < Date.parse(c.voting_opens_at)) return t("awards.vote.not_yet", { when: whenText(c.voting_opens_at) });
  if (now >= Date.parse(c.voting_closes_at)) return t("awards.vote.closed", { when: whenText(c.voting_closes_at) });
  return t("awards.vote.open_until", { when: whenText(c.voting_closes_at) });
}

async function showCategory(c, cat) {
  const section = h("section", { class: "card vote-category", "aria-labelledby": `cat-${cat.id}` },
    h("h2", { id: `cat-${cat.id}` }, cat.name));
  list.append(section);
  const r = await api("GET", `/api/awards/categories/${cat.id}/candidates`);
  if (!r.ok) {
    section.append(h("p", { class: r.status === 409 ? "notice info" : "notice bad" },
      r.status === 409 ? windowText(c) : errorMessage(r)));
    return;
  }
  const open = c.phase === "voting";
  let mine = null;
  if (me) {
    const v = await api("GET", `/api/awards/categories/${cat.id}/vote`);
    if (v.ok) mine = v.data;
  }
  const status = h("p", { class: "vote-status", role: "status" });
  const result = h("p", { hidden: true });
  const drawStatus = () => {
    const chosen = mine && mine.submission_id ? r.data.items.find((x) => x.id === mine.submission_id) : null;
    if (mine && mine.voided) status.textContent = t("awards.vote.voided");
    else if (chosen) status.textContent = t("awards.vote.yours", { title: chosen.title, when: whenText(mine.voted_at) });
    else status.textContent = me ? t("awards.vote.none") : "";
  };
  if (!r.data.items.length) {
    section.append(h("p", { class: "muted" }, t("awards.vote.no_candidates")));
    return;
  }
  const form = h("form", { id: `vote-${cat.id}`, novalidate: true });
  const group = h("fieldset", { class: "candidates" },
    h("legend", null, t("awards.vote.choose", { category: cat.name })));
  for (const k of r.data.items) {
    const id = `cand-${cat.id}-${k.id}`;
    group.append(h("div", { class: "candidate check" },
      h("input", {
        type: "radio", name: "submission_id", id, value: String(k.id),
        checked: Boolean(mine && mine.submission_id === k.id), disabled: !open || !me || (mine && mine.voided),
      }),
      h("label", { for: id }, h("span", { class: "strong" }, k.title), " ",
        h("span", { class: "sub" }, orgText(k.organisation))),
      h("p", { class: "hint" }, k.summary),
      sdgChips(k.sdgs),
      h("details", { class: "case-more" }, h("summary", null, t("awards.vote.read_case", { title: k.title })),
        h("h3", null, t("awards.case_description")), h("p", { class: "prose" }, k.description),
        k.partners ? [h("h3", null, t("awards.case_partners")), h("p", { class: "prose" }, k.partners)] : null,
        k.results ? [h("h3", null, t("awards.case_results")), h("p", { class: "prose" }, k.results)] : null)));
  }
  form.append(group);
  const actions = h("p", { class: "actions" });
  if (open && me) {
    const voteButton = h("button", { type: "submit" }, t("awards.vote.submit"));
    const withdraw = h("button", { type: "button", class: "secondary" }, t("awards.vote.withdraw"));
    withdraw.hidden = !(mine && mine.submission_id) || (mine && mine.voided);
    actions.append(voteButton, withdraw);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const picked = form.querySelector("input[name=submission_id]:checked");
      if (!picked) {
        notice(result, "bad", t("awards.vote.pick_first"));
        return;
      }
      setBusy(voteButton, true);
      const v = await api("PUT", `/api/awards/categories/${cat.id}/vote`, { submission_id: Number(picked.value) });
      setBusy(voteButton, false);
      if (!v.ok) {
        notice(result, "bad", errorMessage(v));
        return;
      }
      const changed = mine && mine.submission_id && mine.submission_id !== v.data.submission_id;
      mine = v.data;
      drawStatus();
      withdraw.hidden = false;
      notice(result, "ok", t(changed ? "awards.vote.changed" : "awards.vote.saved"));
    });
    withdraw.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: t("awards.vote.withdraw_title"), text: t("awards.vote.withdraw_text", { category: cat.name }),
        confirmLabel: t("awards.vote.withdraw"),
      });
      if (!ok) return;
      const v = await api("DELETE", `/api/awards/categories/${cat.id}/vote`);
      if (!v.ok) {
        notice(result, "bad", errorMessage(v));
        return;
      }
      mine = v.data;
      for (const input of form.querySelectorAll("input[name=submission_id]")) input.checked = false;
      withdraw.hidden = true;
      drawStatus();
      notice(result, "ok", t("awards.vote.withdrawn"));
    });
  }
  form.append(actions);
  drawStatus();
  section.append(status, form, result);
}

if (!cycle) {
  if (!result.ok) showBanner("bad", errorMessage(result));
  else intro.append(h("p", { class: "notice info" }, t("awards.no_cycle")));
} else {
  intro.append(h("section", { class: "card" },
    h("h2", null, cycle.title), h("p", null, phaseChip(cycle.phase)),
    h("p", { class: cycle.phase === "voting" ? "notice ok" : "notice info" }, windowText(cycle)),
    cycle.phase === "voting" && !me
      ? h("p", null, h("a", { href: loginHref() }, t("awards.vote.login"))) : null,
    h("p", { class: "hint" }, t("awards.vote.rules"))));
  clear(list);
  for (const cat of cycle.categories) await showCategory(cycle, cat);
}
