// staff-certificates.js - certificates of attendance for staff: the
// network's layout (colours, signatory, a line of text, the logo) with a
// preview image of a certificate drawn with it, and, with ?id=, one
// activity's switch, issuing to everyone marked attended, and the issued
// certificates with revoke and reinstate.
import { api, errorMessage, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { notice, clearNotice, setBusy, submit, value } from "./form.js";
import { formatDate, formatNumber, t, tn } from "./i18n.js";
import { initPage } from "./layout.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });

const layoutForm = byId("layout-form");
const layoutResult = byId("layout-result");
const logoForm = byId("logo-form");
const logoResult = byId("logo-result");
const preview = byId("preview");

// ---- The layout and its preview ----

function refreshPreview() {
  // A new address each time: the browser must not show the old image.
  preview.src = `/api/certificates/preview.png?v=${Date.now()}`;
}

function showLayout(l) {
  layoutForm.elements.primary_colour.value = l.primary_colour.toLowerCase();
  layoutForm.elements.accent_colour.value = l.accent_colour.toLowerCase();
  layoutForm.elements.signatory_name.value = l.signatory_name || "";
  layoutForm.elements.signatory_title.value = l.signatory_title || "";
  layoutForm.elements.text.value = l.text || "";
  byId("logo-state").textContent = l.logo
    ? t("cert.logo_present", { type: l.logo.content_type === "image/png" ? "PNG" : "SVG", size: formatNumber(Math.ceil(l.logo.size / 1024)) })
    : t("cert.logo_none");
  byId("logo-remove").hidden = !l.logo;
  refreshPreview();
}

preview.alt = t("cert.preview_alt");
const layout = await api("GET", "/api/certificates/layout");
if (layout.ok) showLayout(layout.data);
else notice(layoutResult, "bad", errorMessage(layout));

layoutForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    primary_colour: value(layoutForm, "primary_colour"),
    accent_colour: value(layoutForm, "accent_colour"),
    signatory_name: value(layoutForm, "signatory_name") || null,
    signatory_title: value(layoutForm, "signatory_title") || null,
    text: value(layoutForm, "text") || null,
  };
  await submit(layoutForm, layoutResult, () => api("PUT", "/api/certificates/layout", body), (r) => {
    showLayout(r.data);
    notice(layoutResult, "ok", t("cert.saved"));
  });
});

async function sendLogo(file) {
  const fd = new FormData();
  fd.append("file", file, file.name);
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem("convene.csrf");
  if (token) headers["X-CSRF-Token"] = token;
  try {
    const res = await fetch("/api/certificates/layout/logo", { method: "PUT", body: fd, headers, credentials: "same-origin" });
    const type = res.headers.get("Content-Type") || "";
    return { ok: res.ok, status: res.status, headers: res.headers, data: type.startsWith("application/json") ? await res.json() : null };
  } catch (e) {
    return { ok: false, status: 0, data: { error: { code: "network", message: t("error.network") } } };
  }
}

logoForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = logoForm.elements.file.files[0];
  if (!file) {
    notice(logoResult, "bad", t("cert.logo_choose"));
    logoForm.elements.file.focus();
    return;
  }
  await submit(logoForm, logoResult, () => sendLogo(file), (r) => {
    showLayout(r.data);
    logoForm.reset();
    notice(logoResult, "ok", t("cert.logo_saved"));
  });
});

byId("logo-remove").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  clearNotice(logoResult);
  setBusy(button, true);
  const r = await api("DELETE", "/api/certificates/layout/logo");
  setBusy(button, false);
  if (!r.ok) {
    notice(logoResult, "bad", errorMessage(r));
    return;
  }
  showLayout(r.data);
  notice(logoResult, "ok", t("cert.logo_removed"));
  logoForm.elements.file.focus();
});

// ---- One activity ----

const id = queryParam("id");
const activityBox = byId("activity-box");
const activityResult = byId("activity-result");

function showSettings(s) {
  byId("cert-enabled").checked = s.enabled;
  byId("issue").disabled = !s.enabled;
  byId("cert-counts").textContent = t("cert.counts", {
    attended: formatNumber(s.attended), issued: formatNumber(s.issued), pending: formatNumber(s.pending),
  });
}

function certificateRow(c) {
  const button = h("button", {
    type: "button",
    class: "secondary",
    "aria-label": t(c.revoked ? "cert.reinstate_of" : "cert.revoke_of", { number: c.number, name: c.participant_name }),
  }, t(c.revoked ? "cert.reinstate" : "cert.revoke"));
  button.addEventListener("click", async () => {
    clearNotice(activityResult);
    setBusy(button, true);
    const r = await api(c.revoked ? "DELETE" : "POST", `/api/certificates/${c.code}/revocation`);
    setBusy(button, false);
    if (!r.ok) {
      notice(activityResult, "bad", errorMessage(r));
      return;
    }
    notice(activityResult, "ok", t(r.data.revoked ? "cert.revoked_done" : "cert.reinstated_done", { number: c.number }));
    await loadActivity();
  });
  return h("tr", null,
    h("td", null, h("a", { href: `/certificates/verify.html?code=${c.code}` }, c.number)),
    h("td", null, c.participant_name),
    h("td", null, formatDate(c.issued_on)),
    h("td", null, t(c.revoked ? "cert.state_revoked" : "cert.state_valid")),
    h("td", null, button));
}

async function loadActivity() {
  const [s, list] = await Promise.all([
    api("GET", `/api/activities/${id}/certificate-settings`),
    api("GET", `/api/activities/${id}/certificates`),
  ]);
  if (!s.ok || !list.ok) {
    notice(activityResult, "bad", errorMessage(s.ok ? list : s));
    return;
  }
  showSettings(s.data);
  const items = list.data.items;
  const body = clear(byId("issued-body"));
  for (const c of items) body.append(certificateRow(c));
  byId("issued-table").hidden = items.length === 0;
  byId("issued-empty").hidden = items.length > 0;
}

if (id && /^\d{1,18}$/.test(id)) {
  const a = await api("GET", `/api/activities/${id}`);
  if (a.ok) {
    activityBox.hidden = false;
    byId("activity-name").textContent = a.data.title;
    byId("heading").textContent = t("cert.heading_of", { title: a.data.title });
    document.title = t("title.staff_certificates_of", { title: a.data.title });
    const back = byId("back-link");
    back.href = `/staff/activity.html?id=${id}`;
    back.textContent = t("cert.back_to_activity");
    await loadActivity();
  } else {
    activityBox.hidden = false;
    notice(activityResult, "bad", errorMessage(a));
  }
}

byId("cert-enabled").addEventListener("change", async (event) => {
  const box = event.currentTarget;
  clearNotice(activityResult);
  const r = await api("PUT", `/api/activities/${id}/certificate-settings`, { enabled: box.checked });
  if (!r.ok) {
    box.checked = !box.checked;
    notice(activityResult, "bad", errorMessage(r));
    return;
  }
  showSettings(r.data);
  notice(activityResult, "ok", t(r.data.enabled ? "cert.switched_on" : "cert.switched_off"));
});

byId("issue").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  clearNotice(activityResult);
  setBusy(button, true);
  const r = await api("POST", `/api/activities/${id}/certificates`);
  setBusy(button, false);
  if (!r.ok) {
    notice(activityResult, "bad", errorMessage(r));
    return;
  }
  notice(activityResult, "ok", tn("cert.issued_now", r.data.issued, { count: formatNumber(r.data.issued) }));
  await loadActivity();
});
