// home.js - the home page (to become the activity calendar).
import { initPage } from "./layout.js";

const { me } = await initPage();
// Logged in: the sign-up and log-in links are of no use.
if (me) {
  for (const a of document.querySelectorAll('#home-links a[href="/signup.html"], #home-links a[href="/login.html"]')) {
    a.closest("li").hidden = true;
  }
}
