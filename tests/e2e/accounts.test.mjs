// accounts.test.mjs - the account pages in a real browser: sign-up with
// email confirmation, log-in, profile and sessions; forgotten password;
// the admin's accounts, roles, audit log and mail outbox. Every page seen
// is checked with axe-core; the main pages are also photographed at
// 1280x800 and 360x740 and checked for horizontal overflow at 360 px.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  allowApi, assertNoProblems, checkPage, env, lastMailId, launch, linkIn, logIn, newContext, settle, waitForMail,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// The participant who signs up in the first test (the admin test looks
// for them; it falls back to a seeded participant when that test failed).
const participant = {
  email: "kanchanaphorn@bangkok.example.org",
  // A long Thai name: it has to wrap on a phone, never overflow.
  name: "กาญจนาภรณ์ ศรีประเสริฐวัฒนากุล",
  password: "lotus river monsoon lantern 7",
  created: false,
};

test("a participant signs up, confirms the address, logs in and manages the profile and sessions", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();

  // The home page, logged out.
  await page.goto(`${env.base}/`);
  await checkPage(page, "home");
  await assert.doesNotReject(page.getByRole("link", { name: "Sign up" }).waitFor());
  assert.equal(await page.getByRole("button", { name: "Log out" }).count(), 0);

  // Sign up, choosing the organisation with the search.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign up" }).click();
  await page.waitForURL("**/signup.html");
  assert.equal(await page.title(), "Sign up · Convene");
  await settle(page);
  await page.getByLabel("Email address", { exact: true }).fill(participant.email);
  await page.getByLabel("Password", { exact: true }).fill(participant.password);
  await page.getByLabel("Full name").fill(participant.name);
  await page.getByLabel("Search by name, city or country").fill("bangkok");
  await assert.doesNotReject(page.getByText("2 organisations match.").waitFor());
  const org = page.getByLabel("Choose your organisation");
  assert.deepEqual(await org.locator("option").allTextContents(), [
    "None, or not in the list",
    "Bangkok Metropolitan Administration — Bangkok, Thailand",
    "UNESCAP — Bangkok, Thailand",
  ]);
  await org.selectOption({ label: "Bangkok Metropolitan Administration — Bangkok, Thailand" });
  assert.equal(await page.getByLabel(/^Country/).inputValue(), "Thailand", "the country follows the organisation");
  await page.getByLabel("Position").fill("Urban resilience officer");
  await checkPage(page, "signup");
  const mailBefore = await lastMailId();
  await page.getByRole("button", { name: "Create my account" }).click();
  await assert.doesNotReject(page.getByText(`We have sent a message to ${participant.email}`).waitFor());
  await checkPage(page, "signup-done", { shots: false });
  participant.created = true;

  // The confirmation link from the caught email.
  const mail = await waitForMail(participant.email, /confirm your email address/i, { after: mailBefore });
  assert.ok(mail.subject.includes(participant.name), "the subject carries the Thai name");
  const link = linkIn(mail, "verify-email.html");
  await page.goto(link);
  assert.equal(await page.title(), "Confirm your email address · Convene");
  await checkPage(page, "verify-email");
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await assert.doesNotReject(page.getByText("your email address is confirmed").waitFor());
  await checkPage(page, "verify-email-done", { shots: false });

  // The profile page needs a log-in, then comes back to it (?next=).
  await page.goto(`${env.base}/profile.html`);
  await page.waitForURL("**/login.html?next=%2Fprofile.html");
  assert.equal(await page.title(), "Log in · Convene");
  await checkPage(page, "login");
  await logIn(page, participant.email, participant.password);
  await page.waitForURL("**/profile.html");
  assert.equal(await page.title(), "Your profile · Convene");
  await settle(page);
  assert.equal(await page.locator("#summary-name").textContent(), participant.name);
  assert.match(await page.locator("#summary-org").textContent(), /Bangkok Metropolitan Administration/);
  await checkPage(page, "profile");

  // Edit the position; the summary and a reload show it.
  await page.getByLabel("Position").fill("Chief resilience officer");
  await page.getByRole("button", { name: "Save my details" }).click();
  await assert.doesNotReject(page.getByText("Your details are saved.").waitFor());
  assert.equal(await page.locator("#summary-position").textContent(), "Chief resilience officer");
  await page.reload();
  await settle(page);
  assert.equal(await page.getByLabel("Position").inputValue(), "Chief resilience officer");

  // A new password that is too short: the server's 422 field error is
  // shown next to the field and tied to it.
  allowApi(context, 422, "POST", /^\/api\/me\/password$/, "a new password that is too short, on purpose");
  await page.getByLabel("Current password").fill(participant.password);
  await page.getByLabel("New password").fill("too short");
  await page.getByRole("button", { name: "Change my password" }).click();
  const fieldError = page.locator('#password-form [data-error-for="new_password"]');
  await fieldError.waitFor({ state: "visible" });
  assert.match(await fieldError.textContent(), /at least 12 characters/i);
  const input = page.getByLabel("New password");
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  const errorId = await fieldError.getAttribute("id");
  assert.ok((await input.getAttribute("aria-describedby")).split(" ").includes(errorId),
    "the error is announced with the field");
  assert.ok(await fieldError.evaluate((el, id) => el.closest(".field").contains(document.getElementById(id)), "new_password"),
    "the error sits next to its field");
  // The summary at the top of the form has the focus and links to the field.
  const passwordSummary = page.locator("#password-form-error-summary");
  assert.equal(await page.evaluate(() => document.activeElement.id), "password-form-error-summary", "the summary has the focus");
  assert.match(await passwordSummary.getByRole("link").first().textContent(), /at least 12 characters/i);
  assert.equal(await page.title(), "Error: Your profile · Convene");
  await checkPage(page, "profile-password-error");

  // Another session (a second browser) shows up in the list and is ended.
  const other = await newContext(browser, { userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0" });
  const login = await other.request.post(`${env.base}/api/auth/login`, {
    data: { email: participant.email, password: participant.password },
  });
  assert.equal(login.status(), 200);
  assert.equal((await other.request.get(`${env.base}/api/me`)).status(), 200);

  await page.getByRole("navigation", { name: "Your account" }).getByRole("link", { name: "Sessions" }).click();
  await page.waitForURL("**/sessions.html");
  assert.equal(await page.title(), "Your sessions · Convene");
  await settle(page);
  const rows = page.locator("#sessions tbody tr");
  assert.equal(await rows.count(), 2);
  await assert.doesNotReject(page.getByText("Firefox on Windows").waitFor());
  await checkPage(page, "sessions");
  await page.getByRole("button", { name: /^End session: Firefox on Windows/ }).click();
  const dialog = page.getByRole("dialog", { name: "End this session?" });
  await dialog.waitFor();
  await checkPage(page, "sessions-confirm");
  await dialog.getByRole("button", { name: "End session" }).click();
  await assert.doesNotReject(page.getByText("The session is ended.").waitFor());
  await settle(page);
  assert.equal(await rows.count(), 1);
  assert.equal((await other.request.get(`${env.base}/api/me`)).status(), 401, "the other browser is logged out");
  await other.close();

  // Choosing another language: the pages load /i18n/<lang>.js; strings it
  // lacks stay English; a language with no dictionary reads in English.
  await page.goto(`${env.base}/profile.html`);
  await settle(page);
  await page.getByLabel("Language").selectOption("th");
  await page.getByRole("button", { name: "Save my details" }).click();
  await page.waitForLoadState("load");
  await settle(page);
  await assert.doesNotReject(page.getByText("Your details are saved.").waitFor());
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en", "no Thai dictionary: English");
  assert.equal(await page.getByLabel("Language").inputValue(), "th");
  // Only the dictionaries web/i18n/ ships are loaded (web/js/i18n.js
  // DICTIONARIES): Korean has none yet, so the page stays English.
  await page.getByLabel("Language").selectOption("ko");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Save my details" }).click()]);
  await assert.doesNotReject(page.getByText("Your details are saved.").waitFor());
  await settle(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en", "no Korean dictionary: English");
  assert.equal(await page.getByLabel("Language").inputValue(), "ko");
  await page.getByLabel("Language").selectOption("en");
  await page.getByRole("button", { name: "Save my details" }).click();
  await page.getByRole("heading", { name: "Your profile" }).waitFor();

  // Log out from the navigation.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL("**/login.html");
  await assert.doesNotReject(page.getByText("You are logged out.").waitFor());
  await assertNoProblems(context);
  await context.close();
});

test("form errors: a summary at the top linking to each field, the title says so, each field says what to do", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  allowApi(context, 422, "POST", /^\/api\/auth\/signup$/, "an empty sign-up form, on purpose");
  allowApi(context, 422, "POST", /^\/api\/auth\/login$/, "an empty log-in form, on purpose");
  allowApi(context, 422, "POST", /^\/api\/auth\/password\/forgot$/, "an empty forgotten-password form, on purpose");

  // Sign-up, sent empty.
  await page.goto(`${env.base}/signup.html`);
  await settle(page);
  await page.getByRole("button", { name: "Create my account" }).click();
  const summary = page.locator("#signup-form-error-summary");
  await summary.waitFor();
  assert.equal(await summary.getByRole("heading", { level: 2 }).textContent(), "There is a problem");
  assert.deepEqual(await summary.getByRole("link").allTextContents(),
    ["Enter your email address", "Enter a password", "Enter your full name"]);
  assert.equal(await page.title(), "Error: Sign up · Convene");
  assert.equal(await page.evaluate(() => document.activeElement.id), "signup-form-error-summary");
  // The summary comes before the form; nothing under the button repeats it.
  assert.ok(await summary.evaluate((el) => el.nextElementSibling && el.nextElementSibling.id === "signup-form"));
  assert.equal(await page.locator("#result").isVisible(), false);
  assert.equal(await page.locator('[data-error-for="email"]').textContent(), "Enter your email address");
  assert.equal(await page.locator('[data-error-for="name"]').textContent(), "Enter your full name");
  await checkPage(page, "signup-errors");
  await summary.getByRole("link", { name: "Enter your full name" }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), "name", "the link moves to its field");
  // A wrong address: the message says what to do; fixed fields drop out.
  await page.getByLabel("Email address", { exact: true }).fill("someone.example.org");
  await page.getByLabel("Full name").fill("Siti Rahma");
  await page.getByRole("button", { name: "Create my account" }).click();
  await summary.getByRole("link", { name: /right format/ }).waitFor();
  assert.deepEqual(await summary.getByRole("link").allTextContents(),
    ["Enter an email address in the right format, like name@city.gov", "Enter a password"]);
  await checkPage(page, "signup-errors-2", { shots: false });

  // Log-in, sent empty.
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await page.getByRole("button", { name: "Log in" }).last().click();
  const loginSummary = page.locator("#login-form-error-summary");
  await loginSummary.waitFor();
  assert.deepEqual(await loginSummary.getByRole("link").allTextContents(), ["Enter your email address", "Enter your password"]);
  assert.equal(await page.title(), "Error: Log in · Convene");
  await checkPage(page, "login-errors");
  // Corrected, the summary and the title's "Error:" go.
  await page.getByLabel("Email address", { exact: true }).fill(participant.email);
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  allowApi(context, 401, "POST", /^\/api\/auth\/login$/, "a wrong password, on purpose");
  await page.getByRole("button", { name: "Log in" }).last().click();
  await page.locator("#result").waitFor({ state: "visible" });
  assert.equal(await loginSummary.count(), 0);
  assert.equal(await page.title(), "Log in · Convene");

  // Forgotten password, sent empty.
  await page.goto(`${env.base}/forgot-password.html`);
  await settle(page);
  await page.locator("#forgot-form button[type=submit]").click();
  const forgotSummary = page.locator("#forgot-form-error-summary");
  await forgotSummary.waitFor();
  assert.deepEqual(await forgotSummary.getByRole("link").allTextContents(), ["Enter your email address"]);
  await checkPage(page, "forgot-password-errors", { shots: false });
  await context.close();
});

