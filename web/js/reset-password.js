// reset-password.js - sets a new password with the token from the email.
import { api, queryParam } from "./api.js";
import { byId } from "./dom.js";
import { notice, submit } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";

await initPage();
const form = byId("reset-form");
const result = byId("result");
const token = queryParam("token");

if (!token) {
  form.hidden = true;
  notice(result, "bad", t("error.link_incomplete"));
  byId("again").hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const r = await submit(form, result, () => api("POST", "/api/auth/password/reset", {
    token,
    password: form.elements.password.value,
  }), () => {
    form.hidden = true;
    notice(result, "ok", t("reset.done"));
    byId("next").hidden = false;
  });
  if (r.status === 400) byId("again").hidden = false;
});
