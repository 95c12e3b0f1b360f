// staff-award-judges.js - the jury of a cycle, per category: the judges
// assigned (assign from the accounts holding the judge role, remove), and
// per submitted case each judge's conflicts, derived or recorded, with
// "waive" for those that may be waived and a form to record one.
import { api, errorMessage, query } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { currentCycle, staffAwardsNav, whenText } from "./awards-common.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const { cycle, result } = await currentCycle();
staffAwardsNav(cycle && cycle.id);
byId("loading").remove();
const box = byId("categories");
const resultEl = byId("result");
let counter = 0;

function done(kind, text) {
  notice(resultEl, kind, text);
  resultEl.setAttribute("tabindex", "-1");
  resultEl.focus();
}

async function judgeAccounts() {
  const out = [];
  for (let page = 1; page <= 10; page++) {
    // role=judge narrows the list on servers that know the filter; the
    // filter below keeps the page right on those that ignore it.
    const r = await api("GET", `/api/accounts${query({ role: "judge", page, per_page: 100 })}`);
    if (!r.ok) break;
    out.push(...r.data.items.filter((a) => (a.roles || []).includes("judge") && !a.disabled));
    if (page * 100 >= r.data.total) break;
  }
  return out;
}

async function cases() {
  const r = await api("GET", `/api/awards/cycles/${cycle.id}/progress`);
  return r.ok ? r.data.cases : [];
}

