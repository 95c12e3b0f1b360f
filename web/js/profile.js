// profile.js - the account's own details (PATCH /api/me) and password
// (POST /api/me/password).
import { api, errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { notice, setBusy, submit, value } from "./form.js";
import { t } from "./i18n.js";
import { fillLanguages } from "./languages.js";
import { initPage, setFlash } from "./layout.js";
import { fillCountries, setupOrgPicker } from "./orgpicker.js";
import { roleChips } from "./roles.js";

let { me } = await initPage({ auth: "required" });

const form = byId("profile-form");
const pwForm = byId("password-form");

function showSummary() {
  byId("summary-name").textContent = me.name;
  byId("summary-email").textContent = me.email;
  const org = me.organisation;
  const orgCell = clear(byId("summary-org"));
  if (org) {
    // Self-declared until the Secretariat confirms it; a change clears it.
    const confirmed = me.organisation_confirmed === true;
    orgCell.append(org.name, " ",
      h("span", { class: confirmed ? "chip org-confirmed" : "chip org-unconfirmed" },
        t(confirmed ? "profile.org_confirmed" : "profile.org_unconfirmed")));
  } else {
    orgCell.textContent = t("profile.none");
  }
  byId("summary-position").textContent = me.position || t("profile.none");
  byId("summary-country").textContent = me.country || t("profile.none");
  clear(byId("summary-roles")).append(...roleChips(me.roles));
  byId("verify-box").hidden = me.email_verified !== false;
}

function fillForm() {
  form.elements.name.value = me.name || "";
  form.elements.position.value = me.position || "";
  form.elements.country.value = me.country || "";
  fillLanguages(form.elements.locale, me.locale);
  pwForm.elements.username.value = me.email;
}

let picker = null;
showSummary();
fillForm();
byId("loading").hidden = true;
for (const id of ["summary", "edit", "password-box"]) byId(id).hidden = false;


byId("resend").addEventListener("click", async () => {
  const button = byId("resend");
  setBusy(button, true, "form.sending");
  const r = await api("POST", "/api/auth/verify/resend", { email: me.email });
  setBusy(button, false);
  notice(byId("resend-result"), r.ok ? "ok" : "bad", r.ok ? t("resend.done") : errorMessage(r));
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = byId("profile-result");
  const body = {
    name: value(form, "name"),
    position: value(form, "position"),
    country: value(form, "country"),
    locale: form.elements.locale.value,
  };
  const org = form.elements.organisation_id.value;
  if (org) body.organisation_id = Number(org);
  const oldLocale = me.locale;
  await submit(form, result, () => api("PATCH", "/api/me", body), (r) => {
    me = { ...me, ...r.data };
    if (me.locale !== oldLocale) {
      // The page's language follows the account: show it again in the new one.
      setFlash("ok", "profile.saved");
      location.reload();
      return;
    }
    showSummary();
    if (picker) picker.setValue(me.organisation ? me.organisation.id : "");
    if (!org && me.organisation) {
      notice(result, "info", t("profile.saved_org_kept"));
    } else {
      notice(result, "ok", t("profile.saved"));
    }
  });
});

pwForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = byId("password-result");
  await submit(pwForm, result, () => api("POST", "/api/me/password", {
    current_password: pwForm.elements.current_password.value,
    new_password: pwForm.elements.new_password.value,
  }), () => {
    pwForm.elements.current_password.value = "";
    pwForm.elements.new_password.value = "";
    notice(result, "ok", t("profile.password_done"));
  });
});

// After the handlers: Enter in a field never posts the form natively.
fillCountries(byId("countries"));
picker = await setupOrgPicker({
  search: byId("org-search"),
  select: byId("organisation"),
  count: byId("org-count"),
  country: byId("country"),
});
picker.setValue(me.organisation ? me.organisation.id : "");
