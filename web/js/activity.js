// activity.js - one activity (GET /api/activities/{id}) with the
// registration block in the state that fits the activity and the visitor:
// a form (register, join the waiting list or request a place, with the
// activity's questions) or the visitor's registration with a way to cancel
// it (DELETE /api/activities/{id}/enrollments/me), or why one cannot
// register here (invitation only, a partner's event, cancelled, closed, not
// logged in, email address not confirmed).
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { focusNotice, notice, clearNotice, submit } from "./form.js";
import { formatNumber, t } from "./i18n.js";
import { activityTimeNodes, formatInstant, instantNodes, zoneLabel } from "./time.js";
import { initPage, isStaff, loginHref } from "./layout.js";
import {
  ACTIVE, badges, dateNodes, enrolmentChip, exactDates, externalLink, kindLabel, placeText, registrationWindow,
  seatsText,
} from "./activity-info.js";
import { answerList, collectAnswers, questionFields } from "./questions.js";

const { me } = await initPage();
const id = queryParam("id");
const result = byId("register-result");
let activity = null;

function notFound(r) {
  byId("loading").hidden = true;
  const main = byId("main");
  const missing = !r || r.status === 404 || r.status === 400;
  const box = h("section", { class: "card" },
    h("h1", null, t(missing ? "activity.not_found_title" : "layout.unavailable_title")),
    h("p", null, missing ? t("activity.not_found_text") : errorMessage(r)),
    h("p", null, h("a", { href: "/index.html" }, t("activity.back"))));
  clear(main).append(box);
  document.title = t("title.pattern", { page: t(missing ? "activity.not_found_title" : "layout.unavailable_title") });
}

async function load() {
  if (!id || !/^\d+$/.test(id)) return { ok: false, status: 404 };
  return api("GET", `/api/activities/${id}`);
}

// ---- The facts -----------------------------------------------------------

function fact(label, ...value) {
  return h("div", null, h("dt", null, label), h("dd", null, ...value));
}

function renderFacts(a) {
  const rows = [];
  const exact = exactDates(a);
  const dates = dateNodes(a);
  // The exact dates too, unless the label already gives them ("3-4 April").
  const day = a.starts_on ? String(Number(a.starts_on.slice(8, 10))) : "";
  if (a.date_label && exact && !new RegExp(`(^|\\D)${day}(\\D|$)`).test(a.date_label)) {
    dates.push(h("span", { class: "muted" }, ` (${exact})`));
  }
  rows.push(fact(t("activity.dates"), dates));
  // Times with the activity's zone, and the viewer's own when different;
  // the zone on its own only when there are no times to carry it.
  const time = activityTimeNodes(a);
  if (time.length) rows.push(fact(t("activity.times"), ...time));
  else if (a.timezone) rows.push(fact(t("activity.timezone"), zoneLabel(a.timezone)));
  rows.push(fact(t("activity.place"), placeText(a)));
  rows.push(fact(t("activity.kind"), kindLabel(a.kind)));
  if (a.host) rows.push(fact(t("activity.host"), a.host.name));
  if (a.programme) rows.push(fact(t("activity.programme"), a.programme));
  if (a.section === "partner") rows.push(fact(t("activity.organiser"), t("activity.partner_event")));
  const seats = seatsText(a);
  if (seats) rows.push(fact(t("activity.seats"), seats));
  if (a.registration_opens_at) rows.push(fact(t("activity.opens"), ...instantNodes(a.registration_opens_at, a.timezone)));
  // When registration closes: the staff closing time, else the start.
  const ends = a.registration_ends_at || a.registration_closes_at;
  if (ends && !["ended", "cancelled", "external", "invitation"].includes(a.availability)) {
    rows.push(fact(t("activity.closes"), ...instantNodes(ends, a.timezone)));
  }
  clear(byId("facts")).append(...rows);
}

// ---- The registration block ----------------------------------------------

function para(text, cls) {
  return h("p", { class: cls || null }, text);
}

