// forgot-password.js - asks for a reset link; the answer is the same
// whether or not the address has an account.
import { api } from "./api.js";
import { byId } from "./dom.js";
import { notice, submit, value } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";

await initPage();
const form = byId("forgot-form");
const result = byId("result");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await submit(form, result, () => api("POST", "/api/auth/password/forgot", { email: value(form, "email") }), () => {
    form.hidden = true;
    notice(result, "ok", t("forgot.done"));
  });
});
