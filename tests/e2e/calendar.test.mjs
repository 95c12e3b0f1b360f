// calendar.test.mjs - the activity calendar, the activity page with its
// registration states, "My registrations" with the private calendar feed,
// and the staff pages (create and edit an activity with questions, publish,
// the registrations with approve / attended / register on behalf, the
// participants' CSV and the cross-activity export, cancelling an activity),
// in a real browser. Every page state is checked with axe-core; the main
// ones are photographed at 1280x800 and 360x740 and checked for horizontal
// overflow at 360 px (see lib.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  allowApi, apiSession, assertNoProblems, checkPage, env, lastMailId, launch, linkIn, logIn, newContext, settle, verifiedAccount, waitForMail,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

// ---- API helpers (setting the scene as staff, outside the pages) ---------

async function findActivity(call, title) {
  const r = await call("GET", `/api/activities?status=all&per_page=100&q=${encodeURIComponent(title)}`);
  assert.equal(r.status, 200);
  const a = r.body.items.find((x) => x.title === title);
  assert.ok(a, `the calendar has "${title}"`);
  return a;
}

async function accountId(adminCall, email) {
  const r = await adminCall("GET", `/api/admin/accounts?q=${encodeURIComponent(email)}`);
  assert.equal(r.status, 200);
  const a = r.body.items.find((x) => x.email === email);
  assert.ok(a, `an account ${email}`);
  return a.id;
}

const FORUM = "The 3rd International Forum on Low Carbon Cities";
// The seeded calendar is CityNet's 2023: past now. The activities people
// register for in these tests move to (or are made in) the coming year.
const NEXT = new Date().getFullYear() + 1;
// "2026-11": this month, and a day counted from today ("2026-11-29"), in UTC.
const THIS_MONTH = new Date().toISOString().slice(0, 7);
const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
const monthName = (ym) => new Date(`${ym}-15T12:00:00Z`).toLocaleString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
// A long Thai title: it has to wrap on a phone.
const FULL = "Mekong Cities Flood Resilience Workshop · เวิร์กช็อปเมืองลุ่มน้ำโขงรับมือน้ำท่วม";

// ---- (a) A participant: calendar, registering, waiting list, cancelling ---

