// staff-award-votes.js - what in the public vote may deserve a look
// (shared networks and domains, aliases of one mailbox, new accounts,
// votes for one's own organisation, bursts), each vote with "void".
import { api, errorMessage } from "./api.js";
import { openDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { formatNumber, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { currentCycle, phaseChip, staffAwardsNav, whenText } from "./awards-common.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const { cycle, result } = await currentCycle();
staffAwardsNav(cycle && cycle.id);
byId("loading").remove();
const box = byId("report");
const resultEl = byId("result");

async function voidVote(voteId) {
  const rid = `void-reason-${voteId}`;
  const ok = await openDialog({
    title: t("staff.votes.void_title", { id: voteId }),
    body: [h("p", null, t("staff.votes.void_text")), h("div", { class: "field" },
      h("label", { for: rid }, t("staff.votes.void_reason")),
      h("textarea", { id: rid, rows: "3", maxlength: "2000" }),
      h("p", { class: "field-error", id: `${rid}-error`, hidden: true }))],
    buttons: [
      { label: t("dialog.cancel"), value: false, kind: "secondary" },
      {
        label: t("staff.votes.void"), value: true, kind: "danger",
        onPress: async (dialog, button) => {
          const area = dialog.querySelector(`#${rid}`);
          const err = dialog.querySelector(`#${rid}-error`);
          if (!area.value.trim()) {
            err.textContent = t("awards.err.reason.required");
            err.hidden = false;
            area.setAttribute("aria-invalid", "true");
            area.setAttribute("aria-describedby", `${rid}-error`);
            area.focus();
            return false;
          }
          setBusy(button, true);
          const r = await api("POST", `/api/awards/votes/${voteId}/void`, { reason: area.value.trim() });
          setBusy(button, false);
          if (!r.ok) {
            err.textContent = errorMessage(r);
            err.hidden = false;
            return false;
          }
          return true;
        },
      },
    ],
  });
  if (ok === true) {
    await draw();
    notice(resultEl, "ok", t("staff.votes.voided", { id: voteId }));
    resultEl.setAttribute("tabindex", "-1");
    resultEl.focus();
  }
}

function voteButtons(ids) {
  return h("ul", { class: "inline-links" }, (ids || []).map((id) => {
    const b = h("button", { type: "button", class: "secondary small", "aria-label": t("staff.votes.void_of", { id }) }, t("staff.votes.void_short", { id }));
    b.addEventListener("click", () => voidVote(id));
    return h("li", null, b);
  }));
}

function block(titleKey, list, render) {
  return h("section", { class: "card" }, h("h2", null, t(titleKey)),
    list.length ? h("ul", { class: "plain-list report-list" }, list.map((x) => h("li", null, render(x))))
      : h("p", { class: "muted" }, t("staff.votes.nothing")));
}

async function draw() {
  const r = await api("GET", `/api/awards/cycles/${cycle.id}/vote-report`);
  clear(box);
  box.append(h("p", { class: "lead" }, cycle.title, " ", phaseChip(cycle.phase)));
  if (!r.ok) {
    box.append(h("p", { class: "notice bad" }, errorMessage(r)));
    return;
  }
  const p = r.data;
  box.append(h("p", { class: "count" }, t("staff.votes.counts", { votes: formatNumber(p.votes), voided: formatNumber(p.voided) })),
    block("staff.votes.networks", p.networks, (x) => [t("staff.votes.network_line", { network: x.network, votes: x.votes, accounts: x.accounts }), voteButtons(x.vote_ids)]),
    block("staff.votes.domains", p.shared_domains, (x) => [t("staff.votes.domain_line", { domain: x.domain, accounts: x.accounts }), voteButtons(x.vote_ids)]),
    block("staff.votes.aliases", p.aliases, (x) => [t("staff.votes.alias_line", { mailbox: x.mailbox, emails: x.emails.join(", ") }), voteButtons(x.vote_ids)]),
    block("staff.votes.new_accounts", p.new_accounts, (x) => [t("staff.votes.new_line", { email: x.email, created: whenText(x.account_created_at) }), voteButtons([x.vote_id])]),
    block("staff.votes.own", p.own_organisation, (x) => [t("staff.votes.own_line", { account: x.account_id, submission: x.submission_id }), voteButtons([x.vote_id])]),
    block("staff.votes.bursts", p.bursts, (x) => t("staff.votes.burst_line", { minute: whenText(x.minute), changes: x.changes, accounts: x.accounts })));
}

if (!cycle) box.append(h("p", { class: "notice info" }, result.ok ? t("awards.no_cycle") : errorMessage(result)));
else await draw();
