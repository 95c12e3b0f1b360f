// resend-verification.js - asks for a new confirmation link; the answer is
// the same whether or not the address has an account.
import { api } from "./api.js";
import { byId } from "./dom.js";
import { notice, submit, value } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";

const { me } = await initPage();
const form = byId("resend-form");
const result = byId("result");
if (me) form.elements.email.value = me.email;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await submit(form, result, () => api("POST", "/api/auth/verify/resend", { email: value(form, "email") }), () => {
    form.hidden = true;
    notice(result, "ok", t("resend.done"));
  });
});