function registered(a, e) {
  const explain = {
    confirmed: t("register.confirmed_text"),
    waitlisted: e.waitlist_position
      ? t("register.waitlisted_text", { position: formatNumber(e.waitlist_position) })
      : t("register.waitlisted_text_plain"),
    pending_approval: t("register.pending_text"),
    rejected: t("register.rejected_text"),
    attended: t("register.attended_text"),
  }[e.status];
  const out = [
    h("p", { class: "my-status" }, h("span", { class: "status-label" }, t("register.your_status")), " ", enrolmentChip(e)),
    explain ? para(explain) : null,
    e.registered_at ? para(t("register.registered_at", { when: formatInstant(e.registered_at) }), "hint") : null,
  ];
  const answers = answerList(a.questions, e.answers);
  if (answers) out.push(h("h3", null, t("register.your_answers")), answers);
  out.push(para(h("a", { href: "/my-registrations.html" }, t("register.all_mine"))));
  // Cancelling is a secondary action, after everything else.
  if (ACTIVE.includes(e.status) && a.status !== "cancelled" && a.availability !== "ended") {
    const button = h("button", { type: "button", class: "secondary small", id: "cancel-registration" }, t("register.cancel"));
    button.addEventListener("click", () => cancelRegistration(button));
    out.push(h("p", { class: "actions cancel-action" }, h("span", { class: "hint" }, t("register.cancel_hint")), " ", button));
  }
  return out;
}

function loggedOut() {
  const here = location.pathname + location.search;
  const next = encodeURIComponent(here);
  return [
    para(t("register.login_needed")),
    h("p", { class: "actions" },
      h("a", { href: loginHref(), class: "button-link" }, t("register.login")),
      h("a", { href: `/signup.html?next=${next}` }, t("register.create_account"))),
  ];
}

function unverified() {
  return [
    h("div", { class: "notice info" },
      para(t("register.unverified")),
      para(h("a", { href: "/resend-verification.html" }, t("register.resend_link")))),
  ];
}

function registerForm(a) {
  const full = a.capacity !== null && a.capacity !== undefined && a.seats_left === 0;
  let intro;
  let label;
  if (a.mode === "approval") {
    intro = t("register.approval_intro");
    label = t("register.request");
  } else if (full) {
    intro = t("register.full_intro");
    label = t("register.waitlist");
  } else {
    intro = t("register.open_intro");
    label = t("register.submit");
  }
  const questions = a.questions || [];
  const form = h("form", { id: "register-form", method: "post", novalidate: true },
    para(intro),
    questions.length ? para(t("register.questions_intro"), "hint") : null,
    questionFields(questions, "reg"),
    h("button", { type: "submit" }, label));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { answers: collectAnswers(form, questions) };
    const r = await submit(form, result, () => api("POST", `/api/activities/${a.id}/enrollments`, body));
    if (r.ok) {
      await refresh();
      const key = {
        confirmed: "register.done_confirmed",
        waitlisted: "register.done_waitlisted",
        pending_approval: "register.done_pending",
      }[r.data.status] || "register.done_other";
      // The confirmation at the top of the page, where the eye is.
      const top = byId("confirmation");
      notice(top, "ok", t(key, { position: formatNumber(r.data.waitlist_position || 0) }));
      focusNotice(top);
      top.scrollIntoView({ block: "start" });
    } else if (r.status === 401) {
      notice(result, "bad", t("register.session_ended"));
    } else if (r.status === 409 || r.status === 403 || r.status === 404) {
      // The activity changed meanwhile (closed, cancelled, full): show it as it is now.
      const message = errorMessage(r);
      await refresh();
      notice(result, "bad", message);
    }
  });
  return [full && a.mode !== "approval" ? para(t("activity.full"), "full-note") : null, form];
}