test("someone who signs up from an activity comes back to it after confirming the address", async () => {
  let context = await newContext(browser);
  let page = await context.newPage();
  const person = { email: "le.thu.ha@hue.example.org", name: "Lê Thu Hà", password: "perfume river citadel lantern 88" };
  // An activity one can register for.
  const list = await (await context.request.get(`${env.base}/api/activities?per_page=50`)).json();
  const activity = list.items.find((a) => ["open", "few_seats", "waiting_list", "approval"].includes(a.availability));
  assert.ok(activity, "the seed has an activity open for registration");

  await page.goto(`${env.base}/activity.html?id=${activity.id}`);
  await settle(page);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(`**/signup.html?next=${encodeURIComponent(`/activity.html?id=${activity.id}`)}`);
  await settle(page);
  await page.getByLabel("Email address", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByLabel("Full name").fill(person.name);
  const mailBefore = await lastMailId();
  await page.getByRole("button", { name: "Create my account" }).click();
  await page.getByText(`We have sent a message to ${person.email}`).waitFor();

  // The mail's link carries the way back itself, so it works in another
  // browser too (a phone's mail app): a fresh context, nothing remembered.
  const mail = await waitForMail(person.email, /confirm your email address/i, { after: mailBefore });
  const link = linkIn(mail, "verify-email.html");
  assert.equal(new URL(link).searchParams.get("next"), `/activity.html?id=${activity.id}`);
  assert.ok(await page.evaluate(() => localStorage.getItem("convene.after_verify")), "remembered in the first browser");
  await page.close();
  await context.close();
  context = await newContext(browser);
  page = await context.newPage();
  await page.goto(link);
  await settle(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  const back = page.getByRole("link", { name: `Log in and go back to ${activity.title}` });
  await back.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), `Log in and go back to ${activity.title}`);
  await checkPage(page, "verify-email-back", { shots: false });
  await back.click();
  await page.waitForURL(`**/login.html?next=${encodeURIComponent(`/activity.html?id=${activity.id}`)}`);
  await settle(page);
  await logIn(page, person.email, person.password);
  await page.waitForURL(`**/activity.html?id=${activity.id}`);
  await settle(page);
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), activity.title);
  assert.equal(await page.evaluate(() => localStorage.getItem("convene.after_verify")), null, "nothing left behind");
  await checkPage(page, "activity-after-signup", { shots: false });
  await assertNoProblems(context);
  await context.close();
});

