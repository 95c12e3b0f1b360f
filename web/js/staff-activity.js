// staff-activity.js - creating an activity (POST /api/activities, a draft)
// and editing one (?id=N: GET, then PATCH /api/activities/{id}) with every
// writable field; publishing and cancelling it (POST .../publish,
// .../cancel, which emails everyone registered); and its registration
// questions (PUT /api/activities/{id}/questions: added, removed, reordered
// and edited here, sent whole with the ids of those that stay). The one
// save button saves both: the activity first, then its questions (also
// while creating). Leaving with unsaved changes asks first.
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { focusNotice, notice, clearNotice, setBusy, submit, value } from "./form.js";
import { formatNumber, t, tn } from "./i18n.js";
import { initPage, setFlash } from "./layout.js";
import { activityHref, badges, kindOptions } from "./activity-info.js";
import { fillCountries, setupOrgPicker } from "./orgpicker.js";
import { fromZoneInput, toZoneInput, validZone, zoneLabel } from "./time.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });

const form = byId("activity-form");
const formResult = byId("form-result");
const statusResult = byId("status-result");
kindOptions(form.elements.kind);
fillCountries(byId("countries"));
if (typeof Intl.supportedValuesOf === "function") {
  try {
    byId("timezones").append(...Intl.supportedValuesOf("timeZone").map((z) => h("option", { value: z })));
  } catch (e) {
    // No list of zones in this browser: the field still takes any name.
  }
}

let activity = null;
let picker = null;

// ---- Unsaved changes ---------------------------------------------------------

// dirty: something on the form differs from what was last saved;
// questionsDirty: the questions do (so an edit sends them only then).
let dirty = false;
let questionsDirty = false;

function markDirty(questionsToo) {
  dirty = true;
  if (questionsToo) questionsDirty = true;
}

function markSaved() {
  dirty = false;
  questionsDirty = false;
}

form.addEventListener("input", (event) => markDirty(Boolean(event.target.closest("#questions-box"))));
form.addEventListener("change", (event) => markDirty(Boolean(event.target.closest("#questions-box"))));

// Closing the tab, reloading or typing an address: the browser asks.
window.addEventListener("beforeunload", (event) => {
  if (!dirty) return;
  event.preventDefault();
  event.returnValue = "";
});

// A link on the page: asked here, in words.
document.addEventListener("click", async (event) => {
  const link = event.target.closest && event.target.closest("a[href]");
  if (!dirty || !link || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || link.target === "_blank") return;
  const href = link.getAttribute("href");
  if (href.startsWith("#")) return;
  event.preventDefault();
  const leave = await openDialog({
    title: t("staff.leave_title"),
    body: [h("p", null, t("staff.leave_text"))],
    buttons: [
      { label: t("staff.leave_stay"), value: false, kind: "secondary" },
      { label: t("staff.leave_go"), value: true, kind: "danger" },
    ],
    initial: false,
  });
  if (leave === true) {
    dirty = false;
    location.href = link.href;
  }
});

const TEXT_FIELDS = ["title", "summary", "description", "programme", "city", "country", "date_label", "external_url",
  "starts_on", "ends_on", "start_time", "end_time"];
const NUMBER_FIELDS = ["capacity", "per_org_limit"];
const WHEN_FIELDS = ["registration_opens_at", "registration_closes_at"];

// ---- Dates and times for datetime-local fields (the activity's zone) ------

// The zone the form's times are in: the one in the field, else the
// activity's, else the one a new activity gets (Asia/Seoul).
function formZone() {
  const z = value(form, "timezone");
  return validZone(z) ? z : (activity && activity.timezone) || "Asia/Seoul";
}

// Says once, above the dates, which zone every time of the form is in.
function showZoneNote() {
  const z = value(form, "timezone");
  byId("zone-note").textContent = validZone(z)
    ? t("staff.f.zone_note", { zone: zoneLabel(z) })
    : t("staff.f.zone_note_plain");
}
form.elements.timezone.addEventListener("input", showZoneNote);

// ---- The form ----------------------------------------------------------------

function fillForm(a) {
  for (const f of TEXT_FIELDS) form.elements[f].value = a[f] || "";
  for (const f of NUMBER_FIELDS) form.elements[f].value = a[f] === null || a[f] === undefined ? "" : String(a[f]);
  for (const f of WHEN_FIELDS) form.elements[f].value = toZoneInput(a[f], a.timezone);
  form.elements.kind.value = a.kind;
  form.elements.section.value = a.section || "citynet";
  form.elements.mode.value = a.mode;
  form.elements.online.checked = Boolean(a.online);
  form.elements.timezone.value = a.timezone || "";
  form.elements.slug.value = a.slug || "";
  if (picker) picker.setValue(a.host ? a.host.id : "");
  showZoneNote();
}

