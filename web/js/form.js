// form.js - helpers shared by the forms: field errors from a 422 answer
// shown the GOV.UK way (a summary at the top of the form linking to each
// field, "Error: " before the page's title, a message next to each field
// saying what to do), a busy state on buttons, and notice areas.
import { errorMessage } from "./api.js";
import { hasKey, own, t } from "./i18n.js";

function describedBy(input) {
  return (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
}

function setDescribedBy(input, ids) {
  if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
}

// The element that shows the error of field `name`: the one marked
// data-error-for="name" in the form, else one made after the field.
function errorElement(form, name, input) {
  let el = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  if (!el && input) {
    el = document.createElement("p");
    el.className = "field-error";
    el.dataset.errorFor = name;
    el.hidden = true;
    input.insertAdjacentElement("afterend", el);
  }
  if (el && !el.id) el.id = `${form.id || "form"}-${name.replace(/[^A-Za-z0-9_-]/g, "-")}-error`;
  return el;
}

// The controls named `name`: one field, or every radio button or check box
// of a group (a RadioNodeList). [] when the form has none.
function controls(form, name) {
  const item = form.elements.namedItem(name);
  if (!item) return [];
  if (item.setAttribute) return [item];
  return Array.from(item).filter((el) => el.setAttribute);
}

export function clearErrors(form) {
  clearSummary(form);
  for (const el of form.querySelectorAll("[data-error-for]")) {
    el.textContent = "";
    el.hidden = true;
    for (const input of controls(form, el.dataset.errorFor)) {
      input.removeAttribute("aria-invalid");
      setDescribedBy(input, describedBy(input).filter((id) => id !== el.id));
    }
  }
}

// Shows the `fields` of a 422 answer next to their fields (linked with
// aria-describedby, the field marked aria-invalid) and moves the focus to
// the first. Returns the field errors that match no field of the form, as
// [[name, message]], so the caller can show them elsewhere; null when the
// answer had no field errors.
// A field error is {code, message}: a translation words the code
// ("field.required" in its dictionary); English keeps the server's message,
// which is more precise ("Must be at most 200 bytes long.").
// With the field's name (and its form), the message says what to do in
// this form's words: error.<form id>.<field>.<code>, else
// error.field.<field>.<code> ("Enter your email address"); a field left
// empty that is too short is one left out (.required).
export function fieldMessage(error, name, form) {
  if (typeof error === "string") return error;
  if (name) {
    let code = error.code;
    const input = form && form.elements ? form.elements.namedItem(name) : null;
    const empty = input && typeof input.value === "string" && input.value.trim() === "";
    if (empty && ["too_short", "invalid_format", "weak_password"].includes(code)) code = "required";
    const base = String(name).replace(/\[\d+\]/g, "");
    for (const key of [form && form.id ? `error.${form.id}.${base}.${code}` : "", `error.field.${base}.${code}`]) {
      if (key && hasKey(key)) return t(key);
    }
  }
  return own(`field.${error.code}`) || error.message;
}

// ---- The error summary -------------------------------------------------------

function titlePrefix() {
  return t("form.error_title", { title: "" });
}

function clearSummary(form) {
  const box = document.getElementById(`${form.id || "form"}-error-summary`);
  if (box) box.remove();
  const prefix = titlePrefix();
  if (prefix && document.title.startsWith(prefix)) document.title = document.title.slice(prefix.length);
}

// Fills box with an error summary: a heading ("There is a problem") and a
// list of `errors` ([[input or null, message]]), each entry with an input
// a link that moves the focus to it. The box becomes an alert and takes
// the focus. Used by showSummary and by pages that keep their own box.
export function fillSummary(box, errors, heading = t("form.error_heading")) {
  box.replaceChildren();
  box.className = "notice bad error-summary";
  box.setAttribute("role", "alert");
  box.setAttribute("tabindex", "-1");
  const title = document.createElement("h2");
  title.textContent = heading;
  if (box.id) box.setAttribute("aria-labelledby", (title.id = `${box.id}-title`));
  const list = document.createElement("ul");
  for (const [input, message] of errors) {
    const li = document.createElement("li");
    if (input && input.id) {
      const a = document.createElement("a");
      a.href = `#${input.id}`;
      a.textContent = message;
      a.addEventListener("click", (event) => {
        event.preventDefault();
        input.scrollIntoView({ block: "center" });
        input.focus();
      });
      li.append(a);
    } else {
      li.textContent = message;
    }
    list.append(li);
  }
  box.append(title, list);
  box.hidden = false;
  box.focus();
}

// Shows a summary of `errors` ([[input or null, message]]) above the form:
// "There is a problem" and a list whose entries link to their fields;
// "Error: " before the page's title; the focus on the summary.
export function showSummary(form, errors) {
  clearSummary(form);
  if (!errors.length) return null;
  const box = document.createElement("div");
  box.id = `${form.id || "form"}-error-summary`;
  form.insertAdjacentElement("beforebegin", box);
  const prefix = titlePrefix();
  if (!document.title.startsWith(prefix)) document.title = t("form.error_title", { title: document.title });
  fillSummary(box, errors);
  return box;
}

export function showFieldErrors(form, result) {
  clearErrors(form);
  const fields = result && result.data && result.data.error && result.data.error.fields;
  if (!fields || typeof fields !== "object") return null;
  const unmatched = [];
  const shown = [];
  let first = null;
  for (const [name, error] of Object.entries(fields)) {
    const message = fieldMessage(error, name, form);
    const inputs = controls(form, name);
    if (!inputs.length) {
      unmatched.push([name, message]);
      continue;
    }
    shown.push([inputs[0], message]);
    // A group of radio buttons or check boxes shares one error element
    // (its data-error-for one, or one made after the last of them).
    const el = errorElement(form, name, inputs[inputs.length - 1]);
    el.textContent = message;
    el.hidden = false;
    for (const input of inputs) {
      input.setAttribute("aria-invalid", "true");
      const ids = describedBy(input).filter((id) => id !== el.id);
      ids.unshift(el.id);
      setDescribedBy(input, ids);
    }
    if (!first) first = inputs[0];
  }
  if (first) first.focus();
  // Forms that ask for it (data-summary) list every error at the top.
  if (form.hasAttribute("data-summary") && (shown.length || unmatched.length)) {
    // In the order of the fields on the page.
    shown.sort(([a], [b]) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    showSummary(form, [...shown, ...unmatched.map(([, m]) => [null, m])]);
    return [];
  }
  return unmatched;
}

// Marks a button as working: disabled, aria-busy and a "…ing" label.
export function setBusy(button, busy, labelKey = "form.working") {
  if (!button) return;
  if (busy) {
    if (button.dataset.idleLabel === undefined) button.dataset.idleLabel = button.textContent;
    button.textContent = t(labelKey);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  } else {
    if (button.dataset.idleLabel !== undefined) {
      button.textContent = button.dataset.idleLabel;
      delete button.dataset.idleLabel;
    }
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// Shows text in a notice area. kind: "ok", "bad" or "info". Errors are
// announced at once (role=alert), the rest politely (role=status).
export function notice(el, kind, text) {
  el.setAttribute("role", kind === "bad" ? "alert" : "status");
  el.className = `notice ${kind}`;
  el.textContent = text;
  el.hidden = false;
}

export function clearNotice(el) {
  el.hidden = true;
  el.textContent = "";
}

// Sends a form: busy button, cleared errors, then field errors or a notice
// for a failed answer. request() returns the API result; onOk(result) runs
// when it is a success. Returns the result.
export async function submit(form, resultEl, request, onOk) {
  const button = form.querySelector("button[type=submit]");
  clearErrors(form);
  if (resultEl) clearNotice(resultEl);
  setBusy(button, true);
  let r;
  try {
    r = await request();
  } finally {
    setBusy(button, false);
  }
  if (r.ok) {
    if (onOk) await onOk(r);
    return r;
  }
  const unmatched = showFieldErrors(form, r);
  if (resultEl) {
    if (unmatched === null) {
      notice(resultEl, "bad", errorMessage(r));
    } else if (unmatched.length) {
      notice(resultEl, "bad", unmatched.map(([, m]) => m).join(" "));
    } else if (!form.hasAttribute("data-summary")) {
      notice(resultEl, "bad", t("error.validation_failed"));
    }
  }
  return r;
}

// The trimmed value of a form field ("" when absent).
export function value(form, name) {
  const el = form.elements.namedItem(name);
  return el && typeof el.value === "string" ? el.value.trim() : "";
}

// Moves the focus to a notice (after the control that was focused went
// away), so keyboard and screen-reader users continue from there.
export function focusNotice(el) {
  el.setAttribute("tabindex", "-1");
  el.focus();
}
