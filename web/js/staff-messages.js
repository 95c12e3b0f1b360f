// staff-messages.js - "Message participants" on the staff activity page
// (?id=N): choose the statuses (the number of recipients follows, from
// GET /api/activities/{id}/messages/recipients), write a subject and a
// text, preview it, send it (POST .../messages, once: the button is
// disabled while sending and the request carries an idempotency key that
// stays the same until the text changes, so a repeated click or a retry
// answers the first message), and the history (GET .../messages).
//
// staff-activity.js owns the page and its initPage; this module starts
// once the page is ready (the body gets the class "ready" after the
// language is loaded and the caller checked). A caller who may not see
// the page has its main replaced, and this section with it.
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { clearErrors, clearNotice, focusNotice, notice, setBusy, showFieldErrors } from "./form.js";
import { formatDateTime, t, tn } from "./i18n.js";

function pageReady() {
  if (document.body.classList.contains("ready")) return Promise.resolve();
  return new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (document.body.classList.contains("ready")) {
        watch.disconnect();
        resolve();
      }
    });
    watch.observe(document.body, { attributes: true, attributeFilter: ["class"] });
  });
}

// A fresh idempotency key for one message.
function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function start() {
  const id = queryParam("id");
  const box = byId("messages-box");
  if (!id || !/^[1-9][0-9]{0,15}$/.test(id) || !box) return;
  const form = byId("message-form");
  const count = byId("msg-count");
  const result = byId("msg-result");
  const sendButton = byId("msg-send");
  const previewBox = byId("msg-preview-box");
  const base = `/api/activities/${id}/messages`;
  let key = null; // the key of the message as written now; null: make one
  let recipients = 0;
  let countSeq = 0;

  const chosen = () => Array.from(form.querySelectorAll("input[name=statuses]:checked"), (el) => el.value);

  async function updateCount() {
    const statuses = chosen();
    const seq = ++countSeq;
    if (!statuses.length) {
      recipients = 0;
      count.textContent = t("msg.choose_status");
      return;
    }
    const q = statuses.map((s) => `status=${encodeURIComponent(s)}`).join("&");
    const r = await api("GET", `${base}/recipients?${q}`);
    if (seq !== countSeq) return; // a later choice answered first
    if (!r.ok) {
      recipients = 0;
      count.textContent = errorMessage(r);
      return;
    }
    recipients = r.data.count;
    const names = r.data.names || [];
    if (recipients === 0) {
      count.textContent = t("error.no_recipients");
      return;
    }
    const more = recipients - names.length;
    const list = more > 0 ? t("msg.recipients_more", { names: names.join(", "), more })
      : t("msg.recipients_names", { names: names.join(", ") });
    count.textContent = `${tn("msg.recipients", recipients)} ${list}`;
  }

  function renderHistory(items) {
    const list = byId("msg-history");
    clear(list);
    byId("msg-history-empty").hidden = items.length > 0;
    for (const m of items) {
      const statuses = m.statuses.map((s) => t(`msg.status.${s}`)).join(", ");
      list.append(h("li", { class: "message-item" },
        h("p", { class: "message-subject" }, h("strong", null, m.subject)),
        h("p", { class: "hint" }, t("msg.sent_line", {
          when: formatDateTime(m.sent_at),
          who: m.sent_by ? m.sent_by.name : t("msg.someone"),
          count: tn("msg.recipients_short", m.recipients),
          statuses,
        })),
        h("details", null, h("summary", null, t("msg.show_text")), h("div", { class: "message-text" }, m.body))));
    }
  }

  async function loadHistory() {
    const r = await api("GET", base);
    if (r.ok) renderHistory(r.data.items);
    return r;
  }

  function showPreview() {
    byId("msg-preview-subject").textContent = form.elements.subject.value.trim() || t("msg.no_subject");
    byId("msg-preview-greeting").textContent = t("msg.preview_greeting");
    byId("msg-preview-text").textContent = form.elements.body.value;
    previewBox.hidden = false;
  }

  form.addEventListener("change", (e) => {
    if (e.target.name === "statuses") {
      key = null;
      updateCount();
    }
  });
  form.addEventListener("input", (e) => {
    if (e.target.name === "subject" || e.target.name === "body") {
      key = null;
      if (!previewBox.hidden) showPreview();
    }
  });
  byId("msg-preview").addEventListener("click", showPreview);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (sendButton.disabled) return;
    clearErrors(form);
    clearNotice(result);
    const body = {
      statuses: chosen(),
      subject: form.elements.subject.value.trim(),
      body: form.elements.body.value,
    };
    if (body.statuses.length && recipients > 0 && body.subject && body.body.trim()) {
      const ok = await confirmDialog({
        title: t("msg.confirm_title"),
        text: tn("msg.confirm_text", recipients, { subject: body.subject }),
        confirmLabel: t("msg.send"),
        danger: false,
      });
      if (!ok) return;
    }
    if (!key) key = newKey();
    body.key = key;
    setBusy(sendButton, true, "msg.sending");
    let r;
    try {
      r = await api("POST", base, body);
    } finally {
      setBusy(sendButton, false);
    }
    if (r.ok) {
      notice(result, "ok", tn("msg.sent", r.data.recipients));
      form.elements.subject.value = "";
      form.elements.body.value = "";
      previewBox.hidden = true;
      key = null;
      await loadHistory();
      focusNotice(result);
      return;
    }
    const unmatched = showFieldErrors(form, r);
    if (unmatched === null) notice(result, "bad", errorMessage(r));
    else if (unmatched.length) notice(result, "bad", unmatched.map(([, m]) => m).join(" "));
    else notice(result, "bad", t("error.validation_failed"));
    if (unmatched === null || unmatched.length) focusNotice(result);
  });

  const first = await loadHistory();
  if (!first.ok) return; // no such activity, or not allowed: the section stays hidden
  box.hidden = false;
  await updateCount();
}

await pageReady();
await start();
