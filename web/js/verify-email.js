// verify-email.js - confirms an email address with a POST (mail scanners
// that open the link with GET confirm nothing).
import { api, errorMessage, queryParam } from "./api.js";
import { byId } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";

const { me } = await initPage();
const button = byId("confirm");
const result = byId("result");
const token = queryParam("token");

if (!token) {
  button.hidden = true;
  byId("verify-intro").hidden = true;
  notice(result, "bad", t("error.link_incomplete"));
  byId("again").hidden = false;
}

button.addEventListener("click", async () => {
  setBusy(button, true);
  const r = await api("POST", "/api/auth/verify", { token });
  setBusy(button, false);
  if (r.ok) {
    button.hidden = true;
    byId("verify-intro").hidden = true;
    notice(result, "ok", t(me ? "verify.done_logged_in" : "verify.done"));
    const link = byId("next-link");
    if (me) {
      link.href = "/profile.html";
      link.textContent = t("verify.profile_link");
    }
    byId("next").hidden = false;
    link.focus();
  } else {
    notice(result, "bad", errorMessage(r));
    if (r.status === 400) byId("again").hidden = false;
  }
});