test("a participant browses the calendar, registers with answers, joins a waiting list and cancels", async () => {
  // The scene, set by the administrator through the API: questions on the
  // open forum, and a workshop with one seat that someone else has taken.
  const adminContext = await newContext(browser);
  const admin = await apiSession(adminContext, env.adminEmail, env.adminPassword);
  const forum = await findActivity(admin, FORUM);
  // The forum moves to the coming year: registration closes when it starts.
  const moved = await admin("PATCH", `/api/activities/${forum.id}`, {
    starts_on: `${NEXT}-08-29`, ends_on: `${NEXT}-08-29`, date_label: "29 August",
  });
  assert.equal(moved.status, 200);
  assert.equal(moved.body.availability, "open");
  const q = await admin("PUT", `/api/activities/${forum.id}/questions`, {
    questions: [
      { kind: "text", label: "Which low carbon project of your city would you present?", required: true, max_length: 300 },
      { kind: "single_choice", label: "In which language will you speak?", required: true, choices: ["English", "한국어", "ภาษาไทย", "हिन्दी"] },
      { kind: "multiple_choice", label: "Which sessions will you join?", choices: ["Buildings", "Transport", "Climate finance"] },
      { kind: "yes_no", label: "Do you need a visa support letter?" },
    ],
  });
  assert.equal(q.status, 200);
  const [qText, , qSessions] = q.body.questions;
  const created = await admin("POST", "/api/activities", {
    kind: "workshop", title: FULL, mode: "open", capacity: 1, city: "Phnom Penh", country: "Cambodia",
    timezone: "Asia/Phnom_Penh", date_label: "20-21 November", starts_on: `${NEXT}-11-20`, ends_on: `${NEXT}-11-21`,
    summary: "Two days on early warning, floodable parks and living with the river, with the cities of the Mekong.",
  });
  assert.equal(created.status, 201);
  const workshop = created.body;
  assert.equal((await admin("POST", `/api/activities/${workshop.id}/publish`)).status, 200);
  const somchai = await accountId(admin, "somchai@bangkok.example.org");
  const seat = await admin("POST", `/api/activities/${workshop.id}/enrollments`, { account_id: somchai });
  assert.equal(seat.body.status, "confirmed");
  await adminContext.close();

  const context = await newContext(browser);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.base });
  const page = await context.newPage();
  const me = {
    email: "priyanka.rajbhandari@lalitpur.example.org",
    // Devanagari: it has to wrap, never overflow.
    name: "प्रियंका राजभण्डारी",
    password: "temple courtyard monsoon kite 9",
  };

  // The forum's page, logged out: log in or sign up, coming back here.
  await page.goto(`${env.base}/activity.html?id=${forum.id}`);
  await settle(page);
  assert.equal(await page.title(), `${FORUM} · Convene`);
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), FORUM);
  const registration = page.getByRole("region", { name: "Registration" });
  const loginLink = registration.getByRole("link", { name: "Log in to register" });
  assert.equal(await loginLink.getAttribute("href"), `/login.html?next=${encodeURIComponent(`/activity.html?id=${forum.id}`)}`);
  await checkPage(page, "activity-logged-out");
  await registration.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(/\/signup\.html\?next=/);
  await settle(page);
  await page.getByLabel("Email address", { exact: true }).fill(me.email);
  await page.getByLabel("Password", { exact: true }).fill(me.password);
  await page.getByLabel("Full name").fill(me.name);
  const mailBefore = await lastMailId();
  await page.getByRole("button", { name: "Create my account" }).click();
  await page.getByText(`We have sent a message to ${me.email}`).waitFor();
  const verifyMail = await waitForMail(me.email, /confirm your email address/i, { after: mailBefore });

  // Logged in before confirming the address: the activity says so.
  await page.getByRole("link", { name: "Log in", exact: true }).last().click();
  await page.waitForURL(/\/login\.html\?next=%2Factivity\.html/);
  await settle(page);
  await logIn(page, me.email, me.password);
  await page.getByRole("region", { name: "Please confirm your email address" }).getByRole("link", { name: "Continue" }).click();
  await page.waitForURL(`**/activity.html?id=${forum.id}`);
  await settle(page);
  await registration.getByText("Please confirm your email address before registering").waitFor();
  assert.equal(await registration.getByRole("link", { name: "Send me a new confirmation link" }).getAttribute("href"),
    "/resend-verification.html");
  assert.equal(await registration.getByRole("button", { name: "Register" }).count(), 0);
  await checkPage(page, "activity-unverified");

  // The link from the caught email confirms the address.
  await page.goto(linkIn(verifyMail, "verify-email.html"));
  await settle(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await page.getByText("your email address is confirmed").waitFor();

  // The calendar opens on what is coming up, soonest first: the forum, then
  // the full workshop; nothing of 2023.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Calendar" }).click();
  await page.waitForURL("**/index.html");
  await settle(page);
  assert.equal(await page.title(), "Activity calendar · Convene");
  const whenGroup = page.getByRole("group", { name: "Which activities" });
  assert.equal(await whenGroup.getByRole("link", { name: "Upcoming and ongoing" }).getAttribute("aria-current"), "true");
  const upcomingTitles = await page.locator("li.activity .activity-title").allTextContents();
  assert.ok(upcomingTitles.indexOf(FORUM) >= 0 && upcomingTitles.indexOf(FORUM) < upcomingTitles.indexOf(FULL),
    `the forum, then the workshop: ${upcomingTitles}`);
  assert.ok(!upcomingTitles.includes("ICP-AGIR Asia Closing Conference"), "no past activity");
  const forumCard = page.locator("li.activity", { hasText: FORUM });
  assert.equal(await forumCard.locator(".badge").textContent(), "Open for registration");
  assert.equal(await page.locator("li.activity", { hasText: "Mekong Cities" }).locator(".badge").textContent(), "Waiting list");
  const feed = page.getByRole("link", { name: "Add the calendar to your calendar app" });
  assert.equal(await feed.getAttribute("href"), "/api/calendar.ics");
  await checkPage(page, "calendar-upcoming");

  // Past activities: 2023's calendar, the latest first, with pages; they
  // say "Ended", not "Open registration".
  await whenGroup.getByRole("link", { name: "Past activities" }).click();
  await page.waitForURL(/\?when=past$/);
  await settle(page);
  assert.equal(await whenGroup.getByRole("link", { name: "Past activities" }).getAttribute("aria-current"), "true");
  assert.match(await page.locator("#count").textContent(), /^2\d activities\.$/);
  assert.equal(await page.locator("li.activity").count(), 20, "20 a page");
  const pastTitles = await page.locator("li.activity .activity-title").allTextContents();
  assert.equal(pastTitles[0], "CityNet Services (Virtual and Offline)", `the latest end first: ${pastTitles}`);
  assert.ok(pastTitles.indexOf("Smart City Expo World Congress") < pastTitles.indexOf("Asia-Pacific Urban Forum (APUF-8)"),
    `November before October: ${pastTitles}`);
  assert.ok(!pastTitles.includes(FORUM), "the moved forum is not past");
  const badgesPast = await page.locator("li.activity .badge").allTextContents();
  assert.ok(badgesPast.every((b) => b === "Ended"), `past activities have ended: ${badgesPast}`);
  assert.equal(await page.locator("li.activity .seats").count(), 0, "no seats left on past activities");
  await page.getByRole("navigation", { name: "Pages of the calendar" }).getByRole("link", { name: "Next page" }).waitFor();
  await checkPage(page, "calendar-list");

  // Filtered by kind: only forums, partner events linking out.
  await page.getByLabel("Kind of activity").selectOption("forum");
  await page.getByRole("button", { name: "Show activities" }).click();
  await page.waitForURL(/\?when=past&kind=forum$/);
  await settle(page);
  const kinds = await page.locator("li.activity .meta .kind").allTextContents();
  assert.ok(kinds.length >= 4 && kinds.every((k) => k === "Forum"), `only forums: ${kinds}`);
  assert.match(await page.locator("#count").textContent(), new RegExp(`^${kinds.length} activities\\.$`));
  const apuf = page.locator("li.activity", { hasText: "Asia-Pacific Urban Forum (APUF-8)" });
  assert.equal(await apuf.locator(".badge").textContent(), "Ended");
  const out = apuf.getByRole("link", { name: "The partner's website: Asia-Pacific Urban Forum (APUF-8)" });
  assert.equal(await out.getAttribute("href"), "https://apuf8.org/");
  assert.match(await out.getAttribute("rel"), /\bnoopener\b/);
  await checkPage(page, "calendar-forums", { shots: false });

  // The month view keeps the filter; the back button returns to the list.
  await page.getByRole("group", { name: "View" }).getByRole("link", { name: "By month" }).click();
  await page.waitForURL(/\?view=month&when=past&kind=forum$/);
  await settle(page);
  const october = page.getByRole("region", { name: /^October 2023/ });
  await october.getByRole("link", { name: "Asia-Pacific Urban Forum (APUF-8)", exact: true }).waitFor();
  assert.equal(await page.getByRole("link", { name: "By month" }).getAttribute("aria-current"), "true");
  await page.goBack();
  await page.waitForURL(/\?when=past&kind=forum$/);
  await settle(page);
  assert.equal(await page.getByRole("link", { name: "List" }).getAttribute("aria-current"), "true");
  assert.equal(await page.getByLabel("Kind of activity").inputValue(), "forum");
  assert.equal(await page.getByRole("region", { name: /^October 2023/ }).count(), 0);

  // The past calendar by month, the latest month first: loose dates over
  // several months show once, in a band above the months (not in each).
  await page.getByRole("link", { name: "Clear the filters" }).click();
  await page.waitForURL(/\/index\.html\?when=past$/);
  await settle(page);
  // By keyboard this time.
  await page.getByRole("link", { name: "By month" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\?view=month&when=past$/);
  await settle(page);
  const monthHeadings = () => page.locator("section.month h2").evaluateAll((hs) => hs.map((x) => x.firstChild.textContent));
  const months = await monthHeadings();
  assert.equal(months[0], "Over several months", "the band comes first");
  // The months that have activities of their own (the rolling one no longer
  // fills the empty ones).
  assert.deepEqual(months.slice(1, 9), ["November 2023", "October 2023", "September 2023", "May 2023", "April 2023",
    "March 2023", "February 2023", "January 2023"]);
  const sections = (title) => page.locator("section.month").filter({ has: page.getByRole("link", { name: title, exact: true }) })
    .locator("h2").evaluateAll((hs) => hs.map((x) => x.firstChild.textContent));
  const band = ["Over several months"];
  assert.deepEqual(await sections("Approaches in Sustainable Tourism: Lessons from Seoul"), band, "January – March, once");
  assert.deepEqual(await sections("CityNet Services (Virtual and Offline)"), band, "a rolling basis, once");
  assert.deepEqual(await sections("City-to-City Cooperation between Kuala Lumpur & Iloilo"), band, "May – November, once");
  assert.deepEqual(await sections("National Chapter Indonesia Congress"), band, "Q3, once");
  const bandRegion = page.getByRole("region", { name: /^Over several months/ });
  const rolling = bandRegion.locator("li.activity", { hasText: "CityNet Services" });
  assert.equal(await rolling.locator(".when").textContent(), "On a Rolling Basis 2023 (approximate dates)",
    "the label as written, said to be approximate");
  assert.equal(await bandRegion.locator("li.activity", { hasText: "Indonesia Congress" }).locator(".when").textContent(),
    "Q3 2023 (approximate dates)");
  // A single month without days stays in its month, marked approximate too.
  assert.deepEqual(await sections("ICP-AGIR Study Visit to Prato"), ["March 2023"]);
  assert.match(await page.getByRole("region", { name: /^March 2023/ }).locator("li.activity", { hasText: "Prato" })
    .locator(".when").textContent(), /^March 2023 \(approximate dates\)$/);
  // Exact dates are not marked.
  assert.equal(await page.locator("li.activity", { hasText: "Asia-Pacific Urban Forum (APUF-8)" }).locator(".approximate").count(), 0);
  await checkPage(page, "calendar-month-past");

  // Coming up, by month: it opens on this month, marked as such; undated
  // activities come last.
  await page.getByRole("group", { name: "Which activities" }).getByRole("link", { name: "Upcoming and ongoing" }).click();
  await page.waitForURL(/\?view=month$/);
  await settle(page);
  const ahead = await monthHeadings();
  assert.equal(ahead[0], monthName(THIS_MONTH), `this month first: ${ahead}`);
  assert.equal(ahead.at(-1), "Dates to be announced");
  const current = page.locator("section.month.this-month");
  assert.equal(await current.count(), 1);
  assert.equal(await current.locator(".this-month-mark").textContent(), "This month");
  assert.ok(!ahead.some((m) => / 2023$/.test(m)), "no month of 2023");
  assert.deepEqual(await sections("Urban Safety & Inclusive Spaces Masterclass"), ["Dates to be announced"]);
  await checkPage(page, "calendar-month");

  // The forum: its questions, a missing answer refused next to its question.
  await page.getByRole("region", { name: new RegExp(`^August ${NEXT}`) }).getByRole("link", { name: FORUM }).click();
  await page.waitForURL(`**/activity.html?id=${forum.id}`);
  await settle(page);
  const form = page.locator("#register-form");
  assert.equal(await form.getByLabel(/^Which low carbon project/).getAttribute("maxlength"), "300");
  assert.equal(await form.locator(`[data-question="${qText.id}"] .required`).textContent(), "(required)");
  assert.equal(await form.locator(`[data-question="${qSessions.id}"] .optional`).textContent(), "(optional)");
  await checkPage(page, "activity-open");
  await form.getByRole("group", { name: /^In which language will you speak\?/ }).getByLabel("ภาษาไทย").check();
  await form.getByRole("group", { name: /^Which sessions will you join\?/ }).getByLabel("Transport").check();
  await form.getByRole("group", { name: /^Which sessions will you join\?/ }).getByLabel("Climate finance").check();
  await form.getByRole("group", { name: /^Do you need a visa support letter\?/ }).getByLabel("No").check();
  allowApi(context, 422, "POST", /^\/api\/activities\/\d+\/enrollments$/, "a required answer left out, on purpose");
  await form.getByRole("button", { name: "Register" }).click();
  const textError = form.locator(`[data-error-for="answers.${qText.id}"]`);
  await textError.waitFor({ state: "visible" });
  assert.equal(await textError.textContent(), "Please answer this question.");
  const textField = form.getByLabel(/^Which low carbon project/);
  assert.equal(await textField.getAttribute("aria-invalid"), "true");
  assert.ok((await textField.getAttribute("aria-describedby")).split(" ").includes(await textError.getAttribute("id")));
  assert.ok(await textError.evaluate((el) => el.closest(".question") !== null), "the error sits with its question");
  assert.equal(await page.evaluate(() => document.activeElement.name), `answers.${qText.id}`, "the question has the focus");
  assert.equal(await form.getByLabel("ภาษาไทย").isChecked(), true, "the other answers are kept");
  await checkPage(page, "activity-question-error");

  const answer = "Green building retrofits of Lalitpur's heritage courtyards (ललितपुर)";
  await textField.fill(answer);
  const mailBefore2 = await lastMailId();
  await form.getByRole("button", { name: "Register" }).click();
  // The confirmation at the top of the page, with the focus; cancelling is
  // a secondary action at the end of the registration.
  const top = page.locator("#confirmation");
  await top.getByText("You are registered.").waitFor();
  await settle(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirmation");
  const topBox = await top.boundingBox();
  assert.ok(topBox.y < (await registration.boundingBox()).y, "above the registration");
  assert.ok(topBox.y + topBox.height <= 800, "visible without scrolling");
  assert.equal(await registration.locator(".my-status .chip").textContent(), "Confirmed");
  await registration.getByText(answer).waitFor();
  await registration.getByText("Transport; Climate finance").waitFor();
  const cancelButton = registration.getByRole("button", { name: "Cancel my registration" });
  assert.equal(await cancelButton.count(), 1);
  assert.match(await cancelButton.getAttribute("class"), /\bsecondary\b/);
  assert.doesNotMatch(await cancelButton.getAttribute("class"), /\bdanger\b/);
  const confirmation = await waitForMail(me.email, /^You are registered:/, { after: mailBefore2 });
  assert.ok(confirmation.attachments.some((a) => /\.ics$/.test(a.filename)), "with a calendar file");
  const addHref = await page.getByRole("link", { name: "Add to calendar" }).getAttribute("href");
  assert.match(addHref, /^\/api\/activities\/\d+\/calendar\.ics$/);
  const oneIcs = await page.request.get(`${env.base}${addHref}`);
  assert.equal(oneIcs.status(), 200);
  assert.match(oneIcs.headers()["content-type"], /^text\/calendar/);
  assert.match(await oneIcs.text(), /BEGIN:VEVENT/);
  await checkPage(page, "activity-confirmed");

  // A full workshop: the waiting list, with the position.
  await page.goto(`${env.base}/activity.html?id=${workshop.id}`);
  await settle(page);
  assert.equal(await page.title(), `${FULL} · Convene`);
  await registration.getByText("Fully booked: new registrations join the waiting list.").waitFor();
  await checkPage(page, "activity-full");
  await registration.getByRole("button", { name: "Join the waiting list" }).click();
  await page.locator("#confirmation").getByText("You are on the waiting list, number 1.").waitFor();
  await settle(page);
  assert.equal(await registration.locator(".my-status .chip").textContent(), "On the waiting list");
  await registration.getByText("You are number 1 on the waiting list.").waitFor();
  await checkPage(page, "activity-waitlisted");

  // Invitation only, and a partner's event: no form, an explanation.
  const invitation = await page.request.get(`${env.base}/api/activities?q=${encodeURIComponent("43rd Executive Committee")}`);
  const committee = (await invitation.json()).items[0];
  await page.goto(`${env.base}/activity.html?id=${committee.id}`);
  await settle(page);
  await registration.getByText("Participation is by invitation.").waitFor();
  assert.equal(await registration.getByRole("button").count(), 0);
  await checkPage(page, "activity-invitation");
  const partner = (await (await page.request.get(`${env.base}/api/activities?q=APUF-8&kind=forum`)).json()).items[0];
  await page.goto(`${env.base}/activity.html?id=${partner.id}`);
  await settle(page);
  const register = registration.getByRole("link", { name: "Register on the organiser's website" });
  assert.equal(await register.getAttribute("href"), "https://apuf8.org/");
  assert.match(await register.getAttribute("rel"), /\bnoopener\b/);
  await checkPage(page, "activity-partner");

  // Staff registered her for a 2023 conference too (a past activity).
  const adminContext2 = await newContext(browser);
  const admin2 = await apiSession(adminContext2, env.adminEmail, env.adminPassword);
  const conference = await findActivity(admin2, "ICP-AGIR Asia Closing Conference");
  const mineId = await accountId(admin2, me.email);
  assert.equal((await admin2("POST", `/api/activities/${conference.id}/enrollments`, { account_id: mineId })).status, 201);
  await adminContext2.close();

  // My registrations: upcoming and past apart, by date; the waiting one
  // cancelled after confirming.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My registrations" }).click();
  await page.waitForURL("**/my-registrations.html");
  await settle(page);
  assert.equal(await page.title(), "My registrations · Convene");
  const rows = page.getByRole("region", { name: "Upcoming and ongoing" }).locator("tbody tr");
  assert.equal(await rows.count(), 2);
  assert.match(await rows.first().textContent(), /Low Carbon Cities/, "the soonest first");
  const pastRows = page.getByRole("region", { name: "Past activities" }).locator("tbody tr");
  assert.equal(await pastRows.count(), 1);
  assert.match(await pastRows.textContent(), /ICP-AGIR Asia Closing Conference/);
  assert.equal(await pastRows.getByRole("button").count(), 0, "nothing to cancel in the past");
  const forumRow = rows.filter({ hasText: FORUM });
  const fullRow = rows.filter({ hasText: "Mekong Cities" });
  assert.match(await forumRow.textContent(), /Confirmed/);
  assert.match(await fullRow.textContent(), /On the waiting list/);
  assert.match(await fullRow.textContent(), /Number 1 on the waiting list/);
  assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Staff" }).count(), 0);
  await checkPage(page, "my-registrations");
  await page.getByRole("button", { name: `Cancel: registration for ${FULL}` }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel your registration?" });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Keep my registration", "the safe choice first");
  await checkPage(page, "my-registrations-confirm", { shots: false });
  await dialog.getByRole("button", { name: "Cancel my registration" }).click();
  await page.getByText(`Your registration for “${FULL}” is cancelled.`).waitFor();
  await settle(page);
  assert.match(await fullRow.textContent(), /Cancelled/);
  assert.equal(await page.getByRole("button", { name: `Cancel: registration for ${FULL}` }).count(), 0);

  // The private calendar feed: made, copied, read, renewed, turned off.
  const feedBox = page.getByRole("region", { name: "My calendar feed" });
  await feedBox.getByRole("button", { name: "Create my feed address" }).click();
  await feedBox.getByText("Your feed address is ready.").waitFor();
  const address = feedBox.getByLabel("Your feed address");
  const url = await address.inputValue();
  assert.match(url, new RegExp(`^${env.base.replace(/[.]/g, "\\.")}/api/feeds/[A-Za-z0-9_-]{43}\\.ics$`));
  await feedBox.getByRole("button", { name: "Copy" }).click();
  await feedBox.getByText("The address is copied.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  const ics = await context.request.get(url);
  assert.equal(ics.status(), 200);
  assert.match(ics.headers()["content-type"], /^text\/calendar/);
  assert.match(await ics.text(), new RegExp(`SUMMARY:${FORUM}`));
  await checkPage(page, "my-registrations-feed");
  await feedBox.getByRole("button", { name: "Make a new address" }).click();
  await page.getByRole("dialog", { name: "Make a new address?" }).getByRole("button", { name: "Make a new address" }).click();
  await feedBox.getByText("Here is your new feed address").waitFor();
  const renewed = await address.inputValue();
  assert.notEqual(renewed, url);
  assert.equal((await context.request.get(url)).status(), 410, "the old address is gone");
  await feedBox.getByRole("button", { name: "Turn the feed off" }).click();
  await page.getByRole("dialog", { name: "Turn your feed off?" }).getByRole("button", { name: "Turn the feed off" }).click();
  await feedBox.getByText("Your feed is turned off.").waitFor();
  await feedBox.getByRole("button", { name: "Create my feed address" }).waitFor();
  assert.equal((await context.request.get(renewed)).status(), 410, "a feed turned off is gone");

  await assertNoProblems(context);
  await context.close();
});

// ---- (b) Staff: an activity with a question, approval, attendance, CSV ----

const VISIT = "Urban Heat Resilience Study Visit · ศึกษาดูงานการรับมือความร้อนในเมืองกรุงเทพฯ";

test("staff create an activity with questions, approve a request, mark attendance and export the participants", async () => {
  const staffContext = await newContext(browser);
  const staff = await staffContext.newPage();
  await staff.goto(`${env.base}/staff/activities.html`);
  await staff.waitForURL("**/login.html?next=%2Fstaff%2Factivities.html");
  await settle(staff);
  await logIn(staff, env.staffEmail, env.staffPassword);
  await staff.waitForURL("**/staff/activities.html");
  await settle(staff);
  assert.equal(await staff.title(), "Activities · Staff · Convene");
  assert.equal(await staff.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Staff" }).getAttribute("aria-current"), "page");
  await checkPage(staff, "staff-activities");

  // A new activity; a wrong time zone is refused next to its field.
  await staff.getByRole("link", { name: "New activity" }).click();
  await staff.waitForURL("**/staff/activity.html");
  await settle(staff);
  assert.equal(await staff.title(), "New activity · Staff · Convene");
  await staff.getByLabel("Title").fill(VISIT);
  await staff.getByLabel("Kind", { exact: true }).selectOption("study_visit");
  await staff.getByLabel("How people take part").selectOption("approval");
  await staff.getByLabel(/^Summary/).fill("Three days with Bangkok's district offices on cooling streets, parks and buildings.");
  await staff.getByLabel(/^Description/).fill("Day 1: green roofs and cool pavements.\nDay 2: pocket parks in Pathum Wan.\nDay 3: heat early warning with the district offices.");
  await staff.getByLabel("Search by name, city or country").fill("bangkok metropolitan");
  await staff.getByLabel("Choose the host").selectOption({ label: "Bangkok Metropolitan Administration — Bangkok, Thailand" });
  await staff.getByLabel(/^Programme/).fill("City-to-City Cooperation");
  await staff.getByLabel(/^City/).fill("Bangkok");
  await staff.getByLabel(/^Country/).fill("Thailand");
  await staff.getByLabel("Time zone").fill("Asia/Bangkk");
  await staff.getByLabel(/^Dates as the calendar writes them/).fill("4-6 December");
  await staff.getByLabel(/^First day/).fill(`${NEXT}-12-04`);
  await staff.getByLabel(/^Last day/).fill(`${NEXT}-12-06`);
  await staff.getByLabel(/^Starts at/).fill("09:00");
  await staff.getByLabel(/^Ends at/).fill("17:00");
  await staff.getByLabel(/^Seats \(optional\)/).fill("25");
  // Times are entered in the activity's zone, said once above the dates
  // (the staff's browser is in Seoul): 18:00 in Bangkok is 11:00 UTC.
  await staff.getByLabel(/^Registration closes/).fill(`${NEXT}-12-01T18:00`);
  assert.equal(await staff.locator(".hint", { hasText: /time zone/i }).filter({ hasText: /computer|this zone/ }).count(), 0,
    "no other wording of the form's zone");
  // Questions can be added while creating, and one button saves them with it.
  const questions = staff.getByRole("region", { name: "Registration questions" });
  await questions.getByText("No questions: people register with one click.").waitFor();
  await questions.getByRole("button", { name: "Add a question" }).click();
  const q1 = questions.getByRole("group", { name: "Question 1" });
  await q1.getByLabel("Question", { exact: true }).fill("Which heat problem of your city do you want to solve?");
  await q1.getByLabel("An answer is required").check();
  assert.equal(await staff.getByRole("button", { name: /^Save|^Create/ }).count(), 1, "one save button");
  allowApi(staffContext, 422, "POST", /^\/api\/activities$/, "a misspelt time zone, on purpose");
  await staff.getByRole("button", { name: "Create the activity" }).click();
  const zoneError = staff.locator('#activity-form [data-error-for="timezone"]');
  await zoneError.waitFor({ state: "visible" });
  assert.match(await zoneError.textContent(), /time zone name/);
  assert.equal(await staff.getByLabel("Time zone").getAttribute("aria-invalid"), "true");
  // The GOV.UK pattern: a summary at the top (with the focus) links to the field.
  assert.equal(await staff.evaluate(() => document.activeElement.id), "activity-form-error-summary");
  assert.equal(await staff.title(), "Error: New activity · Staff · Convene");
  await staff.locator("#activity-form-error-summary").getByRole("link", { name: /time zone name/ }).click();
  assert.equal(await staff.evaluate(() => document.activeElement.id), "timezone");
  await checkPage(staff, "staff-new-error");
  await staff.getByLabel("Time zone").fill("Asia/Bangkok");
  assert.equal(await staff.locator("#zone-note").textContent(),
    "All times on this form are in the activity's time zone, Bangkok time (UTC+7): enter them as the clocks show them there.");
  assert.match(await staff.getByLabel(/^Registration closes/).getAttribute("aria-describedby"), /zone-note/);
  await staff.getByRole("button", { name: "Create the activity" }).click();
  await staff.locator("#status-result").getByText("The activity is created as a draft, with its registration questions.").waitFor();
  await staff.waitForURL(/\/staff\/activity\.html\?id=\d+$/);
  const id = Number(new URL(staff.url()).searchParams.get("id"));
  assert.equal(await staff.title(), `Edit: ${VISIT} · Staff · Convene`);
  assert.equal(await staff.getByRole("heading", { level: 1 }).textContent(), `Edit: ${VISIT}`);
  assert.match(await staff.locator("#status-line").textContent(), /Draft/);
  const saved = await (await staff.request.get(`${env.base}/api/activities/${id}`)).json();
  assert.equal(Date.parse(saved.registration_closes_at), Date.parse(`${NEXT}-12-01T11:00:00Z`), "18:00 Bangkok time is stored");
  assert.equal(await staff.getByLabel(/^Registration closes/).inputValue(), `${NEXT}-12-01T18:00`, "and shown as entered");
  assert.deepEqual(saved.questions.map((q) => [q.label, q.required]),
    [["Which heat problem of your city do you want to solve?", true]], "the question added while creating is saved");

  // The staff list has the draft (the public calendar does not).
  await staff.goto(`${env.base}/staff/activities.html?q=${encodeURIComponent("Urban Heat Resilience")}`);
  await settle(staff);
  const listed = staff.locator("#list tbody tr", { hasText: "Urban Heat Resilience" });
  assert.match(await listed.textContent(), /Draft/);
  const publicList = await (await staff.request.get(`${env.base}/api/activities?q=${encodeURIComponent("Urban Heat Resilience")}`)).json();
  assert.equal(publicList.total, 0, "drafts stay out of the public calendar");
  await listed.getByRole("button", { name: `More actions: ${VISIT}` }).click();
  await listed.getByRole("link", { name: `Edit: ${VISIT}` }).click();
  await staff.waitForURL(`**/staff/activity.html?id=${id}`);
  await settle(staff);

  // The draft's public page: staff see it, nobody can register yet.
  const draftView = await staffContext.newPage();
  await draftView.goto(`${env.base}/activity.html?id=${id}`);
  await settle(draftView);
  await draftView.getByText("This activity is a draft").waitFor();
  await checkPage(draftView, "activity-draft", { shots: false });
  await draftView.close();

  // Questions: two more added, one with too few choices refused, reordered,
  // all saved by the form's one button.
  await questions.getByRole("group", { name: "Question 1" }).waitFor();
  await questions.getByRole("button", { name: "Add a question" }).click();
  const q2 = questions.getByRole("group", { name: "Question 2" });
  await q2.getByLabel("Question", { exact: true }).fill("Which site visits interest you?");
  await q2.getByLabel("Kind of answer").selectOption("multiple_choice");
  await q2.getByLabel("Choices, one per line").fill("Green roofs");
  await questions.getByRole("button", { name: "Add a question" }).click();
  const q3 = questions.getByRole("group", { name: "Question 3" });
  await q3.getByLabel("Question", { exact: true }).fill("Do you need a visa support letter?");
  await q3.getByLabel("Kind of answer").selectOption("yes_no");
  // Leaving now (a link, or closing the tab) asks first.
  await staff.getByRole("link", { name: "All activities (staff)" }).click();
  const leave = staff.getByRole("dialog", { name: "Leave without saving?" });
  await leave.getByText("Your changes to this activity are not saved.").waitFor();
  await checkPage(staff, "staff-leave-dialog", { shots: false });
  await leave.getByRole("button", { name: "Stay on the page" }).click();
  await leave.waitFor({ state: "detached" });
  assert.match(staff.url(), new RegExp(`/staff/activity\\.html\\?id=${id}$`), "staying keeps the page and its edits");
  assert.equal(await q3.getByLabel("Kind of answer").inputValue(), "yes_no");
  assert.equal(await staff.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  }), true, "the browser asks before closing or reloading");
  allowApi(staffContext, 422, "PUT", /^\/api\/activities\/\d+\/questions$/, "a choice question with one choice, on purpose");
  await staff.getByRole("button", { name: "Save the changes" }).click();
  const choicesError = questions.locator('[data-error-for="questions[1].choices"]');
  await choicesError.waitFor({ state: "visible" });
  assert.match(await choicesError.textContent(), /between 2 and 50 choices/);
  assert.equal(await q2.getByLabel("Choices, one per line").getAttribute("aria-invalid"), "true");
  await q2.getByLabel("Choices, one per line").fill("Green roofs\nCool pavements\nPocket parks");
  await questions.getByRole("button", { name: "Move up: question 3" }).click();
  assert.equal(await staff.evaluate(() => document.activeElement.textContent), "Move up", "the focus follows the question");
  await questions.getByText("The question is now number 2.").waitFor();
  await staff.getByRole("button", { name: "Save the changes" }).click();
  await staff.locator("#form-result").getByText("The changes and 3 registration questions are saved.").waitFor();
  assert.equal(await staff.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  }), false, "nothing to lose once saved");
  const labels = await questions.locator('input[name$=".label"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(labels, ["Which heat problem of your city do you want to solve?", "Do you need a visa support letter?",
    "Which site visits interest you?"]);
  await checkPage(staff, "staff-edit");

  // Publish.
  await staff.getByRole("button", { name: "Publish" }).click();
  await staff.locator("#status-result").getByText("The activity is published").waitFor();
  assert.match(await staff.locator("#status-line").textContent(), /Published/);

  // A participant requests a place, answering the questions.
  const partContext = await newContext(browser);
  const part = await partContext.newPage();
  const person = { email: "park.seoyeon@suwon.example.org", name: "박서연", password: "hwaseong fortress spring rain" };
  await verifiedAccount(partContext, person);
  await apiSession(partContext, person.email, person.password);
  await part.goto(`${env.base}/activity.html?id=${id}`);
  await settle(part);
  assert.equal(await part.title(), `${VISIT} · Convene`);
  assert.equal(await part.locator("#description").evaluate((el) => el.innerText),
    "Day 1: green roofs and cool pavements.\nDay 2: pocket parks in Pathum Wan.\nDay 3: heat early warning with the district offices.",
    "the description's lines are kept");
  // Times with their zone, and the viewer's own (Seoul) beside them.
  const times = part.locator("#facts div", { has: part.locator("dt", { hasText: /^Times$/ }) }).locator("dd");
  assert.equal(await times.innerText(), "09:00–17:00 Bangkok time (UTC+7)\nYour time: 11:00–19:00 Seoul time (UTC+9)");
  const closes = part.locator("#facts div", { has: part.locator("dt", { hasText: "Registration closes" }) }).locator("dd");
  assert.equal(await closes.innerText(),
    `1 Dec ${NEXT}, 18:00 Bangkok time (UTC+7)\nYour time: 1 Dec ${NEXT}, 20:00 Seoul time (UTC+9)`);
  const partRegistration = part.getByRole("region", { name: "Registration" });
  const heat = "Heat islands around the markets of Suwon";
  await partRegistration.getByLabel(/^Which heat problem/).fill(heat);
  await partRegistration.getByRole("group", { name: /^Which site visits/ }).getByLabel("Pocket parks").check();
  await partRegistration.getByRole("group", { name: /^Do you need a visa/ }).getByLabel("Yes").check();
  await partRegistration.getByRole("button", { name: "Request a place" }).click();
  await part.locator("#confirmation").getByText("Your request is sent.").waitFor();
  await settle(part);
  assert.equal(await partRegistration.locator(".my-status .chip").textContent(), "Waiting for approval");
  assert.match(await partRegistration.getByText(/^Registered on/).textContent(),
    /^Registered on \d+ \w+ \d{4}, \d\d:\d\d Seoul time \(UTC\+9\)\.$/, "the moment with its zone");
  await checkPage(part, "activity-pending");

  // Staff approve the request, then mark the attendance.
  await staff.getByRole("region", { name: "Status" }).getByRole("link", { name: "Registrations" }).click();
  await staff.waitForURL(`**/staff/registrations.html?id=${id}`);
  await settle(staff);
  assert.equal(await staff.title(), `Registrations: ${VISIT} · Staff · Convene`);
  const row = staff.locator("#list tbody tr", { hasText: person.name });
  assert.match(await row.textContent(), /Waiting for approval/);
  assert.match(await row.textContent(), new RegExp(heat));
  assert.match(await row.textContent(), /\d\d:\d\d Seoul time \(UTC\+9\)/, "registered at, with the zone");
  await checkPage(staff, "staff-registrations");
  await staff.getByRole("button", { name: `Approve: ${person.name}` }).click();
  await staff.getByText(`${person.name}: Confirmed.`).waitFor();
  await settle(staff);
  await staff.getByRole("button", { name: `Mark attended: ${person.name}` }).click();
  await staff.getByText(`${person.name}: Attended.`).waitFor();
  await settle(staff);
  assert.match(await row.textContent(), /Attended/);
  await staff.getByLabel("Status", { exact: true }).selectOption("attended");
  await staff.getByRole("button", { name: "Filter" }).click();
  await settle(staff);
  assert.equal(await staff.locator("#list tbody tr").count(), 1);
  assert.match(staff.url(), /status=attended/);
  await staff.getByLabel("Status", { exact: true }).selectOption("");
  await staff.getByRole("button", { name: "Filter" }).click();
  await settle(staff);

  // Registering someone on their behalf: staff find the person by name.
  const behalf = staff.getByRole("region", { name: "Register someone" });
  await behalf.getByLabel("Find the person by name or email address").fill("Maria Santos");
  await behalf.getByRole("button", { name: "Find", exact: true }).click();
  await behalf.getByText("1 account found.").waitFor();
  assert.match(await behalf.getByLabel("Person to register").inputValue(), /^\d+$/);
  allowApi(staffContext, 422, "POST", /^\/api\/activities\/\d+\/enrollments$/, "registering someone without the required answers, on purpose");
  await behalf.getByRole("button", { name: "Register them" }).click();
  const behalfError = behalf.locator('[data-error-for^="answers."]').first();
  await behalfError.waitFor({ state: "visible" });
  await behalf.getByLabel(/^Which heat problem/).fill("Flash floods after heat waves in Makati");
  await behalf.getByRole("button", { name: "Register them" }).click();
  await behalf.getByText("Maria Santos is registered: Confirmed.").waitFor();
  await settle(staff);
  await staff.locator("#list tbody tr", { hasText: "Maria Santos" }).waitFor();

  // The participants' CSV, fetched with the page's session.
  const csvLink = staff.getByRole("link", { name: "Download participants (CSV)" });
  assert.equal(await csvLink.getAttribute("href"), `/api/activities/${id}/participants.csv`);
  const csv = await staff.request.get(`${env.base}${await csvLink.getAttribute("href")}`);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()["content-type"], /^text\/csv/);
  const bytes = await csv.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "a UTF-8 BOM");
  const text = bytes.subarray(3).toString("utf8");
  assert.ok(text.endsWith("\r\n"), "rows end with CRLF");
  assert.doesNotMatch(text, /[^\r]\n/, "every line break is CRLF");
  const lines = text.split("\r\n").filter(Boolean);
  assert.equal(lines.length, 3, `a header and two rows:\n${text}`);
  for (const label of ["Name", "Email", "Status", "Which heat problem of your city do you want to solve?",
    "Do you need a visa support letter?", "Which site visits interest you?"]) {
    assert.ok(lines[0].includes(`"${label}"`) || lines[0].includes(label), `the header has "${label}": ${lines[0]}`);
  }
  const mine = lines.find((l) => l.includes(person.name));
  assert.ok(mine, "the participant's row");
  assert.ok(mine.includes(person.email) && mine.includes(heat) && mine.includes("attended") && mine.includes("Pocket parks"),
    `her answers and status: ${mine}`);
  assert.ok(/"yes"/.test(mine), "yes/no answers read yes or no");

  // An administrator finds the person by name instead of giving a number.
  const adminPageContext = await newContext(browser);
  await apiSession(adminPageContext, env.adminEmail, env.adminPassword);
  const adminPage = await adminPageContext.newPage();
  await adminPage.goto(`${env.base}/staff/registrations.html?id=${id}`);
  await settle(adminPage);
  const adminBehalf = adminPage.getByRole("region", { name: "Register someone" });
  await adminBehalf.getByLabel("Find the person by name or email address").fill("amit.sharma");
  await adminBehalf.getByRole("button", { name: "Find" }).click();
  await adminBehalf.getByText("1 account found.").waitFor();
  assert.equal(await adminBehalf.getByLabel("Person to register").locator("option:checked").textContent(),
    "अमित शर्मा — amit.sharma@kathmandu.example.org");
  await adminBehalf.getByLabel(/^Which heat problem/).fill("Hot afternoons in Kathmandu's brick neighbourhoods");
  await adminBehalf.getByRole("button", { name: "Register them" }).click();
  await adminBehalf.getByText("अमित शर्मा is registered: Confirmed.").waitFor();
  await settle(adminPage);
  await checkPage(adminPage, "staff-registrations-admin", { shots: false });
  await assertNoProblems(adminPageContext);
  await adminPageContext.close();

  // Every activity in a period, from the export page.
  await staff.goto(`${env.base}/staff/export.html`);
  await settle(staff);
  assert.equal(await staff.title(), "Export participants · Staff · Convene");
  await staff.getByLabel(/^From/).fill(`${NEXT}-12-31`);
  await staff.getByLabel(/^To/).fill(`${NEXT}-12-01`);
  await staff.getByText("The end of the period is before its start.").waitFor();
  await staff.getByLabel(/^From/).fill(`${NEXT}-12-01`);
  await staff.getByLabel(/^To/).fill(`${NEXT}-12-31`);
  const exportLink = staff.getByRole("link", { name: "Download participants (CSV)" });
  assert.equal(await exportLink.getAttribute("href"), `/api/exports/participants.csv?from=${NEXT}-12-01&to=${NEXT}-12-31`);
  await checkPage(staff, "staff-export");
  const all = (await (await staff.request.get(`${env.base}/api/exports/participants.csv?from=${NEXT}-12-01&to=${NEXT}-12-31`)).body()).toString("utf8");
  assert.ok(all.includes(VISIT) && all.includes(person.name), "the export has the visit and the participant");
  assert.ok(!all.includes(FORUM), "and nothing outside the period");

  // Cancelling the activity tells those still registered.
  await staff.goto(`${env.base}/staff/activity.html?id=${id}`);
  await settle(staff);
  await staff.getByRole("button", { name: "Cancel the activity" }).click();
  const cancel = staff.getByRole("dialog", { name: `Cancel “${VISIT}”?` });
  await cancel.waitFor();
  await cancel.getByText("2 people registered (confirmed, waiting or awaiting approval) will be emailed").waitFor();
  await checkPage(staff, "staff-cancel-dialog", { shots: false });
  const mailBefore = await lastMailId();
  await cancel.getByRole("button", { name: "Cancel the activity" }).click();
  await staff.locator("#status-result").getByText("The activity is cancelled; everyone registered is being emailed.").waitFor();
  assert.match(await staff.locator("#status-line").textContent(), /Cancelled/);
  await waitForMail("maria.santos@makati.example.org", /cancel/i, { after: mailBefore });

  await part.reload();
  await settle(part);
  await partRegistration.getByText("This activity has been cancelled.").waitFor();
  await checkPage(part, "activity-cancelled");

  await assertNoProblems(staffContext);
  await assertNoProblems(partContext);
  await partContext.close();
  await staffContext.close();
});

