// verify-email.js - confirms an email address with a POST (mail scanners
// that open the link with GET confirm nothing).
import { api, errorMessage, queryParam } from "./api.js";
import { byId } from "./dom.js";
import { notice, setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { forgetReturn, returnPath } from "./url.js";

const { me } = await initPage();
const button = byId("confirm");
const result = byId("result");
const token = queryParam("token");
// Where the person started (an activity): ?next= or remembered at sign-up.
const back = returnPath(queryParam("next"), location.origin);

// "Back to <activity title>" (the page's own name when not an activity).
async function backLabel(path) {
  const m = /^\/activity\.html\?id=(\d+)/.exec(path);
  if (m) {
    const r = await api("GET", `/api/activities/${m[1]}`);
    if (r.ok && r.data && r.data.title) return r.data.title;
  }
  return null;
}

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
    const title = back ? await backLabel(back) : null;
    if (back) {
      // Back where they started: logged in straight there, else through
      // the log-in page, which returns there.
      link.href = me ? back : `/login.html?next=${encodeURIComponent(back)}`;
      link.textContent = title
        ? t(me ? "verify.back_to" : "verify.login_back_to", { title })
        : t(me ? "verify.back" : "verify.login_back");
      forgetReturn();
    } else if (me) {
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
