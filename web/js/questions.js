// questions.js - an activity's registration questions as form fields, and
// the answers read back as the API wants them (an object keyed by question
// id: text, a choice, a list of choices, or true/false).
//
// Every field is named "answers.<question id>", the name the API gives its
// field errors (error.fields["answers.12"]), so form.js shows each error
// next to its question. Choices are groups of radio buttons or check boxes
// in a fieldset whose legend is the question.
import { h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";

function marker(q) {
  return q.required
    ? h("span", { class: "required" }, t("question.required"))
    : h("span", { class: "optional" }, t("field.optional"));
}

function choiceGroup(q, prefix, type, options) {
  const name = `answers.${q.id}`;
  const base = `${prefix}-q${q.id}`;
  const hintId = type === "checkbox" ? `${base}-hint` : null;
  return h("fieldset", { class: "field question choices", dataset: { question: String(q.id) } },
    h("legend", null, q.label, " ", marker(q)),
    hintId ? h("p", { class: "hint", id: hintId }, t("question.any")) : null,
    options.map(([value, label], i) => h("div", { class: "check" },
      h("input", {
        type,
        id: `${base}-${i}`,
        name,
        value,
        required: type === "radio" && q.required,
        "aria-describedby": hintId,
      }),
      h("label", { for: `${base}-${i}` }, label))),
    h("p", { class: "field-error", dataset: { errorFor: name }, hidden: true }));
}

// The fields for `questions`; prefix keeps ids apart when a page has two
// such forms.
export function questionFields(questions, prefix = "reg") {
  return (questions || []).map((q) => {
    const name = `answers.${q.id}`;
    const id = `${prefix}-q${q.id}`;
    if (q.kind === "single_choice") return choiceGroup(q, prefix, "radio", (q.choices || []).map((c) => [c, c]));
    if (q.kind === "multiple_choice") return choiceGroup(q, prefix, "checkbox", (q.choices || []).map((c) => [c, c]));
    if (q.kind === "yes_no") return choiceGroup(q, prefix, "radio", [["true", t("question.yes")], ["false", t("question.no")]]);
    const max = Number(q.max_length) || 1000;
    const hintId = `${id}-hint`;
    const attrs = { id, name, maxlength: String(max), required: Boolean(q.required), "aria-describedby": hintId };
    const input = max > 200 ? h("textarea", { ...attrs, rows: "4" }) : h("input", { ...attrs, type: "text" });
    return h("div", { class: "field question", dataset: { question: String(q.id) } },
      h("label", { for: id }, q.label, " ", marker(q)),
      input,
      h("p", { class: "hint", id: hintId }, t("question.max_length", { count: formatNumber(max) })),
      h("p", { class: "field-error", dataset: { errorFor: name }, hidden: true }));
  });
}

// The answers given in `form` to `questions`; unanswered ones are left out.
export function collectAnswers(form, questions) {
  const out = {};
  for (const q of questions || []) {
    const name = `answers.${q.id}`;
    const checked = [...form.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((el) => el.value);
    if (q.kind === "multiple_choice") {
      if (checked.length) out[q.id] = checked;
    } else if (q.kind === "single_choice") {
      if (checked.length) out[q.id] = checked[0];
    } else if (q.kind === "yes_no") {
      if (checked.length) out[q.id] = checked[0] === "true";
    } else {
      const el = form.elements.namedItem(name);
      const v = el && typeof el.value === "string" ? el.value.trim() : "";
      if (v) out[q.id] = v;
    }
  }
  return out;
}

// An answer for people: "Yes", "No", "a; b" or the text.
export function answerText(value) {
  if (value === true) return t("question.yes");
  if (value === false) return t("question.no");
  if (Array.isArray(value)) return value.join("; ");
  return value === null || value === undefined ? "" : String(value);
}

// A description list of the questions and their answers (only those
// answered); null when there is none.
export function answerList(questions, answers) {
  const rows = (questions || [])
    .filter((q) => answers && Object.prototype.hasOwnProperty.call(answers, String(q.id)))
    .map((q) => h("div", null, h("dt", null, q.label), h("dd", null, answerText(answers[String(q.id)]))));
  return rows.length ? h("dl", { class: "answers" }, rows) : null;
}
