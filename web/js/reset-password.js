// reset-password.js - sets a new password with the token from the email.
import { api, errorMessage, notice, queryParam, showFieldErrors } from "./api.js";

const form = document.getElementById("form");
const result = document.getElementById("result");
const token = queryParam("token");

if (!token) {
  form.hidden = true;
  notice(result, "bad", "This link is incomplete. Open the link from the email again.");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  const r = await api("POST", "/api/auth/password/reset", { token, password: form.password.value });
  button.disabled = false;
  if (r.ok) {
    form.hidden = true;
    notice(result, "ok", "Your password is changed and your other sessions were ended. You can log in now.");
  } else if (!showFieldErrors(form, r)) {
    notice(result, "bad", errorMessage(r));
  }
});
