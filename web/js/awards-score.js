// awards-score.js - a judge scores one case: one control per criterion
// with its scale and description, a comment for the Secretariat and
// feedback for the city kept apart, "save and next", and declaring a
// conflict of interest with a reason. After evaluation closes, the other
// judges' scores when the server gives them (GET /api/submissions/{id}/scores).
import { api, errorMessage } from "./api.js";
import { openDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { setBusy } from "./form.js";
import { formatNumber, t } from "./i18n.js";
import { initPage, setFlash, showBanner } from "./layout.js";
import {
  awardsNav, localErrors, number, orgText, phaseChip, sdgChips, showErrors, sizeText, whenText,
} from "./awards-common.js";

const { me } = await initPage({ auth: "required", role: "judge", forbiddenKey: "awards.judging.forbidden" });
const id = Number.parseInt(new URLSearchParams(location.search).get("id") || "", 10);
const form = byId("score-form");
const summaryEl = byId("error-summary");
const box = byId("case");

const r = id > 0 ? await api("GET", `/api/submissions/${id}`) : { ok: false, status: 404, data: null };
byId("loading").remove();
if (!r.ok) {
  awardsNav(me, null);
  box.append(h("p", { class: "notice info" }, r.status === 404 ? t("awards.score.not_visible") : errorMessage(r)));
  await new Promise(() => {});
}
const c = r.data;
const cy = await api("GET", `/api/awards/cycles/${c.cycle_id}`);
awardsNav(me, c.cycle_id);
const cycle = cy.ok ? cy.data : { criteria: [], phase: c.phase };
// Scores change while the evaluation window is open (the phase may say
// "voting" when both windows are open).
const now = Date.now();
const open = cycle.evaluation_opens_at !== undefined && now >= Date.parse(cycle.evaluation_opens_at) &&
  now < Date.parse(cycle.evaluation_closes_at) && !cycle.published_at;
byId("score-heading").textContent = t("awards.score.heading_of", { title: c.title });
document.title = t("title.pattern", { page: t("awards.score.heading_of", { title: c.title }) });

box.append(h("section", { class: "card" },
  h("p", { class: "lead" }, phaseChip(open ? "evaluation" : cycle.phase), " ",
    open ? t("awards.score.open_until", { when: whenText(cycle.evaluation_closes_at) }) : t("awards.score.closed")),
  h("dl", { class: "facts" },
    h("div", null, h("dt", null, t("awards.case_org")), h("dd", null, orgText(c.organisation))),
    h("div", null, h("dt", null, t("awards.case_category")), h("dd", null, c.category))),
  sdgChips(c.sdgs),
  h("h2", null, t("awards.case_summary")), h("p", { class: "prose" }, c.summary),
  h("details", { class: "case-more" }, h("summary", null, t("awards.score.read_all")),
    h("h3", null, t("awards.case_description")), h("p", { class: "prose" }, c.description),
    c.partners ? [h("h3", null, t("awards.case_partners")), h("p", { class: "prose" }, c.partners)] : null,
    c.results ? [h("h3", null, t("awards.case_results")), h("p", { class: "prose" }, c.results)] : null),
  (c.files || []).length ? h("ul", { class: "file-list" }, c.files.map((f) => h("li", null,
    h("a", { href: `/api/submissions/${c.id}/files/${f.id}`, download: f.filename }, f.filename), " ",
    h("span", { class: "sub" }, `${sizeText(f.size)} · ${t(`awards.visibility.${f.visibility === "jury" ? "jury" : "public"}`)}`)))) : null));

// One fieldset per criterion: radio buttons for short scales, else a number.
const crit = byId("criteria");
for (const k of cycle.criteria) {
  const name = `scores.${k.id}`;
  const hintId = `crit-${k.id}-hint`;
  const fs = h("fieldset", { class: "field criterion", "aria-describedby": hintId },
    h("legend", null, k.name),
    h("p", { class: "hint", id: hintId }, [k.description, t("awards.score.scale", { max: formatNumber(k.scale_max), weight: formatNumber(k.weight) })]
      .filter(Boolean).join(" ")));
  if (k.scale_max <= 10) {
    const row = h("div", { class: "scale" });
    for (let v = 1; v <= k.scale_max; v++) {
      const rid = `crit-${k.id}-${v}`;
      row.append(h("span", { class: "scale-point" },
        h("input", { type: "radio", name, id: rid, value: String(v), disabled: !open }),
        h("label", { for: rid }, formatNumber(v))));
    }
    fs.append(row);
  } else {
    const nid = `crit-${k.id}`;
    fs.append(h("label", { for: nid, class: "visually-hidden" }, k.name),
      h("input", { type: "number", name, id: nid, min: "1", max: String(k.scale_max), step: "1", inputmode: "numeric", disabled: !open }));
  }
  fs.append(h("p", { class: "field-error", dataset: { errorFor: name }, hidden: true }));
  crit.append(fs);
}
form.hidden = false;
for (const el of [form.elements.comment, form.elements.feedback]) el.disabled = !open;
for (const b of form.querySelectorAll("button")) b.hidden = !open;

function collect() {
  const scores = {};
  const missing = {};
  for (const k of cycle.criteria) {
    const item = form.elements.namedItem(`scores.${k.id}`);
    const v = item && (item.value !== undefined ? item.value : "");
    const n = Number.parseInt(v, 10);
    if (!v || !(n >= 1 && n <= k.scale_max)) missing[`scores.${k.id}`] = { code: "score_required", message: t("awards.err.scores.required", { name: k.name, max: k.scale_max }) };
    else scores[k.id] = n;
  }
  return { scores, missing };
}

async function nextCase() {
  const q = await api("GET", "/api/me/judging");
  if (!q.ok) return null;
  const next = q.data.items.find((x) => x.status === "missing" && x.submission_id !== c.id);
  return next ? next.submission_id : null;
}

let pressed = null;
form.addEventListener("click", (event) => {
  if (event.target.type === "submit") pressed = event.target;
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = pressed || byId("save-next");
  const { scores, missing } = collect();
  if (Object.keys(missing).length) {
    // Each criterion's message names it, so the summary reads on its own.
    const fields = {};
    for (const [k, v] of Object.entries(missing)) fields[k] = v.message;
    showErrors(form, summaryEl, localErrors(fields));
    return;
  }
  setBusy(button, true);
  const s = await api("PUT", `/api/submissions/${c.id}/scores`, {
    scores, comment: form.elements.comment.value.trim() || null, feedback: form.elements.feedback.value.trim() || null,
  });
  setBusy(button, false);
  if (!s.ok) {
    showErrors(form, summaryEl, s);
    return;
  }
  sessionStorage.setItem(`convene.scores.${c.id}`, JSON.stringify(s.data));
  if (button.value === "1") {
    const next = await nextCase();
    setFlash("ok", next ? "awards.score.saved_next" : "awards.score.saved_last");
    location.assign(next ? `/awards/score.html?id=${next}` : "/awards/judging.html");
    return;
  }
  showBanner("ok", t("awards.score.saved", { when: whenText(s.data.updated_at) }));
  byId("banner").setAttribute("tabindex", "-1");
  byId("banner").focus();
});

// The judge's own scores come back when the page is opened again: from
// GET /api/submissions/{id}/scores (`mine`), or, on a server without that
// route (404 or 405), from what this tab saved.
function fillSaved(saved) {
  if (!saved || !saved.scores) return;
  for (const [cid, v] of Object.entries(saved.scores)) {
    const item = form.elements.namedItem(`scores.${cid}`);
    if (!item) continue;
    if (item.setAttribute) item.value = String(v);
    else for (const radio of item) radio.checked = radio.value === String(v);
  }
  form.elements.comment.value = saved.comment || "";
  form.elements.feedback.value = saved.feedback || "";
}
const read = await api("GET", `/api/submissions/${c.id}/scores`);
if (read.ok && read.data) {
  fillSaved(read.data.mine);
} else {
  try {
    fillSaved(JSON.parse(sessionStorage.getItem(`convene.scores.${c.id}`) || "null"));
  } catch (e) {
    // nothing saved
  }
}

byId("conflict").addEventListener("click", async () => {
  const reasonId = "conflict-reason";
  const field = h("div", { class: "field" },
    h("label", { for: reasonId }, t("awards.score.conflict_reason")),
    h("textarea", { id: reasonId, rows: "4", maxlength: "2000", "aria-describedby": `${reasonId}-hint` }),
    h("p", { class: "hint", id: `${reasonId}-hint` }, t("awards.score.conflict_hint")),
    h("p", { class: "field-error", id: `${reasonId}-error`, hidden: true }));
  const done = await openDialog({
    title: t("awards.score.conflict_title"),
    body: [h("p", null, t("awards.score.conflict_text")), field],
    buttons: [
      { label: t("dialog.cancel"), value: false, kind: "secondary" },
      {
        label: t("awards.score.conflict_submit"), value: true, kind: "danger",
        onPress: async (dialog, button) => {
          const area = dialog.querySelector(`#${reasonId}`);
          const err = dialog.querySelector(`#${reasonId}-error`);
          if (!area.value.trim()) {
            err.textContent = t("awards.err.reason.required");
            err.hidden = false;
            area.setAttribute("aria-invalid", "true");
            area.setAttribute("aria-describedby", `${reasonId}-error ${reasonId}-hint`);
            area.focus();
            return false;
          }
          setBusy(button, true);
          const x = await api("POST", `/api/submissions/${c.id}/conflicts`, { reason: area.value.trim() });
          setBusy(button, false);
          if (!x.ok) {
            err.textContent = errorMessage(x);
            err.hidden = false;
            return false;
          }
          return true;
        },
      },
    ],
  });
  if (done === true) {
    setFlash("ok", "awards.score.conflict_done");
    location.assign("/awards/judging.html");
  }
});

// After evaluation: every judge's score whose scores count (S, 0-100),
// when the server gives them; names only to staff ("A judge" otherwise).
if (!open && now >= Date.parse(cycle.evaluation_closes_at) && read.ok && read.data && Array.isArray(read.data.judges)) {
  const others = byId("others");
  clear(others).append(h("section", { class: "card" },
    h("h2", null, t("awards.score.others")),
    read.data.judges.length
      ? h("ul", { class: "plain-list" }, read.data.judges.map((j) => h("li", null,
        t("awards.score.other_line", { judge: j.name || t("awards.score.a_judge"), total: number(j.total) }))))
      : h("p", { class: "muted" }, t("awards.score.no_others"))));
}