// The request body: on create only what was filled in; on edit every field,
// empty ones as null (cleared).
function formBody(create) {
  const empty = create ? undefined : null;
  const b = {
    kind: form.elements.kind.value,
    section: form.elements.section.value,
    mode: form.elements.mode.value,
    online: form.elements.online.checked,
  };
  for (const f of TEXT_FIELDS) {
    const v = value(form, f);
    if (v) b[f] = v;
    else if (empty !== undefined) b[f] = empty;
  }
  if (b.title === undefined) b.title = "";
  for (const f of NUMBER_FIELDS) {
    const v = value(form, f);
    // Not a whole number: sent as it is, for the API to say what is wrong.
    if (v) b[f] = /^\d+$/.test(v) ? Number(v) : v;
    else if (empty !== undefined) b[f] = empty;
  }
  for (const f of WHEN_FIELDS) {
    const v = value(form, f);
    if (v) b[f] = fromZoneInput(v, formZone());
    else if (empty !== undefined) b[f] = empty;
  }
  // The slug and the time zone cannot be emptied: left empty, they stay
  // as they are (a new activity gets one made from the title, and Asia/Seoul).
  const slug = value(form, "slug");
  if (slug) b.slug = slug;
  const zone = value(form, "timezone");
  if (zone) b.timezone = zone;
  const host = form.elements.host_organisation_id.value;
  if (host) b.host_organisation_id = Number(host);
  else if (!create) b.host_organisation_id = null;
  return b;
}

// A number field holding something that is not a number has an empty value:
// say so rather than send it as empty.
function badNumbers() {
  const fields = {};
  for (const f of NUMBER_FIELDS) if (form.elements[f].validity.badInput) fields[f] = t("staff.f.whole_number");
  return Object.keys(fields).length ? { ok: false, status: 422, data: { error: { code: "validation_failed", fields } } } : null;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const create = !activity;
  const bad = badNumbers();
  if (bad) {
    await submit(form, formResult, async () => bad);
    return;
  }
  const body = formBody(create);
  readQuestions();
  const sendQuestions = create ? questions.length > 0 : questionsDirty;
  let saved = null;
  let savedQuestions = null;
  const r = await submit(form, formResult, async () => {
    const a = create ? await api("POST", "/api/activities", body) : await api("PATCH", `/api/activities/${activity.id}`, body);
    if (!a.ok || !a.data) return a;
    saved = a.data;
    if (!sendQuestions) return a;
    const q = await api("PUT", `/api/activities/${saved.id}/questions`, { questions: questionPayload() });
    if (q.ok && q.data) savedQuestions = q.data.questions;
    return q;
  });
  if (saved && create) history.replaceState(null, "", `/staff/activity.html?id=${saved.id}`);
  if (!r.ok) {
    // The activity may be saved and its questions not: the page edits it
    // now, the questions as entered, still to save.
    if (saved) {
      show(saved, { keepQuestions: true });
      markDirty(true);
    }
    return;
  }
  if (savedQuestions) saved.questions = savedQuestions;
  show(saved, { keepQuestions: !sendQuestions && !create });
  markSaved();
  if (create) {
    notice(statusResult, "ok", t(sendQuestions ? "staff.created_with_questions" : "staff.created"));
    focusNotice(statusResult);
  } else {
    notice(formResult, "ok", sendQuestions ? tn("staff.saved_with_questions", questions.length) : t("staff.saved"));
    focusNotice(formResult);
  }
});

// ---- Status: publish and cancel ----------------------------------------------

function showStatus(a) {
  const chip = a.status === "published"
    ? h("span", { class: "chip status-published" }, t("status.published"))
    : badges(a)[0];
  clear(byId("status-line")).append(t("staff.status_is"), " ", chip);
  byId("status-help").textContent = t(`staff.status_help.${a.status}`);
  byId("publish").hidden = a.status !== "draft";
  byId("cancel-activity").hidden = a.status !== "published";
  byId("link-public").href = activityHref(a);
  byId("link-registrations").href = `/staff/registrations.html?id=${a.id}`;
  byId("link-checkin").href = `/staff/checkin.html?id=${a.id}`;
  byId("link-feedback").href = `/staff/feedback.html?id=${a.id}`;
  byId("link-certificates").href = `/staff/certificates.html?id=${a.id}`;
  byId("status-box").hidden = false;
}

byId("publish").addEventListener("click", async () => {
  const button = byId("publish");
  clearNotice(statusResult);
  setBusy(button, true);
  const r = await api("POST", `/api/activities/${activity.id}/publish`);
  setBusy(button, false);
  if (r.ok && r.data) {
    show(r.data);
    notice(statusResult, "ok", t("staff.published"));
  } else {
    notice(statusResult, "bad", errorMessage(r));
  }
  focusNotice(statusResult);
});

