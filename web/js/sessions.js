// sessions.js - the account's active sessions (GET /api/me/sessions), each
// of which can be ended (DELETE /api/me/sessions/{id}) after confirming.
import { api, errorMessage } from "./api.js";
import { byId, h } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { focusNotice, notice, setBusy } from "./form.js";
import { formatDateTime, t } from "./i18n.js";
import { initPage, setFlash } from "./layout.js";
import { DataTable } from "./table.js";

await initPage({ auth: "required" });
const result = byId("result");

// "Firefox on Windows" from a User-Agent header; product names stay as they are.
function device(ua) {
  if (!ua) return t("sessions.unknown_device");
  const browsers = [
    [/Edg\//, "Edge"], [/OPR\//, "Opera"], [/SamsungBrowser\//, "Samsung Internet"],
    [/Firefox\//, "Firefox"], [/Chrom(e|ium)\//, "Chrome"], [/Safari\//, "Safari"],
    [/curl\//, "curl"],
  ];
  const systems = [
    [/Windows/, "Windows"], [/Android/, "Android"], [/iPhone|iPad|iPod/, "iOS"],
    [/Mac OS X|Macintosh/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"],
  ];
  const b = browsers.find(([re]) => re.test(ua));
  const s = systems.find(([re]) => re.test(ua));
  if (b && s) return t("sessions.device", { browser: b[1], system: s[1] });
  if (b) return b[1];
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

function actionCell(s) {
  if (s.current) {
    return h("span", { class: "chip current" }, t("sessions.this_device"));
  }
  const button = h("button", { type: "button", class: "danger small" }, t("sessions.end"));
  button.setAttribute("aria-label", t("sessions.end_label", { device: device(s.user_agent), when: formatDateTime(s.last_seen_at) }));
  button.addEventListener("click", () => endSession(s, button));
  return button;
}

const table = new DataTable(byId("sessions"), {
  caption: t("sessions.caption"),
  perPage: 1000,
  empty: t("sessions.empty"),
  columns: [
    { label: t("sessions.col.device"), cell: (s) => device(s.user_agent) },
    { label: t("sessions.col.ip"), cell: (s) => s.ip || "" },
    { label: t("sessions.col.created"), cell: (s) => formatDateTime(s.created_at), className: "date" },
    { label: t("sessions.col.last_seen"), cell: (s) => formatDateTime(s.last_seen_at), className: "date" },
    { label: t("sessions.col.expires"), cell: (s) => formatDateTime(s.expires_at), className: "date" },
    { label: t("sessions.col.action"), cell: actionCell, className: "actions-cell" },
  ],
  load: async () => {
    const r = await api("GET", "/api/me/sessions");
    if (r.ok && r.data) r.data.total = r.data.items.length;
    return r;
  },
});
await table.show(1);

async function endSession(s, button) {
  const ok = await confirmDialog({
    title: t("sessions.confirm_title"),
    text: t("sessions.confirm_text", { device: device(s.user_agent), when: formatDateTime(s.last_seen_at) }),
    confirmLabel: t("sessions.end"),
  });
  if (!ok) return;
  setBusy(button, true);
  const r = await api("DELETE", `/api/me/sessions/${encodeURIComponent(s.id)}`);
  if (r.status === 401) {
    setFlash("info", "flash.session_ended");
    location.assign("/login.html");
    return;
  }
  setBusy(button, false);
  if (r.ok || r.status === 404) {
    notice(result, "ok", t("sessions.ended"));
    await table.show(1);
    focusNotice(result);
  } else {
    notice(result, "bad", errorMessage(r));
  }
}
