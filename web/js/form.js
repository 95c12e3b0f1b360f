// form.js - helpers shared by the forms: field errors from a 422 answer
// shown next to their fields, a busy state on buttons, and notice areas.
import { errorMessage } from "./api.js";
import { own, t } from "./i18n.js";

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
export function fieldMessage(error) {
  if (typeof error === "string") return error;
  return own(`field.${error.code}`) || error.message;
}

export function showFieldErrors(form, result) {
  clearErrors(form);
  const fields = result && result.data && result.data.error && result.data.error.fields;
  if (!fields || typeof fields !== "object") return null;
  const unmatched = [];
  let first = null;
  for (const [name, error] of Object.entries(fields)) {
    const message = fieldMessage(error);
    const inputs = controls(form, name);
    if (!inputs.length) {
      unmatched.push([name, message]);
      continue;
    }
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
    } else {
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