// People a cancellation will email: confirmed, waiting and awaiting approval.
async function countRegistered(id) {
  let n = 0;
  for (const s of ["confirmed", "waitlisted", "pending_approval"]) {
    const r = await api("GET", `/api/activities/${id}/enrollments?status=${s}&per_page=1`);
    if (!r.ok || !r.data) return null;
    n += Number(r.data.total) || 0;
  }
  return n;
}

byId("cancel-activity").addEventListener("click", async () => {
  const button = byId("cancel-activity");
  clearNotice(statusResult);
  setBusy(button, true);
  const n = await countRegistered(activity.id);
  setBusy(button, false);
  const sure = await openDialog({
    title: t("staff.cancel_title", { title: activity.title }),
    body: [
      h("p", null, n === null ? t("staff.cancel_text_unknown") : tn("staff.cancel_text", n)),
      h("p", null, t("staff.cancel_final")),
    ],
    buttons: [
      { label: t("staff.keep_activity"), value: false, kind: "secondary" },
      { label: t("staff.cancel_activity"), value: true, kind: "danger" },
    ],
    initial: false,
  });
  if (!sure) return;
  setBusy(button, true);
  const r = await api("POST", `/api/activities/${activity.id}/cancel`);
  setBusy(button, false);
  if (r.ok && r.data) {
    show(r.data);
    notice(statusResult, "ok", t("staff.cancelled"));
  } else {
    notice(statusResult, "bad", errorMessage(r));
  }
  focusNotice(statusResult);
});

// ---- Questions -----------------------------------------------------------------

const qList = byId("questions");
const qResult = byId("questions-result");
const Q_KINDS = ["text", "single_choice", "multiple_choice", "yes_no"];
let questions = [];

function field(name) {
  return form.elements.namedItem(name);
}

// Reads the editor back into `questions` (before it is drawn again).
function readQuestions() {
  questions = [...qList.querySelectorAll(":scope > .question-edit")].map((li, i) => {
    const kind = field(`questions[${i}].kind`).value;
    const max = Number.parseInt(field(`questions[${i}].max_length`).value, 10);
    return {
      id: li.dataset.id ? Number(li.dataset.id) : null,
      kind,
      label: field(`questions[${i}].label`).value.trim(),
      required: field(`questions[${i}].required`).checked,
      choices: field(`questions[${i}].choices`).value.split("\n").map((s) => s.trim()).filter(Boolean),
      max_length: Number.isFinite(max) ? max : 1000,
    };
  });
}

function toggleKind(li, kind) {
  li.querySelector(".q-choices").hidden = !kind.endsWith("_choice");
  li.querySelector(".q-max").hidden = kind !== "text";
}

function questionItem(q, i, count) {
  const p = `q${i}`;
  const n = formatNumber(i + 1);
  const kind = h("select", { id: `${p}-kind`, name: `questions[${i}].kind` },
    Q_KINDS.map((k) => h("option", { value: k, selected: q.kind === k }, t(`question.kind.${k}`))));
  const up = h("button", { type: "button", class: "secondary small", disabled: i === 0, "aria-label": t("staff.q_up_of", { n }) }, t("staff.q_up"));
  const down = h("button", { type: "button", class: "secondary small", disabled: i === count - 1, "aria-label": t("staff.q_down_of", { n }) }, t("staff.q_down"));
  const remove = h("button", { type: "button", class: "danger small", "aria-label": t("staff.q_remove_of", { n }) }, t("staff.q_remove"));
  const li = h("li", { class: "question-edit", dataset: q.id ? { id: String(q.id) } : {} },
    h("fieldset", null,
      h("legend", null, t("staff.q_legend", { n })),
      h("div", { class: "field" },
        h("label", { for: `${p}-label` }, t("staff.q_label")),
        h("input", { id: `${p}-label`, name: `questions[${i}].label`, type: "text", maxlength: "500", value: q.label || "" }),
        h("p", { class: "field-error", dataset: { errorFor: `questions[${i}].label` }, hidden: true })),
      h("div", { class: "field" },
        h("label", { for: `${p}-kind` }, t("staff.q_kind")),
        kind,
        h("p", { class: "field-error", dataset: { errorFor: `questions[${i}].kind` }, hidden: true })),
      h("div", { class: "field q-choices" },
        h("label", { for: `${p}-choices` }, t("staff.q_choices")),
        h("textarea", { id: `${p}-choices`, name: `questions[${i}].choices`, rows: "4", "aria-describedby": `${p}-choices-hint` },
          (q.choices || []).join("\n")),
        h("p", { class: "hint", id: `${p}-choices-hint` }, t("staff.q_choices_hint")),
        h("p", { class: "field-error", dataset: { errorFor: `questions[${i}].choices` }, hidden: true })),
      h("div", { class: "field q-max" },
        h("label", { for: `${p}-max` }, t("staff.q_max")),
        h("input", { id: `${p}-max`, name: `questions[${i}].max_length`, type: "number", min: "1", max: "10000", step: "1",
          inputmode: "numeric", value: String(q.max_length || 1000) }),
        h("p", { class: "field-error", dataset: { errorFor: `questions[${i}].max_length` }, hidden: true })),
      h("div", { class: "check" },
        h("input", { id: `${p}-required`, name: `questions[${i}].required`, type: "checkbox", checked: Boolean(q.required) }),
        h("label", { for: `${p}-required` }, t("staff.q_required"))),
      h("p", { class: "actions" }, up, down, remove)));
  toggleKind(li, q.kind);
  kind.addEventListener("change", () => toggleKind(li, kind.value));
  up.addEventListener("click", () => move(i, -1, "up"));
  down.addEventListener("click", () => move(i, 1, "down"));
  remove.addEventListener("click", () => removeQuestion(i));
  return li;
}

