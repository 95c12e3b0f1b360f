// staff-feedback.js - the evaluation form of one activity for staff
// (/staff/feedback.html?id=N): write the form (PUT
// /api/activities/{id}/feedback: title, introduction, closing time in the
// activity's zone, anonymity, ordered questions of the registration kinds
// and 1-5 ratings; locked once someone has answered), send the invitations
// (POST .../feedback/invitations: once per attended participant), read the
// results (GET .../feedback/results), download the answers as CSV, and
// compare the activities of the programme (GET /api/feedback/compare).
import { api, errorMessage, query, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { clearErrors, clearNotice, focusNotice, notice, setBusy, showFieldErrors } from "./form.js";
import { formatDateTime, formatNumber, t } from "./i18n.js";
import { initPage, setFlash } from "./layout.js";
import { fromZoneInput, toZoneInput, zoneLabel } from "./time.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const id = queryParam("id");
const base = `/api/activities/${id}/feedback`;
const KINDS = ["rating", "text", "single_choice", "multiple_choice", "yes_no"];
const form = byId("fb-form");
const saveResult = byId("fb-save-result");

const act = id && /^[1-9][0-9]{0,15}$/.test(id) ? await api("GET", `/api/activities/${id}`) : { ok: false, status: 404 };
if (!act.ok || !act.data) {
  setFlash("bad", act.status === 404 ? "staff.not_found" : "error.me_failed");
  location.replace("/staff/activities.html");
  await new Promise(() => {});
}
const activity = act.data;
const zone = activity.timezone;
document.title = t("title.staff_feedback_of", { title: activity.title });
byId("heading").textContent = t("fb.staff_heading_of", { title: activity.title });
byId("back").href = `/staff/activity.html?id=${id}`;
byId("fb-meta").textContent = activity.programme ? t("fb.meta_programme", { programme: activity.programme }) : "";
byId("fb-closes-hint").textContent = t("fb.closes_hint", { zone: zoneLabel(zone) });
byId("fb-csv").href = `${base}/answers.csv`;
byId("fb-programme").value = activity.programme || "";

// ---- The questions editor -------------------------------------------------------

let questions = [];

function readQuestions() {
  questions = questions.map((q, i) => {
    const kind = form.elements.namedItem(`questions[${i}].kind`).value;
    const choices = form.elements.namedItem(`questions[${i}].choices`).value
      .split("\n").map((s) => s.trim()).filter(Boolean);
    return {
      kind,
      label: form.elements.namedItem(`questions[${i}].label`).value.trim(),
      required: form.elements.namedItem(`questions[${i}].required`).checked,
      choices,
    };
  });
}

function move(i, to) {
  readQuestions();
  const [q] = questions.splice(i, 1);
  questions.splice(to, 0, q);
  renderQuestions();
}

function questionRow(q, i) {
  const p = `fb-q${i}`;
  const choiceKind = q.kind === "single_choice" || q.kind === "multiple_choice";
  const n = i + 1;
  const kindSelect = h("select", { id: `${p}-kind`, name: `questions[${i}].kind` },
    KINDS.map((k) => h("option", { value: k, selected: q.kind === k }, t(`fb.kind.${k}`))));
  const choicesField = h("div", { class: "field", hidden: !choiceKind },
    h("label", { for: `${p}-choices` }, t("fb.choices")),
    h("p", { class: "hint", id: `${p}-choices-hint` }, t("fb.choices_hint")),
    h("textarea", { id: `${p}-choices`, name: `questions[${i}].choices`, rows: "3", "aria-describedby": `${p}-choices-hint` },
      (q.choices || []).join("\n")));
  kindSelect.addEventListener("change", () => {
    const k = kindSelect.value;
    choicesField.hidden = !(k === "single_choice" || k === "multiple_choice");
  });
  return h("fieldset", { class: "fb-question" },
    h("legend", null, t("fb.question_n", { n })),
    h("div", { class: "field" }, h("label", { for: `${p}-kind` }, t("fb.kind")), kindSelect),
    h("div", { class: "field" },
      h("label", { for: `${p}-label` }, t("fb.label")),
      h("input", { id: `${p}-label`, name: `questions[${i}].label`, type: "text", maxlength: "500", value: q.label || "" })),
    choicesField,
    h("div", { class: "check" },
      h("input", { id: `${p}-required`, name: `questions[${i}].required`, type: "checkbox", checked: Boolean(q.required) }),
      h("label", { for: `${p}-required` }, t("fb.required"))),
    h("p", { class: "actions" },
      h("button", { type: "button", class: "secondary", disabled: i === 0, "aria-label": t("fb.up_of", { n }), onclick: () => move(i, i - 1) }, t("fb.up")),
      h("button", { type: "button", class: "secondary", disabled: i === questions.length - 1, "aria-label": t("fb.down_of", { n }), onclick: () => move(i, i + 1) }, t("fb.down")),
      h("button", {
        type: "button", class: "secondary", "aria-label": t("fb.remove_of", { n }),
        onclick: () => { readQuestions(); questions.splice(i, 1); renderQuestions(); },
      }, t("fb.remove"))));
}

function renderQuestions() {
  const box = clear(byId("fb-questions"));
  if (!questions.length) box.append(h("p", { class: "hint" }, t("fb.no_questions")));
  box.append(...questions.map(questionRow));
}

byId("fb-add").addEventListener("click", () => {
  readQuestions();
  questions.push({ kind: "rating", label: "", required: false, choices: [] });
  renderQuestions();
  byId(`fb-q${questions.length - 1}-label`).focus();
});

function bodyOf() {
  readQuestions();
  const closes = byId("fb-closes").value;
  const intro = byId("fb-intro").value;
  return {
    title: byId("fb-title").value.trim() || undefined,
    intro: intro.trim() ? intro : undefined,
    anonymous: byId("fb-anonymous").checked,
    closes_at: closes ? fromZoneInput(closes, zone) : undefined,
    questions: questions.map((q) => ({
      kind: q.kind,
      label: q.label,
      required: q.required,
      ...(q.kind === "single_choice" || q.kind === "multiple_choice" ? { choices: q.choices } : {}),
    })),
  };
}

function showForm(f) {
  byId("fb-title").value = f ? f.title : t("fb.default_title");
  byId("fb-intro").value = f && f.intro ? f.intro : "";
  byId("fb-anonymous").checked = f ? f.anonymous : true;
  byId("fb-closes").value = f ? toZoneInput(f.closes_at, zone) : "";
  questions = f ? f.questions.map((q) => ({ kind: q.kind, label: q.label, required: q.required, choices: q.choices })) : [
    { kind: "rating", label: t("fb.default_overall"), required: true, choices: [] },
    { kind: "text", label: t("fb.default_comments"), required: false, choices: [] },
  ];
  renderQuestions();
  const locked = Boolean(f && f.respondents > 0);
  byId("fb-locked").hidden = !locked;
  byId("fb-fields").disabled = locked;
  byId("fb-add").hidden = locked;
  byId("fb-save").hidden = locked;
}

// ---- Status, invitations ---------------------------------------------------------

function showStatus(f) {
  byId("fb-status").hidden = !f;
  if (!f) return;
  byId("fb-state").textContent = t(`fb.state.${f.state}`, {
    opens: f.opens_at ? formatDateTime(f.opens_at) : "—", closes: formatDateTime(f.closes_at),
  });
  byId("fb-counts").textContent = t("fb.counts", {
    attended: formatNumber(f.attended), invited: formatNumber(f.invited), answered: formatNumber(f.respondents),
  });
  byId("fb-invite").disabled = f.state !== "open";
}

byId("fb-invite").addEventListener("click", async () => {
  const button = byId("fb-invite");
  const out = byId("fb-invite-result");
  clearNotice(out);
  setBusy(button, true, "fb.inviting");
  const r = await api("POST", `${base}/invitations`);
  setBusy(button, false);
  if (r.ok) notice(out, "ok", t("fb.invited", { sent: formatNumber(r.data.sent), invited: formatNumber(r.data.invited) }));
  else notice(out, "bad", errorMessage(r));
  focusNotice(out);
  await load();
});

// ---- Results -----------------------------------------------------------------------

function countTable(caption, rows) {
  return h("div", { class: "table-wrap" }, h("table", { class: "list" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, t("fb.answer")), h("th", { scope: "col" }, t("fb.count")))),
    h("tbody", null, rows.map(([label, n]) => h("tr", null, h("th", { scope: "row" }, label), h("td", null, formatNumber(n)))))));
}

