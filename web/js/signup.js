// signup.js - creating an account; a verification email follows.
import { api, queryParam } from "./api.js";
import { byId } from "./dom.js";
import { focusNotice, notice, submit, value } from "./form.js";
import { t } from "./i18n.js";
import { fillLanguages } from "./languages.js";
import { initPage } from "./layout.js";
import { fillCountries, setupOrgPicker } from "./orgpicker.js";
import { rememberReturn, safeNext } from "./url.js";

await initPage();
const form = byId("signup-form");
const result = byId("result");
fillLanguages(form.elements.locale, null);
fillCountries(byId("countries"));

// Coming from a page (?next=, such as an activity to register for): the
// log-in link leads back there.
const next = queryParam("next");
if (next && safeNext(next, location.origin) !== "/index.html") {
  byId("login-link").href = `/login.html?next=${encodeURIComponent(safeNext(next, location.origin))}`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    email: value(form, "email"),
    password: form.elements.password.value,
    name: value(form, "name"),
    locale: form.elements.locale.value,
  };
  for (const k of ["position", "country"]) {
    if (value(form, k)) body[k] = value(form, k);
  }
  const org = form.elements.organisation_id.value;
  if (org) body.organisation_id = Number(org);
  // The confirmation link in the mail leads back there too, in any browser
  // (paths of the form the server takes: "/", then URL characters).
  const back = next ? safeNext(next, location.origin) : "/index.html";
  if (back !== "/index.html" && /^\/(?!\/)[A-Za-z0-9\-._~\/?=&%#]{0,299}$/.test(back)) body.next = back;
  await submit(form, result, () => api("POST", "/api/auth/signup", body), () => {
    form.hidden = true;
    // The activity sign-up started from: offered again after confirming.
    if (next) rememberReturn(next, location.origin);
    notice(result, "ok", t("signup.done", { email: body.email }));
    focusNotice(result);
  });
});

// After the handler: Enter in a field never posts the form natively.
await setupOrgPicker({
  search: byId("org-search"),
  select: byId("organisation"),
  count: byId("org-count"),
  country: byId("country"),
});
