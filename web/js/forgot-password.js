// forgot-password.js - asks for a reset link; the answer is the same
// whether or not the address has an account.
import { api, errorMessage, notice, showFieldErrors } from "./api.js";

const form = document.getElementById("form");
const result = document.getElementById("result");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  const r = await api("POST", "/api/auth/password/forgot", { email: form.email.value });
  button.disabled = false;
  if (r.ok) {
    form.hidden = true;
    notice(result, "ok", r.data.message);
  } else if (!showFieldErrors(form, r)) {
    notice(result, "bad", errorMessage(r));
  }
});