function renderQuestions() {
  clear(qList).append(...questions.map((q, i) => questionItem(q, i, questions.length)));
  if (!questions.length) qList.append(h("li", { class: "muted empty-questions" }, t("staff.no_questions")));
}

function move(i, delta, which) {
  readQuestions();
  const j = i + delta;
  if (j < 0 || j >= questions.length) return;
  [questions[i], questions[j]] = [questions[j], questions[i]];
  renderQuestions();
  markDirty(true);
  // Keep the focus on the same button of the moved question (or its other
  // move button when that one is now disabled).
  const li = qList.children[j];
  const buttons = li.querySelectorAll(".actions button");
  const target = which === "up" ? buttons[0] : buttons[1];
  (target.disabled ? (which === "up" ? buttons[1] : buttons[0]) : target).focus();
  notice(qResult, "info", t("staff.q_moved", { n: formatNumber(j + 1) }));
}

function removeQuestion(i) {
  readQuestions();
  questions.splice(i, 1);
  renderQuestions();
  // The focus goes to the question that took its place, else to "Add".
  (i < questions.length ? qList.children[i].querySelector("input") : byId("add-question")).focus();
  markDirty(true);
  notice(qResult, "info", t("staff.q_removed"));
}

byId("add-question").addEventListener("click", () => {
  readQuestions();
  questions.push({ id: null, kind: "text", label: "", required: false, choices: [], max_length: 1000 });
  renderQuestions();
  markDirty(true);
  qList.lastElementChild.querySelector("input").focus();
  clearNotice(qResult);
});

// The questions as PUT .../questions takes them.
function questionPayload() {
  return questions.map((q) => {
    const o = { kind: q.kind, label: q.label, required: q.required };
    if (q.id) o.id = q.id;
    if (q.kind.endsWith("_choice")) o.choices = q.choices;
    if (q.kind === "text") o.max_length = q.max_length;
    return o;
  });
}

// ---- The page ------------------------------------------------------------------

// Shows a saved activity; keepQuestions leaves the question editor as it is
// (questions not sent, or refused).
function show(a, { keepQuestions = false } = {}) {
  activity = a;
  document.title = t("title.staff_edit", { title: a.title });
  byId("heading").textContent = t("staff.edit_heading", { title: a.title });
  byId("save").textContent = t("staff.save");
  fillForm(a);
  showStatus(a);
  if (!keepQuestions) {
    questions = a.questions || [];
    renderQuestions();
  }
}

const id = queryParam("id");
if (id) {
  const r = /^\d+$/.test(id) ? await api("GET", `/api/activities/${id}`) : { ok: false, status: 404 };
  byId("loading").hidden = true;
  if (!r.ok || !r.data) {
    if (r.status === 404) {
      setFlash("bad", "staff.not_found");
      location.replace("/staff/activities.html");
    } else {
      notice(formResult, "bad", errorMessage(r));
      form.hidden = false;
    }
  } else {
    show(r.data);
    form.hidden = false;
  }
} else {
  form.elements.timezone.value = "Asia/Seoul";
  showZoneNote();
  renderQuestions();
  byId("loading").hidden = true;
  form.hidden = false;
}

picker = await setupOrgPicker({
  search: byId("org-search"),
  select: byId("organisation"),
  count: byId("org-count"),
});
picker.setValue(activity && activity.host ? activity.host.id : "");
