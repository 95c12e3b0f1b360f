// activity-info.js - how an activity of the calendar reads for people: its
// kind, dates (the calendar's own wording, such as "January – March" or
// "Q3", kept as written), place, seats, and a badge saying whether one can
// register now (the server's availability); registration statuses. Shared by the
// calendar, the activity page, "My registrations" and the staff pages.
import { h } from "./dom.js";
import { formatDateRange, formatNumber, t, tn } from "./i18n.js";
import { activityTimeText, formatInstant } from "./time.js";

export const KINDS = [
  "online_course", "masterclass", "training_programme", "benchmarking_programme", "workshop",
  "study_visit", "meeting", "forum", "congress", "conference", "committee_meeting",
  "awards_ceremony", "service",
];
export const MODES = ["open", "approval", "invitation", "external"];
export const SECTIONS = ["citynet", "partner"];
export const ENROLMENT_STATUSES = ["pending_approval", "confirmed", "waitlisted", "attended", "rejected", "cancelled"];

// Registrations that still hold (or wait for) a place and can be cancelled.
export const ACTIVE = ["pending_approval", "confirmed", "waitlisted"];

export function kindLabel(kind) {
  return KINDS.includes(kind) ? t(`kind.${kind}`) : String(kind || "");
}

// Fills a <select> with the kinds of activity, after its existing options.
export function kindOptions(select) {
  for (const k of KINDS) select.append(h("option", { value: k }, kindLabel(k)));
}

function year(day) {
  return /^\d{4}/.test(String(day || "")) ? String(day).slice(0, 4) : "";
}

// The dates as nodes: the label as the calendar writes it, followed by the
// year when the label has none ("January – March" 2023); else the dates;
// else "dates to be announced".
export function dateNodes(a) {
  if (a.date_label) {
    const y = /\b\d{4}\b/.test(a.date_label) ? "" : year(a.period_start || a.starts_on);
    return [h("span", { class: "date-label" }, a.date_label), y ? h("span", { class: "year" }, ` ${y}`) : null,
      isApproximate(a) ? h("span", { class: "approximate" }, ` ${t("activity.approximate")}`) : null];
  }
  if (a.starts_on) return [formatDateRange(a.starts_on, a.ends_on)];
  return [h("span", { class: "muted" }, t("activity.dates_tba"))];
}

// Approximate dates: a label for a period ("Q3", "May – November", "On a
// Rolling Basis") without the exact days.
export function isApproximate(a) {
  return Boolean(a.date_label && !a.starts_on && a.period_start);
}

// The same as plain text (for table cells and labels).
export function dateText(a) {
  return dateNodes(a).map((n) => (typeof n === "string" ? n : n ? n.textContent : "")).join("").trim();
}

// The exact dates, when the label is not already them ("24 April – 12 May 2023").
export function exactDates(a) {
  return a.starts_on ? formatDateRange(a.starts_on, a.ends_on) : "";
}

// "09:00–12:30 Bangkok time (UTC+7)", or "" without times (time.js).
export const timeText = activityTimeText;

export function placeText(a) {
  const where = [a.city, a.country].filter(Boolean).join(", ");
  if (a.online && where) return t("activity.online_and_place", { place: where });
  if (a.online) return t("activity.online");
  return where || t("activity.place_tba");
}

// Seats for activities one registers for here; null when it does not apply
// (invitation only, partner events, cancelled) or there is no limit.
export function seatsText(a) {
  if (a.status === "cancelled" || a.mode === "invitation" || a.mode === "external") return null;
  if (["ended", "closed", "not_yet_open"].includes(a.availability)) return null;
  if (a.capacity === null || a.capacity === undefined || a.seats_left === null || a.seats_left === undefined) {
    return null;
  }
  if (a.seats_left <= 0) return t("activity.full");
  return tn("activity.seats_left", a.seats_left, { capacity: formatNumber(a.capacity) });
}

// How one takes part: "Open", "Needs approval", "Invitation only",
// "Partner event" or "External registration".
export function modeLabel(a) {
  if (a.mode === "external") return t(a.section === "partner" ? "mode.partner" : "mode.external");
  return MODES.includes(a.mode) ? t(`mode.${a.mode}`) : String(a.mode || "");
}

// Whether one can register now, as the server computes it
// (ActivityItem.availability in docs/openapi.yaml).
export const AVAILABILITY = [
  "open", "few_seats", "waiting_list", "approval", "invitation", "external", "not_yet_open",
  "closed", "ended", "cancelled",
];

export function availabilityLabel(a) {
  if (a.availability === "external" && a.section === "partner") return t("availability.partner");
  return AVAILABILITY.includes(a.availability) ? t(`availability.${a.availability}`) : modeLabel(a);
}

// Badges: whether one can register now (open, few seats left, waiting
// list, needs approval, by invitation, closed, ended, cancelled), and
// "Draft" for staff.
export function badges(a) {
  const kind = AVAILABILITY.includes(a.availability) ? `avail-${a.availability}` : `mode-${a.mode}`;
  const out = [h("span", { class: `badge ${kind}` }, availabilityLabel(a))];
  if (a.status === "cancelled" && !AVAILABILITY.includes(a.availability)) {
    out.unshift(h("span", { class: "badge status-cancelled" }, t("status.cancelled")));
  }
  if (a.status === "draft") out.unshift(h("span", { class: "badge status-draft" }, t("status.draft")));
  return out;
}

// True when the activity has ended (the server's ends_at has passed).
export function hasEnded(a, now = Date.now()) {
  if (a.availability === "ended") return true;
  const end = a.ends_at ? Date.parse(a.ends_at) : NaN;
  return !Number.isNaN(end) && end <= now;
}

// A registration's status as a chip, with the waiting-list position.
export function enrolmentChip(e) {
  const label = ENROLMENT_STATUSES.includes(e.status) ? t(`enrolment.${e.status}`) : e.status;
  return h("span", { class: `chip enrolment-${e.status}` }, label);
}

export function enrolmentText(e) {
  const label = ENROLMENT_STATUSES.includes(e.status) ? t(`enrolment.${e.status}`) : e.status;
  if (e.status === "waitlisted" && e.waitlist_position) {
    return t("enrolment.with_position", { status: label, position: formatNumber(e.waitlist_position) });
  }
  return label;
}

// Registration opens later or has closed: a sentence, else null.
export function registrationWindow(a, now = Date.now()) {
  const opens = a.registration_opens_at ? Date.parse(a.registration_opens_at) : NaN;
  // registration_ends_at: the staff closing time, else the start.
  const ends = a.registration_ends_at || a.registration_closes_at;
  const closes = ends ? Date.parse(ends) : NaN;
  if (hasEnded(a, now)) return t("register.ended");
  if (!Number.isNaN(opens) && opens > now) return t("register.opens_later", { when: formatInstant(a.registration_opens_at, a.timezone) });
  if (!Number.isNaN(closes) && closes <= now) return t("register.closed", { when: formatInstant(ends, a.timezone) });
  return null;
}

// The link to an activity's page.
export function activityHref(a) {
  return `/activity.html?id=${encodeURIComponent(a.id)}`;
}

// A link out to a partner's website: same tab, no window.opener.
// null when the activity has no (http or https) address.
export function externalLink(a, text) {
  if (!a.external_url || !/^https?:\/\//i.test(a.external_url)) return null;
  return h("a", { href: a.external_url, rel: "noopener external", class: "external" }, text);
}