function questionResult(q) {
  const parts = [h("h3", null, q.label),
    h("p", { class: "hint" }, t("fb.answers_n", { count: formatNumber(q.answers) }))];
  if (q.kind === "rating") {
    parts.push(h("p", { class: "fb-mean" }, q.mean === null ? t("fb.no_mean") : t("fb.mean", { mean: formatNumber(q.mean) })));
    parts.push(countTable(t("fb.distribution_of", { label: q.label }),
      ["1", "2", "3", "4", "5"].map((k) => [k, q.distribution[k]])));
  } else if (q.kind === "text") {
    parts.push(q.texts.length ? h("ul", { class: "fb-texts" }, q.texts.map((s) => h("li", null, s))) : null);
  } else {
    parts.push(countTable(t("fb.counts_of", { label: q.label }),
      q.counts.map((c) => [q.kind === "yes_no" ? t(`question.${c.choice}`) : c.choice, c.count])));
  }
  return h("div", { class: "fb-result" }, parts);
}

async function loadResults() {
  const r = await api("GET", `${base}/results`);
  const box = clear(byId("fb-results-body"));
  byId("fb-results").hidden = !r.ok;
  if (!r.ok) return;
  box.append(h("p", null, t("fb.respondents", { answered: formatNumber(r.data.respondents), attended: formatNumber(r.data.attended) })),
    ...r.data.questions.map(questionResult));
}

