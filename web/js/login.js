// login.js - logging in, then on to ?next= (a path on this site) or the
// calendar. An account whose address is not confirmed yet is offered a new
// confirmation link first.
import { api, errorMessage, queryParam, setCsrf } from "./api.js";
import { byId } from "./dom.js";
import { notice, setBusy, submit, value } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { safeNext } from "./url.js";

await initPage();
const form = byId("login-form");
const result = byId("result");
const target = safeNext(queryParam("next"), location.origin);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = value(form, "email");
  await submit(form, result, () => api("POST", "/api/auth/login", {
    email,
    password: form.elements.password.value,
  }), (r) => {
    setCsrf(r.data.csrf_token);
    if (r.data.account && r.data.account.email_verified === false) {
      form.hidden = true;
      const box = byId("unverified");
      byId("continue").href = target;
      box.hidden = false;
      byId("resend").addEventListener("click", () => resend(email));
      byId("unverified-title").setAttribute("tabindex", "-1");
      byId("unverified-title").focus();
      return;
    }
    location.assign(target);
  });
});

async function resend(email) {
  const button = byId("resend");
  const out = byId("resend-result");
  setBusy(button, true, "form.sending");
  const r = await api("POST", "/api/auth/verify/resend", { email });
  setBusy(button, false);
  notice(out, r.ok ? "ok" : "bad", r.ok ? t("resend.done") : errorMessage(r));
}
