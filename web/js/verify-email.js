// verify-email.js - confirms an email address with a POST (mail scanners
// that open the link with GET confirm nothing).
import { api, errorMessage, notice, queryParam } from "./api.js";

const button = document.getElementById("confirm");
const result = document.getElementById("result");
const token = queryParam("token");

if (!token) {
  button.hidden = true;
  notice(result, "bad", "This link is incomplete. Open the link from the email again.");
}

button.addEventListener("click", async () => {
  button.disabled = true;
  const r = await api("POST", "/api/auth/verify", { token });
  button.disabled = false;
  if (r.ok) {
    button.hidden = true;
    notice(result, "ok", "Thank you, your email address is confirmed. You can now log in.");
  } else {
    notice(result, "bad", errorMessage(r));
  }
});
