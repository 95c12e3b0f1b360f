// time.js - every time of day people read or enter, with its zone: an
// activity's times in the activity's zone ("09:00–17:00 Bangkok time
// (UTC+7)") with the viewer's own time beside them when their zone differs,
// moments such as "Registered on ..." with the zone they are shown in, and
// the staff's datetime-local fields read and written in the activity's zone.
// Shared by the calendar, the activity page, "My registrations" and the
// staff pages.
import { h } from "./dom.js";
import { language, t } from "./i18n.js";

function dateLocale() {
  const lang = language();
  return lang === "en" ? "en-GB" : lang;
}

// The viewer's own zone (the browser's), such as "Europe/London".
export function viewerZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (e) {
    return "UTC";
  }
}

function validZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch (e) {
    return false;
  }
}

// The zone's offset from UTC at the moment `date`, in minutes (east positive).
export function zoneOffset(zone, date) {
  const parts = {};
  try {
    const f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    for (const p of f.formatToParts(date)) parts[p.type] = Number(p.value);
  } catch (e) {
    return 0;
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

// "UTC+7", "UTC+5:30", "UTC-3", "UTC".
export function offsetText(minutes) {
  if (!minutes) return "UTC";
  const sign = minutes > 0 ? "+" : "-";
  const m = Math.abs(minutes);
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  return `UTC${sign}${hours}${rest ? `:${String(rest).padStart(2, "0")}` : ""}`;
}

// The zone's place ("Asia/Ho_Chi_Minh" -> "Ho Chi Minh").
function placeOf(zone) {
  const last = String(zone).split("/").pop();
  return last.replace(/_/g, " ");
}

// "Bangkok time (UTC+7)" for the zone at the moment `date`.
export function zoneLabel(zone, date = new Date()) {
  if (!validZone(zone)) return String(zone || "");
  const offset = offsetText(zoneOffset(zone, date));
  if (zone === "UTC" || zone === "Etc/UTC") return "UTC";
  return t("time.zone", { place: placeOf(zone), offset });
}

function dateTimeFormat(zone) {
  try {
    return new Intl.DateTimeFormat(dateLocale(), { dateStyle: "medium", timeStyle: "short", timeZone: zone });
  } catch (e) {
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  }
}

function hhmm(minutes) {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

// A moment (ISO 8601 from the API) as text in `zone` (default: the
// viewer's), followed by that zone: "24 Apr 2023, 09:00 Bangkok time (UTC+7)".
export function formatInstant(iso, zone = viewerZone()) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const z = validZone(zone) ? zone : "UTC";
  return t("time.at_zone", { when: dateTimeFormat(z).format(d), zone: zoneLabel(z, d) });
}

// Two zones show different clocks at the moment `date`.
function differ(zone, other, date) {
  return validZone(zone) && validZone(other) && zoneOffset(zone, date) !== zoneOffset(other, date);
}

// A moment in the activity's zone, with the viewer's own time beside it
// when their zone differs, as nodes.
export function instantNodes(iso, zone) {
  const d = new Date(iso);
  const here = viewerZone();
  const out = [formatInstant(iso, validZone(zone) ? zone : here)];
  if (!Number.isNaN(d.getTime()) && differ(zone, here, d)) {
    out.push(" ", h("span", { class: "your-time" }, t("time.yours", { when: formatInstant(iso, here) })));
  }
  return out;
}

// The moment of the day `day` ("2023-04-24") at `time` ("09:00") in `zone`.
function wallToDate(day, time, zone) {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  const tm = /^(\d{1,2}):(\d{2})/.exec(String(time || ""));
  if (!dm || !tm) return null;
  const guess = Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), Number(tm[1]), Number(tm[2]));
  // Twice: the offset at the guess may differ from the one at the result.
  let at = guess - zoneOffset(zone, new Date(guess)) * 60000;
  at = guess - zoneOffset(zone, new Date(at)) * 60000;
  return new Date(at);
}

// An activity's times of day: "09:00–17:00 Bangkok time (UTC+7)", or "".
export function activityTimeText(a) {
  if (!a.start_time) return "";
  const start = a.start_time.slice(0, 5);
  const end = a.end_time ? a.end_time.slice(0, 5) : "";
  const range = end && end !== start ? t("activity.time_range", { start, end }) : start;
  if (!validZone(a.timezone)) return range;
  const at = a.starts_on ? wallToDate(a.starts_on, start, a.timezone) : new Date();
  return t("time.at_zone", { when: range, zone: zoneLabel(a.timezone, at || new Date()) });
}

// The viewer's own times for them ("03:00–11:00 London time (UTC+1)") when
// their zone differs from the activity's on its first day; else "".
export function viewerTimeText(a) {
  if (!a.start_time || !a.starts_on || !validZone(a.timezone)) return "";
  const here = viewerZone();
  const start = wallToDate(a.starts_on, a.start_time.slice(0, 5), a.timezone);
  if (!start || !differ(a.timezone, here, start)) return "";
  const local = (d) => hhmm(d.getTime() / 60000 + zoneOffset(here, d));
  let range = local(start);
  if (a.end_time && a.end_time.slice(0, 5) !== a.start_time.slice(0, 5)) {
    const end = wallToDate(a.starts_on, a.end_time.slice(0, 5), a.timezone);
    if (end) range = t("activity.time_range", { start: range, end: local(end) });
  }
  return t("time.yours", { when: t("time.at_zone", { when: range, zone: zoneLabel(here, start) }) });
}

// An activity's times as nodes: its own, then the viewer's when different.
export function activityTimeNodes(a) {
  const own = activityTimeText(a);
  if (!own) return [];
  const yours = viewerTimeText(a);
  return yours ? [own, " ", h("span", { class: "your-time" }, yours)] : [own];
}

// ---- datetime-local fields in a given zone ---------------------------------

// The value of a datetime-local field ("2023-04-24T09:00") showing the
// moment `iso` in `zone`.
export function toZoneInput(iso, zone) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const z = validZone(zone) ? zone : viewerZone();
  const local = new Date(d.getTime() + zoneOffset(z, d) * 60000);
  return local.toISOString().slice(0, 16);
}

// The moment (ISO 8601, UTC) a datetime-local value means in `zone`;
// the value itself when it is not one.
export function fromZoneInput(v, zone) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(String(v || ""));
  if (!m) return v;
  const z = validZone(zone) ? zone : viewerZone();
  const d = wallToDate(m[1], m[2], z);
  return d ? d.toISOString() : v;
}

export { validZone };
