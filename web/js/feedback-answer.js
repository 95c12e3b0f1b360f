// feedback-answer.js - the evaluation form of an activity for a
// participant who attended (/feedback/answer.html?activity=N, the link of
// the invitation mail). Opening the page only reads the form (GET
// /api/activities/{id}/feedback): a mail scanner that follows the link
// submits nothing. Answering is the POST of the button, with the session
// (POST .../feedback/answers, once; the form's version goes with it).
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { clearErrors, focusNotice, notice, setBusy, showFieldErrors } from "./form.js";
import { formatDateTime, t } from "./i18n.js";
import { initPage } from "./layout.js";
import { collectAnswers, questionFields } from "./questions.js";

await initPage({ auth: "required" });
const id = queryParam("activity");
const result = byId("fb-result");
const form = byId("answer-form");

function done(kind, text) {
  byId("loading").hidden = true;
  notice(result, kind, text);
}

// A 1-5 rating as a group of radio buttons named like the other answers,
// so that field errors find it.
function ratingField(q) {
  const name = `answers.${q.id}`;
  const base = `fb-q${q.id}`;
  const hintId = `${base}-hint`;
  return h("fieldset", { class: "field question choices rating-scale", dataset: { question: String(q.id) } },
    h("legend", null, q.label, " ",
      q.required ? h("span", { class: "required" }, t("question.required"))
        : h("span", { class: "optional" }, t("field.optional"))),
    h("p", { class: "hint", id: hintId }, t("fb.rating_hint")),
    h("div", { class: "rating-options" },
      [1, 2, 3, 4, 5].map((n) => h("div", { class: "check" },
        h("input", { type: "radio", id: `${base}-${n}`, name, value: String(n), required: q.required, "aria-describedby": hintId }),
        h("label", { for: `${base}-${n}` }, String(n))))),
    h("p", { class: "field-error", dataset: { errorFor: name }, hidden: true }));
}

function fields(questions) {
  return questions.map((q) => (q.kind === "rating" ? ratingField(q) : questionFields([q], "fb")[0]));
}

function answers(questions) {
  const out = collectAnswers(form, questions.filter((q) => q.kind !== "rating"));
  for (const q of questions.filter((x) => x.kind === "rating")) {
    const checked = form.querySelector(`input[name="answers.${q.id}"]:checked`);
    if (checked) out[q.id] = Number(checked.value);
  }
  return out;
}

if (!id || !/^[1-9][0-9]{0,15}$/.test(id)) {
  done("bad", t("fb.no_form"));
} else {
  const r = await api("GET", `/api/activities/${id}/feedback`);
  if (!r.ok) {
    done("bad", r.status === 404 ? t("fb.no_form") : errorMessage(r));
  } else {
    const f = r.data;
    document.title = t("title.pattern", { page: f.title });
    byId("heading").textContent = f.title;
    byId("fb-activity").textContent = t("fb.about_activity", { title: f.activity_title });
    byId("fb-window").textContent = t("fb.window", {
      opens: f.opens_at ? formatDateTime(f.opens_at) : "—", closes: formatDateTime(f.closes_at),
    });
    byId("fb-anonymity").textContent = f.anonymous ? t("fb.anonymous_note") : t("fb.named_note");
    if (f.intro) {
      byId("fb-intro").textContent = f.intro;
      byId("fb-intro").hidden = false;
    }
    byId("loading").hidden = true;
    byId("content").hidden = false;
    if (f.answered) notice(result, "ok", t("fb.already"));
    else if (f.state === "not_open") notice(result, "bad", t("error.feedback_not_open"));
    else if (f.state === "closed") notice(result, "bad", t("error.feedback_closed"));
    else {
      clear(byId("fb-questions")).append(...fields(f.questions));
      form.hidden = false;
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        clearErrors(form);
        const button = byId("fb-send");
        setBusy(button, true, "fb.sending");
        const res = await api("POST", `/api/activities/${id}/feedback/answers`, {
          answers: answers(f.questions), version: f.version,
        });
        setBusy(button, false);
        if (res.ok) {
          form.hidden = true;
          notice(result, "ok", t("fb.thanks"));
          focusNotice(result);
        } else if (res.status === 422 && showFieldErrors(form, res) !== null) {
          // shown next to the questions, with the summary at the top
        } else {
          notice(result, "bad", errorMessage(res));
          focusNotice(result);
        }
      });
    }
  }
}