test("people who are not staff cannot open the staff pages", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const person = { email: "tran.minh@danang.example.org", name: "Trần Minh", password: "dragon bridge river lantern" };
  await verifiedAccount(context, person);
  await apiSession(context, person.email, person.password);
  await page.goto(`${env.base}/staff/activities.html`);
  await settle(page);
  await page.getByRole("heading", { name: "Not for your account" }).waitFor();
  await page.getByText("This page is for CityNet's staff.").waitFor();
  await checkPage(page, "staff-forbidden", { shots: false });
  await assertNoProblems(context);
  await context.close();
});

test("the calendar says when nothing matches, and when it cannot be loaded", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();

  // Nothing matches: a way back to everything.
  await page.goto(`${env.base}/index.html?when=past&q=${encodeURIComponent("no such activity anywhere")}&online=true`);
  await settle(page);
  assert.equal(await page.getByLabel("Search").inputValue(), "no such activity anywhere", "the filters come from the address");
  assert.equal(await page.getByLabel("Where").inputValue(), "online");
  await page.getByText("No activity matches these filters.").waitFor();
  assert.equal(await page.locator("#count").textContent(), "0 activities.");
  await checkPage(page, "calendar-empty", { shots: false });
  await page.locator("#results").getByRole("link", { name: "Clear the filters" }).click();
  await page.waitForURL(/\/index\.html\?when=past$/);
  await settle(page);
  assert.equal(await page.locator("li.activity").count(), 20);

  // A city from the "Where" list.
  await page.getByLabel("Where").selectOption({ label: "Suwon" });
  await page.getByRole("button", { name: "Show activities" }).click();
  await page.waitForURL(/\?when=past&city=Suwon$/);
  await settle(page);
  const places = await page.locator("li.activity .meta .where").allTextContents();
  assert.ok(places.length >= 2 && places.every((p) => p === "Suwon, Republic of Korea"), `only Suwon: ${places}`);

  // One month, by month: only that month's section, with what it covers.
  await page.goto(`${env.base}/index.html?view=month&month=2023-04`);
  await settle(page);
  assert.equal(await page.getByLabel("Month").inputValue(), "2023-04");
  assert.deepEqual(await page.locator("section.month h2").evaluateAll((hs) => hs.map((x) => x.firstChild.textContent)), ["April 2023"]);
  const april = page.getByRole("region", { name: /^April 2023/ });
  for (const title of ["ICP-AGIR Asia Closing Conference", "Training Programme on Low Carbon Built Environments and Sustainable Development Goals",
    "CityNet Services (Virtual and Offline)", "Smart City Summit & Expo"]) {
    await april.getByRole("link", { name: title, exact: true }).waitFor();
  }

  // The server fails: an error with a way to try again.
  await page.goto(`${env.base}/index.html`);
  await settle(page);
  await context.route(/\/api\/activities\?/, (route) => route.fulfill({
    status: 503,
    contentType: "application/json",
    headers: { "Retry-After": "1", "X-E2E-Simulated": "yes" }, // not the server's: not a problem
    body: JSON.stringify({ error: { code: "unavailable", message: "The database is not reachable." } }),
  }));
  await page.getByRole("group", { name: "View" }).getByRole("link", { name: "By month" }).click();
  await page.getByRole("alert").getByText("The service is briefly unavailable.").waitFor();
  await checkPage(page, "calendar-error", { shots: false });
  await context.unroute(/\/api\/activities\?/);
  await page.getByRole("button", { name: "Try again" }).click();
  await settle(page);
  await page.locator("section.month.this-month").waitFor();
  await assertNoProblems(context);
  await context.close();
});

