// awards-case-form.js - a case written by a member of its organisation:
// the SDG picker (1 to 5 goals), counters under the long texts, a draft
// saved automatically a moment after each change (with a visible state),
// attachments uploaded with a progress bar (XHR, checked before and after
// upload), a review step listing what is missing before the case is
// submitted, and withdrawal after a confirmation.
//
// /awards/case-edit.html?cycle=ID starts a case; ?id=ID edits one.
import { api, errorMessage } from "./api.js";
import { confirmDialog, openDialog } from "./dialog.js";
import { byId, clear, h } from "./dom.js";
import { notice, clearNotice, setBusy } from "./form.js";
import { formatNumber, t } from "./i18n.js";
import { initPage, showBanner } from "./layout.js";
import {
  SDGS, awardsNav, clearErrors, localErrors, orgText, phaseChip, sdgLabel, showErrors, sizeText,
  statusChip, whenText,
} from "./awards-common.js";
import { remember } from "./awards-my-list.js";

const { me } = await initPage({ auth: "required" });
const params = new URLSearchParams(location.search);
let caseId = Number.parseInt(params.get("id") || "", 10) || null;
let cycleId = Number.parseInt(params.get("cycle") || "", 10) || null;

const form = byId("case-form");
const summaryEl = byId("error-summary");
const saveState = byId("save-state");
const gate = byId("gate");
const TYPES = ["application/pdf", "image/png", "image/jpeg"];
const EXTENSIONS = /\.(pdf|png|jpe?g)$/i;
const FILE_MAX = 10 * 1024 * 1024;
const FILES_MAX = 10;
const TOTAL_MAX = 25 * 1024 * 1024;
const TEXTS = ["title", "summary", "description", "partners", "results", "contact_email"];

let record = null; // the case as the server last sent it
let cycle = null;
let files = [];

async function load() {
  if (caseId) {
    const r = await api("GET", `/api/submissions/${caseId}`);
    if (!r.ok) return r;
    record = r.data;
    files = record.files || [];
    remember(caseId);
    cycleId = record.cycle_id;
  }
  if (!cycleId) {
    const list = await api("GET", "/api/awards/cycles");
    if (!list.ok) return list;
    const open = list.data.items.find((c) => c.phase === "submission");
    if (open) cycleId = open.id;
  }
  if (!cycleId) return { ok: false, status: 404, data: { error: { code: "not_found", message: t("awards.form.no_open_cycle") } } };
  const c = await api("GET", `/api/awards/cycles/${cycleId}`);
  if (!c.ok) return c;
  cycle = c.data;
  return { ok: true };
}

const loaded = await load();
byId("loading").remove();
awardsNav(me, cycleId);
if (!loaded.ok) {
  gate.append(h("p", { class: "notice bad" }, errorMessage(loaded)));
  await new Promise(() => {}); // nothing more to show
}

// ---- Who may write ------------------------------------------------------

// Only confirmed members of the case's organisation change it (staff read
// cases but do not change them).
const ownCase = !record || Boolean(me.organisation && record.organisation && record.organisation.id === me.organisation.id);
let blocked = null;
if (!ownCase) {
  blocked = h("p", { class: "notice info", id: "gate-note" }, t("awards.form.read_only"));
} else if (!me.organisation) {
  blocked = h("div", { class: "notice info", id: "gate-note" },
    h("h2", null, t("awards.form.no_org_heading")),
    h("p", null, t("awards.form.no_org")),
    h("p", null, h("a", { href: "/profile.html" }, t("awards.form.go_profile"))));
} else if (!me.organisation_confirmed) {
  blocked = h("div", { class: "notice info", id: "gate-note" },
    h("h2", null, t("awards.form.unconfirmed_heading")),
    h("p", null, t("awards.form.unconfirmed", { org: me.organisation.name })),
    h("p", null, t("awards.form.unconfirmed_todo")));
}
const windowOpen = cycle.phase === "submission";
if (blocked) gate.append(blocked);
if (!windowOpen) {
  gate.append(h("p", { class: "notice info" }, Date.now() < Date.parse(cycle.submission_opens_at)
    ? t("awards.form.not_open", { when: whenText(cycle.submission_opens_at) })
    : t("awards.form.closed", { when: whenText(cycle.submission_closes_at) })));
}
gate.prepend(h("p", { class: "lead" }, cycle.title, " ", phaseChip(cycle.phase), " ",
  windowOpen ? t("awards.form.open_until", { when: whenText(cycle.submission_closes_at) }) : ""));