// ---- Compare -------------------------------------------------------------------------

byId("fb-compare-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = clear(byId("fb-compare-body"));
  const programme = byId("fb-programme").value.trim();
  const year = byId("fb-year").value.trim();
  if (!programme) {
    box.append(h("p", { class: "notice bad" }, t("fb.programme_needed")));
    return;
  }
  const r = await api("GET", `/api/feedback/compare${query({ programme, year })}`);
  if (!r.ok) {
    box.append(h("p", { class: "notice bad" }, errorMessage(r)));
    return;
  }
  const acts = r.data.activities;
  if (!acts.length) {
    box.append(h("p", { role: "status" }, t("fb.compare_none")));
    return;
  }
  const cell = (a, label) => {
    const x = a.ratings.find((y) => y.label === label);
    return x && x.mean !== null ? formatNumber(x.mean) : "—";
  };
  box.append(h("div", { class: "table-wrap" }, h("table", { class: "list fb-compare-table" },
    h("caption", null, t("fb.compare_caption", { programme: r.data.programme })),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, t("fb.question")),
      acts.map((a) => h("th", { scope: "col" }, h("a", { href: `/staff/feedback.html?id=${a.id}` }, a.title))))),
    h("tbody", null,
      h("tr", null, h("th", { scope: "row" }, t("fb.answered_row")),
        acts.map((a) => h("td", null, t("fb.answered_of", { answered: formatNumber(a.respondents), attended: formatNumber(a.attended) })))),
      r.data.labels.map((label) => h("tr", null, h("th", { scope: "row" }, label), acts.map((a) => h("td", null, cell(a, label)))))))));
});

// ---- Loading and saving ----------------------------------------------------------------

async function load() {
  const r = await api("GET", base);
  if (!r.ok && r.status !== 404) {
    notice(saveResult, "bad", errorMessage(r));
    return null;
  }
  const f = r.ok ? r.data : null;
  showStatus(f);
  return f;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  clearNotice(saveResult);
  const button = byId("fb-save");
  setBusy(button, true, "fb.saving");
  const r = await api("PUT", base, bodyOf());
  setBusy(button, false);
  if (r.ok) {
    showForm(r.data);
    showStatus(r.data);
    notice(saveResult, "ok", t("fb.saved"));
    focusNotice(saveResult);
    await loadResults();
  } else if (r.status === 422 && showFieldErrors(form, r) !== null) {
    // next to the fields, with the summary at the top
  } else {
    notice(saveResult, "bad", errorMessage(r));
    focusNotice(saveResult);
  }
});

const first = await load();
showForm(first);
if (first) await loadResults();
byId("loading").hidden = true;
byId("content").hidden = false;