async function drawCategory(section, cat, judges, allCases) {
  clear(section);
  section.append(h("h2", { id: `cat-${cat.id}` }, cat.name));
  const j = await api("GET", `/api/awards/categories/${cat.id}/judges`);
  if (!j.ok) {
    section.append(h("p", { class: "notice bad" }, errorMessage(j)));
    return;
  }
  const assigned = j.data.items;
  const redraw = () => drawCategory(section, cat, judges, allCases);
  section.append(h("h3", null, t("staff.judges.assigned")));
  if (!assigned.length) section.append(h("p", { class: "muted" }, t("staff.judges.none")));
  else {
    section.append(h("ul", { class: "plain-list judge-list" }, assigned.map((a) => {
      const remove = h("button", { type: "button", class: "secondary small", "aria-label": t("staff.judges.remove_of", { name: a.name, category: cat.name }) }, t("staff.judges.remove"));
      remove.addEventListener("click", async () => {
        const ok = await confirmDialog({ title: t("staff.judges.remove_title"), text: t("staff.judges.remove_text", { name: a.name, category: cat.name }), confirmLabel: t("staff.judges.remove") });
        if (!ok) return;
        const r = await api("DELETE", `/api/awards/categories/${cat.id}/judges/${a.account_id}`);
        if (!r.ok) return done("bad", errorMessage(r));
        await redraw();
        done("ok", t("staff.judges.removed", { name: a.name, category: cat.name }));
      });
      return h("li", null, h("span", { class: "strong" }, a.name), " ",
        h("span", { class: "sub" }, [a.email, a.country, t("staff.judges.since", { when: whenText(a.assigned_at) })].filter(Boolean).join(" · ")), " ", remove);
    })));
  }
  // Assign
  const free = judges.filter((x) => !assigned.some((a) => a.account_id === x.id));
  const sid = `assign-${cat.id}`;
  const form = h("form", { class: "inline assign", novalidate: true },
    h("label", { for: sid }, t("staff.judges.assign_label", { category: cat.name })),
    h("select", { id: sid, name: "account_id" },
      h("option", { value: "" }, free.length ? t("staff.judges.pick") : t("staff.judges.no_more")),
      free.map((x) => h("option", { value: String(x.id) }, x.organisation ? t("staff.judges.option", { name: x.name, org: x.organisation.name }) : x.name))),
    h("button", { type: "submit" }, t("staff.judges.assign")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = form.elements.account_id.value;
    if (!v) return done("bad", t("staff.judges.pick_first"));
    setBusy(form.querySelector("button"), true);
    const r = await api("POST", `/api/awards/categories/${cat.id}/judges`, { account_id: Number(v) });
    if (!r.ok) {
      setBusy(form.querySelector("button"), false);
      return done("bad", errorMessage(r));
    }
    const name = judges.find((x) => x.id === Number(v)).name;
    await redraw();
    done("ok", t("staff.judges.assigned_done", { name, category: cat.name }));
  });
  section.append(form);
  // Conflicts per case
  const mine = allCases.filter((c) => c.category_id === cat.id);
  section.append(h("h3", null, t("staff.judges.cases")));
  if (!mine.length) {
    section.append(h("p", { class: "muted" }, t("staff.judges.no_cases")));
    return;
  }
  for (const c of mine) {
    const cf = await api("GET", `/api/submissions/${c.submission_id}/conflicts`);
    const item = h("div", { class: "case-conflicts" }, h("h4", null, c.title));
    section.append(item);
    if (!cf.ok) {
      item.append(h("p", { class: "notice bad" }, errorMessage(cf)));
      continue;
    }
    item.append(h("ul", { class: "plain-list" }, cf.data.judges.map((jg) => h("li", null,
      h("span", { class: "strong" }, jg.name), " ",
      jg.conflicted ? h("span", { class: "chip conflict" }, t("staff.judges.conflicted")) : h("span", { class: "chip ok" }, t("staff.judges.clear")),
      jg.conflicts.length ? h("ul", null, jg.conflicts.map((x) => {
        const li = h("li", null, t(`staff.judges.source.${x.source}`), x.reason ? `: ${x.reason}` : "",
          x.waived ? h("span", { class: "sub" }, ` (${t("staff.judges.waived")})`) : null);
        if (!x.waived && x.source !== "organisation") {
          const w = h("button", { type: "button", class: "secondary small", "aria-label": t("staff.judges.waive_of", { name: jg.name, title: c.title }) }, t("staff.judges.waive"));
          w.addEventListener("click", async () => {
            const ok = await confirmDialog({ title: t("staff.judges.waive_title"), text: t("staff.judges.waive_text", { name: jg.name, title: c.title }), confirmLabel: t("staff.judges.waive"), danger: false });
            if (!ok) return;
            const r = await api("POST", `/api/submissions/${c.submission_id}/conflicts/${jg.judge_id}/waive`, { source: x.source });
            if (!r.ok) return done("bad", errorMessage(r));
            await redraw();
            done("ok", t("staff.judges.waived_done", { name: jg.name, title: c.title }));
          });
          li.append(" ", w);
        }
        return li;
      })) : null))));
    // Record a conflict
    const n = ++counter;
    const rec = h("form", { class: "record-conflict", novalidate: true },
      h("div", { class: "field-row" },
        h("div", { class: "field" }, h("label", { for: `cj-${n}` }, t("staff.judges.record_judge")),
          h("select", { id: `cj-${n}`, name: "judge_id" }, cf.data.judges.map((jg) => h("option", { value: String(jg.judge_id) }, jg.name)))),
        h("div", { class: "field grow" }, h("label", { for: `cr-${n}` }, t("staff.judges.record_reason")),
          h("input", { id: `cr-${n}`, name: "reason", type: "text", maxlength: "2000" }))),
      h("button", { type: "submit", class: "secondary small" }, t("staff.judges.record")));
    if (!cf.data.judges.length) rec.hidden = true;
    rec.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = rec.elements.reason.value.trim();
      if (!reason) {
        rec.elements.reason.focus();
        return done("bad", t("awards.err.reason.required"));
      }
      const r = await api("POST", `/api/submissions/${c.submission_id}/conflicts`, { judge_id: Number(rec.elements.judge_id.value), reason });
      if (!r.ok) return done("bad", errorMessage(r));
      await redraw();
      done("ok", t("staff.judges.recorded", { title: c.title }));
    });
    item.append(h("details", { class: "record-box" }, h("summary", null, t("staff.judges.record_open", { title: c.title })), rec));
  }
}

if (!cycle) {
  box.append(h("p", { class: "notice info" }, result.ok ? t("awards.no_cycle") : errorMessage(result)));
} else {
  box.append(h("p", { class: "lead" }, cycle.title));
  const [judges, allCases] = await Promise.all([judgeAccounts(), cases()]);
  if (!judges.length) box.append(h("p", { class: "notice info" }, t("staff.judges.no_judges")));
  for (const cat of cycle.categories) {
    const section = h("section", { class: "card", "aria-labelledby": `cat-${cat.id}` });
    box.append(section);
    await drawCategory(section, cat, judges, allCases);
  }
}