test("a forgotten password is reset through the emailed link", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const email = "nguyen.lan@hanoi.example.org"; // seeded
  const password = "paddy terrace lotus kite 2024";

  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await page.getByRole("link", { name: "Forgotten your password?" }).click();
  await page.waitForURL("**/forgot-password.html");
  assert.equal(await page.title(), "Forgotten password · Convene");
  await checkPage(page, "forgot-password");
  const mailBefore = await lastMailId();
  // By keyboard: the skip link comes first and shows, then the field, and
  // Enter sends the form. Focus is visible all along.
  await page.keyboard.press("Tab");
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    return { id: el.id, cls: el.className, top: r.top, outline: getComputedStyle(el).outlineStyle };
  });
  let f = await focused();
  assert.equal(f.cls, "skip-link");
  assert.ok(f.top >= 0, "the skip link shows when focused");
  assert.notEqual(f.outline, "none");
  await page.keyboard.press("Enter");
  assert.equal((await focused()).id, "main");
  await page.keyboard.press("Tab");
  f = await focused();
  assert.equal(f.id, "email");
  assert.notEqual(f.outline, "none", "the focused field is outlined");
  await page.keyboard.type(email);
  await page.keyboard.press("Enter");
  await assert.doesNotReject(page.getByText("we have sent it a link").waitFor());

  const mail = await waitForMail(email, /password/i, { after: mailBefore });
  await page.goto(linkIn(mail, "reset-password.html"));
  assert.equal(await page.title(), "Choose a new password · Convene");
  await checkPage(page, "reset-password");
  allowApi(context, 422, "POST", /^\/api\/auth\/password\/reset$/, "a new password that is too short, on purpose");
  await page.getByLabel("New password").fill("short");
  await page.getByRole("button", { name: "Save the new password" }).click();
  await page.locator('[data-error-for="password"]').waitFor({ state: "visible" });
  assert.equal(await page.title(), "Error: Choose a new password · Convene");
  assert.equal(await page.locator("#reset-form-error-summary").getByRole("link").count(), 1);
  await checkPage(page, "reset-password-error", { shots: false });
  await page.getByLabel("New password").fill(password);
  await page.getByRole("button", { name: "Save the new password" }).click();
  await assert.doesNotReject(page.getByText("Your password is changed").waitFor());
  await page.getByRole("link", { name: "Log in" }).last().click();
  await page.waitForURL("**/login.html");
  await settle(page);
  await logIn(page, email, password);
  await page.waitForURL("**/index.html");
  await settle(page);
  await assert.doesNotReject(page.getByRole("button", { name: "Log out" }).waitFor());
  await checkPage(page, "home-logged-in");
  await assertNoProblems(context);
  await context.close();
});