// ---- (d) Whether one can register: the badge, closing at the start --------

test("the badge says whether one can register, and registration closes when an activity starts", async () => {
  const adminContext = await newContext(browser);
  const admin = await apiSession(adminContext, env.adminEmail, env.adminPassword);
  const base = { kind: "workshop", city: "Da Nang", country: "Viet Nam", timezone: "UTC", summary: "A check of the calendar's badges." };
  // title suffix -> fields; every one published (one then cancelled).
  const scene = [
    ["open", { mode: "open", capacity: 100, starts_on: day(30), ends_on: day(31) }],
    ["few seats", { mode: "open", capacity: 3, starts_on: day(32), ends_on: day(32) }],
    ["full", { mode: "open", capacity: 1, starts_on: day(33), ends_on: day(33) }],
    ["approval", { mode: "approval", capacity: 20, starts_on: day(34), ends_on: day(34) }],
    ["invitation", { mode: "invitation", starts_on: day(35), ends_on: day(35) }],
    ["started", { mode: "open", capacity: 20, starts_on: day(-1), ends_on: day(3) }],
    ["ended", { mode: "open", capacity: 20, starts_on: day(-10), ends_on: day(-9) }],
    ["cancelled", { mode: "open", capacity: 20, starts_on: day(36), ends_on: day(36) }],
  ];
  const ids = {};
  for (const [name, fields] of scene) {
    const r = await admin("POST", "/api/activities", { ...base, ...fields, title: `Badge check: ${name}` });
    assert.equal(r.status, 201, `create ${name}: ${JSON.stringify(r.body)}`);
    ids[name] = r.body.id;
    assert.equal((await admin("POST", `/api/activities/${r.body.id}/publish`)).status, 200);
  }
  const somchai = await accountId(admin, "somchai@bangkok.example.org");
  assert.equal((await admin("POST", `/api/activities/${ids.full}/enrollments`, { account_id: somchai })).body.status, "confirmed");
  assert.equal((await admin("POST", `/api/activities/${ids.cancelled}/cancel`)).status, 200);
  await adminContext.close();

  const context = await newContext(browser);
  const page = await context.newPage();
  const person = { email: "le.thu@danang.example.org", name: "Lê Thu", password: "marble mountains sea breeze 4" };
  await verifiedAccount(context, person);
  const call = await apiSession(context, person.email, person.password);

  // Coming up: each activity's badge says whether one can register now.
  await page.goto(`${env.base}/index.html?q=${encodeURIComponent("Badge check")}`);
  await settle(page);
  const badgeOf = (name) => page.locator("li.activity", { has: page.getByRole("link", { name: `Badge check: ${name}`, exact: true }) })
    .locator(".badge").textContent();
  const want = {
    open: "Open for registration", "few seats": "Few seats left", full: "Waiting list", approval: "Needs approval",
    invitation: "By invitation", started: "Registration closed", cancelled: "Cancelled",
  };
  for (const [name, text] of Object.entries(want)) assert.equal(await badgeOf(name), text, name);
  assert.equal(await page.getByRole("link", { name: "Badge check: ended", exact: true }).count(), 0, "ended is past");
  const titles = await page.locator("li.activity .activity-title").allTextContents();
  assert.equal(titles[0], "Badge check: started", `the ongoing one first: ${titles}`);
  await checkPage(page, "calendar-badges");
  await page.getByRole("group", { name: "Which activities" }).getByRole("link", { name: "Past activities" }).click();
  await page.waitForURL(/\?when=past&q=/);
  await settle(page);
  assert.equal(await badgeOf("ended"), "Ended");
  await checkPage(page, "calendar-badges-past", { shots: false });

  // Started yesterday: registration closed at its start; no form.
  await page.goto(`${env.base}/activity.html?id=${ids.started}`);
  await settle(page);
  const registration = page.getByRole("region", { name: "Registration" });
  await registration.getByText(/^Registration closed on /).waitFor();
  assert.equal(await registration.getByRole("button").count(), 0);
  assert.equal(await page.locator("#badges .badge").textContent(), "Registration closed");
  await checkPage(page, "activity-closed");
  // The API agrees: 409 registration_closed.
  const refused = await call("POST", `/api/activities/${ids.started}/enrollments`, { answers: {} });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, "registration_closed");

  // Ended: says so, no seats left shown.
  await page.goto(`${env.base}/activity.html?id=${ids.ended}`);
  await settle(page);
  await registration.getByText("This activity has ended.").waitFor();
  assert.equal(await page.locator("#badges .badge").textContent(), "Ended");
  assert.equal(await page.getByText(/seats left/).count(), 0);
  await checkPage(page, "activity-ended", { shots: false });

  // Few seats left: registering still works.
  await page.goto(`${env.base}/activity.html?id=${ids["few seats"]}`);
  await settle(page);
  await registration.getByRole("button", { name: "Register" }).click();
  await page.locator("#confirmation").getByText("You are registered.").waitFor();
  await settle(page);
  await checkPage(page, "activity-few-seats-registered", { shots: false });

  await assertNoProblems(context);
  await context.close();
});