const editable = !blocked && windowOpen && (!record || record.status !== "withdrawn");

// ---- The form -----------------------------------------------------------

for (const k of cycle.categories) form.elements.category_id.append(h("option", { value: String(k.id) }, k.name));
const boxes = byId("sdg-boxes");
for (const n of SDGS) {
  boxes.append(h("div", { class: "check sdg-box" },
    h("input", { type: "checkbox", name: "sdgs", id: `sdg-${n}`, value: String(n) }),
    h("label", { for: `sdg-${n}` }, sdgLabel(n))));
}

function pickedSdgs() {
  return [...form.querySelectorAll("input[name=sdgs]:checked")].map((x) => Number(x.value));
}

function drawSdgCount() {
  const n = pickedSdgs().length;
  byId("sdgs-count").textContent = t("awards.form.sdgs_count", { count: formatNumber(n) });
  // No more than five: the others are disabled until one is taken away.
  for (const box of form.querySelectorAll("input[name=sdgs]")) box.disabled = !editable || (!box.checked && n >= 5);
}

function drawCounter(el) {
  const max = Number(el.dataset.max);
  const count = byId(`${el.id}-count`);
  if (!count || !max) return;
  const n = [...el.value].length;
  count.textContent = t("awards.form.counter", { count: formatNumber(n), max: formatNumber(max) });
  count.classList.toggle("near-limit", n > max * 0.9);
}

function fill(c) {
  form.elements.category_id.value = c.category_id ? String(c.category_id) : "";
  for (const box of form.querySelectorAll("input[name=sdgs]")) box.checked = (c.sdgs || []).includes(Number(box.value));
  for (const f of TEXTS) form.elements[f].value = c[f] || "";
  form.elements.gallery_consent.checked = Boolean(c.gallery_consent);
}

function body() {
  const b = {};
  const cat = form.elements.category_id.value;
  if (cat) b.category_id = Number(cat);
  const sdgs = pickedSdgs();
  if (sdgs.length) b.sdgs = sdgs;
  for (const f of ["title", "summary", "description"]) {
    const v = form.elements[f].value.trim();
    if (v) b[f] = v;
  }
  for (const f of ["partners", "results", "contact_email"]) b[f] = form.elements[f].value.trim() || null;
  b.gallery_consent = form.elements.gallery_consent.checked;
  return b;
}

// What a case still needs before it can be submitted (or saved first).
function missing() {
  const out = {};
  if (!form.elements.category_id.value) out.category_id = { code: "required" };
  const n = pickedSdgs().length;
  if (n < 1 || n > 5) out.sdgs = { code: "required" };
  for (const f of ["title", "summary", "description"]) if (!form.elements[f].value.trim()) out[f] = { code: "required" };
  const email = form.elements.contact_email.value.trim();
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) out.contact_email = { code: "invalid_format" };
  return out;
}

function setState(kind, text) {
  saveState.hidden = false;
  saveState.className = `save-state ${kind}`;
  saveState.textContent = text;
}

let saving = null;
let dirty = false;
let timer = null;