function renderRegistration(a) {
  const body = clear(byId("register-body"));
  const e = a.my_enrollment && a.my_enrollment.status !== "cancelled" ? a.my_enrollment : null;
  if (a.status === "draft") {
    body.append(h("p", { class: "notice info" }, t("register.draft")));
    return;
  }
  if (a.status === "cancelled") {
    body.append(h("p", { class: "notice bad" }, t("register.activity_cancelled")));
    if (e) body.append(para(t("register.cancelled_was", { status: t(`enrolment.${e.status}`) }), "hint"));
    return;
  }
  if (e) {
    body.append(...registered(a, e).filter(Boolean));
    return;
  }
  if (a.mode === "external") {
    const link = externalLink(a, t("register.external_link"));
    if (link) link.classList.add("button-link");
    body.append(para(t(a.section === "partner" ? "register.partner_text" : "register.external_text")));
    body.append(link ? h("p", { class: "actions" }, link) : para(t("register.external_no_link"), "hint"));
    return;
  }
  if (a.mode === "invitation") {
    body.append(para(t("register.invitation_text")));
    return;
  }
  const closed = registrationWindow(a);
  if (closed) {
    body.append(para(closed));
    return;
  }
  if (!me) {
    body.append(...loggedOut());
    return;
  }
  if (me.email_verified === false) {
    body.append(...unverified());
    return;
  }
  if (a.my_enrollment && a.my_enrollment.status === "cancelled") {
    body.append(para(t("register.again"), "hint"));
  }
  body.append(...registerForm(a).filter(Boolean));
}

async function cancelRegistration(button) {
  const sure = await openDialog({
    title: t("register.cancel_title"),
    body: [h("p", null, t("register.cancel_text", { title: activity.title }))],
    buttons: [
      { label: t("register.keep"), value: false, kind: "secondary" },
      { label: t("register.cancel_confirm"), value: true, kind: "danger" },
    ],
    initial: false,
  });
  if (!sure) return;
  button.disabled = true;
  const r = await api("DELETE", `/api/activities/${activity.id}/enrollments/me`);
  if (r.ok) {
    await refresh();
    notice(result, "ok", t("register.cancelled_done"));
    focusNotice(result);
  } else {
    button.disabled = false;
    notice(result, "bad", errorMessage(r));
  }
}

// ---- The calendar links ----------------------------------------------------

function renderCalendar(a) {
  const body = clear(byId("calendar-body"));
  if (a.status === "cancelled") {
    body.append(para(t("activity.calendar_cancelled"), "hint"));
  } else if (a.starts_on && a.status !== "draft") {
    body.append(
      h("p", null, h("a", { href: `/api/activities/${a.id}/calendar.ics`, id: "add-to-calendar" }, t("activity.add_to_calendar"))),
      para(t("activity.add_to_calendar_hint"), "hint"));
  } else {
    body.append(para(t("activity.no_exact_dates"), "hint"),
      h("p", null, h("a", { href: "/api/calendar.ics" }, t("calendar.feed"))));
  }
  if (me) body.append(h("p", null, h("a", { href: "/my-registrations.html#feed" }, t("activity.private_feed"))));
}

// ---- The page --------------------------------------------------------------

function render(a) {
  activity = a;
  document.title = t("title.pattern", { page: a.title });
  // Shared links and search engines describe the activity, not the page.
  const metaDescription = document.querySelector('meta[name="description"]');
  if (metaDescription && a.summary) metaDescription.setAttribute("content", a.summary.slice(0, 300));
  byId("title").textContent = a.title;
  clear(byId("badges")).append(h("span", { class: "chip kind" }, kindLabel(a.kind)), ...badges(a));
  const summary = byId("summary");
  summary.textContent = a.summary || "";
  summary.hidden = !a.summary;
  renderFacts(a);
  renderRegistration(a);
  const description = byId("description");
  description.textContent = a.description || "";
  byId("about").hidden = !a.description;
  renderCalendar(a);
  if (isStaff(me)) {
    byId("staff-edit").href = `/staff/activity.html?id=${a.id}`;
    byId("staff-registrations").href = `/staff/registrations.html?id=${a.id}`;
    byId("staff-tools").hidden = false;
  }
  byId("loading").hidden = true;
  byId("activity").hidden = false;
}

async function refresh() {
  clearNotice(result);
  clearNotice(byId("confirmation"));
  const r = await load();
  if (r.ok && r.data) render(r.data);
  else notice(result, "bad", errorMessage(r));
}

const first = await load();
if (first.ok && first.data) render(first.data);
else notFound(first);