test("my registrations, empty: a way to the calendar", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const person = { email: "bui.an@hue.example.org", name: "Bùi An", password: "perfume river citadel dusk 7" };
  await verifiedAccount(context, person);
  await apiSession(context, person.email, person.password);
  await page.goto(`${env.base}/my-registrations.html`);
  await settle(page);
  const empty = page.locator("#empty");
  await empty.getByText("You have not registered for any activity yet.").waitFor();
  const link = empty.getByRole("link", { name: "Find an activity in the calendar" });
  assert.equal(await link.getAttribute("href"), "/index.html");
  assert.equal(await page.getByRole("region", { name: "Upcoming and ongoing" }).count(), 0);
  await checkPage(page, "my-registrations-empty");
  await link.click();
  await page.waitForURL("**/index.html");
  await settle(page);
  await assertNoProblems(context);
  await context.close();
});

test("a browser in a language without a dictionary gets English and asks for no dictionary that is not there", async () => {
  // Thai (no web/i18n/th.js), as a visitor and as an account whose
  // language is Thai: every answer the pages get is a success (a visitor
  // learns it is logged out from a 200 of /api/session) and the page reads
  // in English.
  const context = await newContext(browser, { locale: "th-TH" });
  const page = await context.newPage();
  const seen = [];
  page.on("response", (res) => seen.push({ path: new URL(res.url()).pathname, status: res.status() }));
  await page.goto(`${env.base}/index.html`);
  await settle(page);
  assert.equal(await page.evaluate(() => navigator.language), "th-TH");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await page.getByRole("link", { name: "Skip to the content" }).waitFor({ state: "attached" });
  const person = { email: "somchai.k@chiangmai.example.org", name: "Somchai K.", password: "doi suthep lantern night 4" };
  await verifiedAccount(context, person);
  const call = await apiSession(context, person.email, person.password);
  const me = await call("PATCH", "/api/me", { locale: "th" });
  assert.equal(me.status, 200);
  assert.equal(me.body.locale, "th");
  await page.goto(`${env.base}/my-registrations.html`);
  await settle(page);
  await page.getByText("You have not registered for any activity yet.").waitFor();
  await checkPage(page, "language-without-dictionary", { shots: false });
  assert.deepEqual(seen.filter((r) => r.path.startsWith("/i18n/") && r.path !== "/i18n/en.js"), [],
    "no other dictionary is asked for");
  assert.deepEqual(seen.filter((r) => r.status >= 400), [], "no failed request");
  await assertNoProblems(context);
  await context.close();
});