// Saves the draft: creates it once the required fields are there, else
// changes it. explicit: the person pressed "Save" (errors get a summary).
async function save(explicit) {
  if (!editable) return null;
  if (saving) {
    await saving;
    if (!dirty && !explicit) return null;
  }
  dirty = false;
  const problems = missing();
  if (!caseId && Object.keys(problems).length) {
    if (explicit) showErrors(form, summaryEl, localErrors(problems));
    setState("info", t("awards.form.not_saved_yet"));
    return null;
  }
  if (explicit && problems.contact_email) {
    showErrors(form, summaryEl, localErrors({ contact_email: problems.contact_email }));
    return null;
  }
  const b = body();
  if (problems.contact_email) delete b.contact_email;
  setState("info", t("awards.form.saving"));
  saving = caseId ? api("PATCH", `/api/submissions/${caseId}`, b) : api("POST", `/api/awards/cycles/${cycleId}/submissions`, b);
  const r = await saving;
  saving = null;
  if (!r.ok) {
    setState("bad", t("awards.form.not_saved", { reason: errorMessage(r) }));
    if (explicit || r.status === 422) showErrors(form, summaryEl, r);
    if (r.status === 403 && r.data && r.data.error && r.data.error.code === "organisation_unconfirmed") location.reload();
    return r;
  }
  if (!caseId) {
    caseId = r.data.id;
    remember(caseId);
    history.replaceState(null, "", `/awards/case-edit.html?id=${caseId}`);
    const g = await api("GET", `/api/submissions/${caseId}`);
    if (g.ok) record = g.data;
  } else {
    record = r.data;
  }
  clearErrors(form, summaryEl);
  setState("ok", t("awards.form.saved", { when: whenText(record ? record.updated_at : new Date().toISOString()) }));
  drawCase();
  return r;
}

function scheduleSave() {
  dirty = true;
  setState("info", t("awards.form.unsaved"));
  clearTimeout(timer);
  timer = setTimeout(() => save(false), 1200);
}

form.addEventListener("input", (event) => {
  if (event.target.dataset.max) drawCounter(event.target);
  if (event.target.name === "sdgs") drawSdgCount();
  scheduleSave();
});
form.addEventListener("change", (event) => {
  if (event.target.tagName === "SELECT" || event.target.type === "checkbox") scheduleSave();
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearTimeout(timer);
  const button = byId("save");
  setBusy(button, true);
  await save(true);
  setBusy(button, false);
});
window.addEventListener("beforeunload", (event) => {
  if (dirty || saving) event.preventDefault();
});

// ---- Attachments --------------------------------------------------------

const uploadForm = byId("upload-form");
const uploadResult = byId("upload-result");

// The server's rules for a file's name: 1..200 bytes of UTF-8 without
// control characters, "/" or "\\".
const NAME_MAX = 200;
const BAD_NAME = /[\u0000-\u001f\u007f/\\]/;

function fileProblem(file) {
  if (!file) return t("awards.err.file.required");
  if (new TextEncoder().encode(file.name).length > NAME_MAX) return t("awards.err.file.too_long");
  if (BAD_NAME.test(file.name)) return t("awards.err.file.invalid_filename", { name: file.name });
  const typeOk = TYPES.includes(file.type) || (!file.type && EXTENSIONS.test(file.name));
  if (!typeOk || !EXTENSIONS.test(file.name)) return t("awards.err.file.unsupported_type", { name: file.name });
  if (file.size > FILE_MAX) return t("awards.err.file.too_large", { name: file.name, size: sizeText(file.size) });
  if (files.length >= FILES_MAX) return t("awards.err.file_quota");
  const total = files.reduce((s, f) => s + (f.size || 0), 0);
  if (total + file.size > TOTAL_MAX) return t("awards.err.file_quota");
  return null;
}

function showFileError(text) {
  const input = uploadForm.elements.file;
  const el = uploadForm.querySelector('[data-error-for="file"]');
  el.id = "file-error";
  el.textContent = text;
  el.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", "file-error files-hint");
  input.focus();
}

function clearFileError() {
  const input = uploadForm.elements.file;
  const el = uploadForm.querySelector('[data-error-for="file"]');
  el.hidden = true;
  el.textContent = "";
  input.removeAttribute("aria-invalid");
  input.setAttribute("aria-describedby", "files-hint");
}

// What the server's refusal of an upload means for the person: each
// code its own message saying what to do.
function uploadAnswerText(r) {
  const { status, data } = r;
  const err = (data && data.error) || {};
  const field = err.fields && err.fields.file;
  if (status === 0) return t("error.network");
  if (status === 413) return t("awards.err.file.too_large_server");
  if (status === 408) return t("awards.err.file.timeout");
  if (status === 503 && err.code === "uploads_busy") {
    return t("awards.err.file.busy", { seconds: formatNumber(Math.max(1, Number.parseInt(r.retryAfter || "", 10) || 1)) });
  }
  if (status === 409 && err.code === "file_quota") return t("awards.err.file_quota");
  if (status === 422 && field) {
    const key = {
      unsupported_type: "awards.err.file.unsupported_type_server",
      invalid_filename: "awards.err.file.invalid_filename_server",
      too_long: "awards.err.file.too_long",
      required: "awards.err.file.required_server",
    }[field.code];
    return key ? t(key) : field.message || errorMessage(r);
  }
  if (status === 422 && err.fields && err.fields.visibility) return t("awards.err.file.visibility");
  return errorMessage(r);
}