test("the admin grants a role, sees it in the audit log and works the mail outbox", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const who = participant.created
    ? participant
    : { email: "somchai@bangkok.example.org", name: "สมชาย ใจดี" };

  // A mail the catcher refuses (run.sh starts it with --reject-rcpt
  // bounce), so the outbox has a failed mail to send again.
  const bounce = await context.request.post(`${env.base}/api/auth/signup`, {
    data: { email: "bounce@example.org", password: "never delivered anywhere", name: "Bounce Test" },
  });
  assert.equal(bounce.status(), 202);

  await page.goto(`${env.base}/admin/accounts.html`);
  await page.waitForURL("**/login.html?next=%2Fadmin%2Faccounts.html");
  await settle(page);
  await logIn(page, env.adminEmail, env.adminPassword);
  await page.waitForURL("**/admin/accounts.html");
  assert.equal(await page.title(), "Accounts · Administration · Convene");
  await settle(page);
  await assert.doesNotReject(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).waitFor());
  await checkPage(page, "admin-accounts");

  // Find the participant and make them staff.
  await page.getByLabel("Search by name or email address").fill(who.email);
  await page.getByRole("button", { name: "Search" }).click();
  await settle(page);
  const rows = page.locator("#list tbody tr");
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), new RegExp(who.name));
  assert.match(page.url(), /\?q=/, "the search is kept in the address");
  await page.getByRole("button", { name: `Edit roles: ${who.name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Roles of ${who.name}` });
  await dialog.waitFor();
  await checkPage(page, "admin-roles-dialog");
  await dialog.getByLabel("Staff").check();
  await dialog.getByRole("button", { name: "Save the roles" }).click();
  await assert.doesNotReject(page.getByText(`The roles of ${who.name} are saved.`).waitFor());
  await settle(page);
  assert.match(await rows.first().textContent(), /Staff/);

  // The audit log shows the grant.
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Audit log" }).click();
  await page.waitForURL("**/admin/audit.html");
  assert.equal(await page.title(), "Audit log · Administration · Convene");
  await settle(page);
  await page.getByLabel(/^Action/).fill("role.");
  await page.getByRole("button", { name: "Filter" }).click();
  await settle(page);
  const audit = page.locator("#list tbody tr").first();
  const text = await audit.textContent();
  assert.match(text, new RegExp(`gave ${who.name} the Staff role`), "a sentence with names");
  assert.match(text, /role\.granted/);
  assert.match(text, /role: staff/);
  await checkPage(page, "admin-audit");

  // The outbox: everything sent so far, and the refused mail sent again.
  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Mail outbox" }).click();
  await page.waitForURL("**/admin/outbox.html");
  assert.equal(await page.title(), "Mail outbox · Administration · Convene");
  await settle(page);
  await assert.doesNotReject(page.locator("#list tbody tr").first().waitFor());
  await checkPage(page, "admin-outbox");
  const status = page.getByLabel("Status");
  await status.selectOption("failed");
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.getByRole("button", { name: "Filter" }).click();
    await settle(page);
    if (await page.getByRole("button", { name: /^Send again: mail \d+ to bounce@example\.org$/ }).count()) break;
    assert.ok(Date.now() < deadline, "the refused mail is marked failed");
    await page.waitForTimeout(500);
  }
  await checkPage(page, "admin-outbox-failed");
  await page.getByRole("button", { name: /^Send again: mail \d+ to bounce@example\.org$/ }).click();
  await assert.doesNotReject(page.getByText(/Mail \d+ is queued to be sent again\./).waitFor());
  await status.selectOption("sent");
  await page.getByRole("button", { name: "Filter" }).click();
  await settle(page);
  const statuses = await page.locator("#list tbody .chip").allTextContents();
  assert.ok(statuses.length > 0 && statuses.every((s) => s === "Sent"), `only sent mail: ${statuses}`);
  await assertNoProblems(context);
  await context.close();
});

test("an account with an unconfirmed address is offered a new link", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const email = "wanjiru.unconfirmed@nairobi.example.org";
  const password = "savanna acacia evening rain";
  const signup = await context.request.post(`${env.base}/api/auth/signup`, {
    data: { email, password, name: "अनिता श्रेष्ठ", locale: "ne" },
  });
  assert.equal(signup.status(), 202);
  await waitForMail(email, /confirm your email address/i);
  const mailBefore = await lastMailId();

  // On log-in.
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, email, password);
  const panel = page.getByRole("region", { name: "Please confirm your email address" });
  await panel.waitFor();
  await checkPage(page, "login-unverified", { shots: false });
  await panel.getByRole("button", { name: "Send the link again" }).click();
  await assert.doesNotReject(panel.getByText("we have sent it a new link").waitFor());
  await waitForMail(email, /confirm your email address/i, { after: mailBefore });

  // From the page linked on the log-in page.
  await page.goto(`${env.base}/resend-verification.html`);
  assert.equal(await page.title(), "Send the confirmation link again · Convene");
  await checkPage(page, "resend-verification");
  assert.equal(await page.getByLabel("Email address").inputValue(), email, "logged in: the address is filled in");
  await page.getByRole("button", { name: "Send the link" }).click();
  await assert.doesNotReject(page.getByText("we have sent it a new link").waitFor());
  await assertNoProblems(context);
  await context.close();
});

test("staff without the admin role cannot open the admin pages", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const r = await context.request.post(`${env.base}/api/auth/login`, {
    data: { email: env.staffEmail, password: env.staffPassword },
  });
  assert.equal(r.status(), 200);
  await page.goto(`${env.base}/admin/outbox.html`);
  await settle(page);
  await assert.doesNotReject(page.getByRole("heading", { name: "Not for your account" }).waitFor());
  assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).count(), 0);
  await checkPage(page, "admin-forbidden", { shots: false });
  await assertNoProblems(context);
  await context.close();
});