function upload(file, visibility) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const bar = byId("progress");
    const box = byId("upload-progress");
    bar.value = 0;
    box.hidden = false;
    xhr.open("POST", `/api/submissions/${caseId}/files`);
    xhr.setRequestHeader("Accept", "application/json");
    const token = sessionStorage.getItem("convene.csrf");
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    const done = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (e) {
        data = null;
      }
      box.hidden = true;
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data, retryAfter: xhr.getResponseHeader("Retry-After") });
    };
    xhr.addEventListener("load", done);
    xhr.addEventListener("error", done);
    const fd = new FormData();
    fd.append("visibility", visibility);
    fd.append("file", file, file.name);
    xhr.send(fd);
  });
}

function drawFiles() {
  const list = byId("file-list");
  clear(list);
  for (const f of files) {
    const del = h("button", { type: "button", class: "secondary small", "aria-label": t("awards.files.delete_of", { name: f.filename }) },
      t("awards.files.delete"));
    del.hidden = !editable;
    del.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: t("awards.files.delete_title"), text: t("awards.files.delete_text", { name: f.filename }),
        confirmLabel: t("awards.files.delete"),
      });
      if (!ok) return;
      const r = await api("DELETE", `/api/submissions/${caseId}/files/${f.id}`);
      if (!r.ok) {
        notice(uploadResult, "bad", errorMessage(r));
        return;
      }
      files = files.filter((x) => x.id !== f.id);
      drawFiles();
      notice(uploadResult, "ok", t("awards.files.deleted", { name: f.filename }));
    });
    list.append(h("li", null,
      h("a", { href: `/api/submissions/${caseId}/files/${f.id}`, download: f.filename }, f.filename), " ",
      h("span", { class: "sub" }, sizeText(f.size)), " ",
      h("span", { class: `chip visibility-${f.visibility}` }, t(`awards.visibility.${f.visibility === "jury" ? "jury" : "public"}`)),
      " ", del));
  }
  if (!files.length) list.append(h("li", { class: "muted" }, t("awards.case_no_files")));
}

uploadForm.elements.file.addEventListener("change", () => {
  clearFileError();
  clearNotice(uploadResult);
  const file = uploadForm.elements.file.files[0];
  const problem = file ? fileProblem(file) : null;
  if (problem) showFileError(problem);
});

uploadForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFileError();
  clearNotice(uploadResult);
  const file = uploadForm.elements.file.files[0];
  const problem = fileProblem(file);
  if (problem) {
    showFileError(problem);
    return;
  }
  const button = byId("upload");
  setBusy(button, true, "awards.files.uploading");
  const r = await upload(file, uploadForm.elements.visibility.value);
  setBusy(button, false);
  if (!r.ok) {
    showFileError(uploadAnswerText(r));
    return;
  }
  files.push(r.data);
  uploadForm.elements.file.value = "";
  drawFiles();
  notice(uploadResult, "ok", t("awards.files.attached", { name: r.data.filename }));
});

// ---- Review, submit, withdraw -------------------------------------------

function drawCase() {
  byId("files").hidden = false;
  byId("files-wait").hidden = Boolean(caseId);
  uploadForm.hidden = !caseId || !editable;
  const box = byId("submit-box");
  box.hidden = !caseId;
  if (!record) return;
  byId("form-heading").textContent = record.title || t("awards.form.heading");
  const text = byId("submit-text");
  clear(text).append(t("awards.form.status_now"), " ", statusChip(record.status), " ",
    record.status === "submitted" ? t("awards.form.submitted_at", { when: whenText(record.submitted_at) })
      : record.status === "withdrawn" ? t("awards.form.withdrawn_text") : t("awards.form.draft_text"));
  byId("review").hidden = !editable || record.status !== "draft";
  byId("withdraw").hidden = !editable || record.status === "withdrawn";
}

byId("review").addEventListener("click", async () => {
  clearTimeout(timer);
  if (dirty) await save(false);
  const problems = missing();
  const names = {
    category_id: "awards.review.category", sdgs: "awards.review.sdgs", title: "awards.review.title",
    summary: "awards.review.summary", description: "awards.review.description", contact_email: "awards.review.contact",
  };
  if (Object.keys(problems).length) {
    const list = h("ul", { class: "review-missing" }, Object.keys(problems).map((name) => {
      const a = h("a", { href: `#${name === "sdgs" ? "sdg-1" : name}` }, t(names[name]));
      return h("li", null, a);
    }));
    const closing = openDialog({
      title: t("awards.review.missing_title"),
      body: [h("p", null, t("awards.review.missing_text")), list],
      buttons: [{ label: t("awards.review.back"), value: false }],
    });
    for (const a of list.querySelectorAll("a")) {
      a.addEventListener("click", (event) => {
        event.preventDefault();
        a.closest("dialog").close();
        const target = document.querySelector(a.getAttribute("href"));
        setTimeout(() => target && target.focus(), 0);
      });
    }
    await closing;
    showErrors(form, summaryEl, localErrors(problems));
    return;
  }
  const ok = await openDialog({
    title: t("awards.review.ready_title"),
    body: [
      h("p", null, t("awards.review.ready_text")),
      h("dl", { class: "facts" },
        h("div", null, h("dt", null, t("awards.form.title")), h("dd", null, form.elements.title.value.trim())),
        h("div", null, h("dt", null, t("awards.form.category")), h("dd", null, form.elements.category_id.selectedOptions[0].textContent)),
        h("div", null, h("dt", null, t("awards.form.sdgs")), h("dd", null, pickedSdgs().map(sdgLabel).join("; "))),
        h("div", null, h("dt", null, t("awards.case_org")), h("dd", null, orgText(record && record.organisation))),
        h("div", null, h("dt", null, t("awards.files.heading")), h("dd", null, t("awards.review.files", { count: formatNumber(files.length) })))),
      form.elements.gallery_consent.checked ? null : h("p", { class: "hint" }, t("awards.review.no_consent")),
    ],
    buttons: [
      { label: t("dialog.cancel"), value: false, kind: "secondary" },
      { label: t("awards.review.submit"), value: true },
    ],
    initial: true,
  });
  if (ok !== true) return;
  const r = await api("POST", `/api/submissions/${caseId}/submit`);
  if (!r.ok) {
    showBanner("bad", errorMessage(r));
    focusBanner();
    return;
  }
  const g = await api("GET", `/api/submissions/${caseId}`);
  if (g.ok) record = g.data;
  drawCase();
  showBanner("ok", t("awards.form.submitted_banner", { when: whenText(cycle.submission_closes_at) }));
  focusBanner();
});

byId("withdraw").addEventListener("click", async () => {
  const ok = await confirmDialog({
    title: t("awards.form.withdraw_title"), text: t("awards.form.withdraw_text"), confirmLabel: t("awards.form.withdraw"),
  });
  if (!ok) return;
  const r = await api("POST", `/api/submissions/${caseId}/withdraw`);
  if (!r.ok) {
    showBanner("bad", errorMessage(r));
    focusBanner();
    return;
  }
  location.replace(`/awards/case-edit.html?id=${caseId}&done=withdrawn`);
});

function focusBanner() {
  const el = byId("banner");
  if (el) {
    el.setAttribute("tabindex", "-1");
    el.focus();
    window.scrollTo(0, 0);
  }
}

// ---- Start --------------------------------------------------------------

if (record) fill(record);
form.hidden = false;
byId("case-fields").disabled = !editable;
byId("save").hidden = !editable;
for (const el of form.querySelectorAll("[data-max]")) drawCounter(el);
drawSdgCount();
drawFiles();
drawCase();
if (record) setState("ok", t("awards.form.saved", { when: whenText(record.updated_at) }));
if (params.get("done") === "withdrawn") {
  showBanner("ok", t("awards.form.withdrawn_banner"));
  focusBanner();
}
