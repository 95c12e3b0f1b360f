// messages.test.mjs - "Message participants" on the staff activity page
// (issue 12): staff choose statuses and see how many people a message
// reaches, get field errors for an empty message, preview it, confirm and
// send it once, and find it in the history; each participant receives one
// email in the mail layout with the text as written. Every state is checked
// with axe-core (lib.mjs fails on any violation) and photographed at 1280
// and 360 px with the overflow check.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  allowApi, apiSession, assertNoProblems, checkPage, env, lastMailId, launch, linkIn, logIn, messages, newContext, settle, verifiedAccount, waitForMail,
} from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

const NEXT = new Date().getFullYear() + 1;
const TITLE = "Coastal Cities Heat Action Workshop";

test("staff message the participants of an activity, once, and see it in the history", async () => {
  // The scene: a published activity with one seat, one confirmed
  // participant and one on the waiting list.
  const setup = await newContext(browser);
  const staffApi = await apiSession(setup, env.staffEmail, env.staffPassword);
  const created = await staffApi("POST", "/api/activities", {
    kind: "workshop", title: TITLE, timezone: "Asia/Jakarta", city: "Semarang", country: "Indonesia",
    starts_on: `${NEXT}-03-10`, ends_on: `${NEXT}-03-11`, mode: "open", capacity: 1,
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await staffApi("POST", `/api/activities/${id}/publish`)).status, 200);
  const people = [
    { email: "dewi.lestari@semarang.example.org", name: "Dewi Lestari", password: "lumpia tower harbour wind 4" },
    { email: "nguyen.lan@hue.example.org", name: "Nguyễn Lan", password: "perfume river citadel dawn 7" },
  ];
  for (const p of people) {
    const ctx = await newContext(browser);
    await verifiedAccount(ctx, p);
    const call = await apiSession(ctx, p.email, p.password);
    assert.equal((await call("POST", `/api/activities/${id}/enrollments`, { answers: {} })).status, 201);
    await ctx.close();
  }
  await setup.close();

  const context = await newContext(browser);
  allowApi(context, 422, "POST", /^\/api\/activities\/\d+\/messages$/, "an empty message is refused per field");
  const page = await context.newPage();
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, env.staffEmail, env.staffPassword);
  await page.waitForURL((u) => !u.pathname.endsWith("/login.html"));
  await page.goto(`${env.base}/staff/activity.html?id=${id}`);
  await settle(page);
  const section = page.getByRole("region", { name: "Message participants" });
  await section.waitFor();
  const count = page.locator("#msg-count");

  // Confirmed is chosen at first: one person, named.
  await page.waitForFunction(() => /1 person will receive/.test(document.getElementById("msg-count").textContent));
  assert.match(await count.textContent(), /Dewi Lestari/);
  assert.equal(await page.locator("#msg-history-empty").isVisible(), true);
  await section.scrollIntoViewIfNeeded();
  await checkPage(page, "messages-start");

  // The waiting list too: two people.
  await section.getByLabel("On the waiting list").check();
  await page.waitForFunction(() => /2 people will receive/.test(document.getElementById("msg-count").textContent));
  assert.match(await count.textContent(), /Nguyễn Lan/);

  // Nothing written: the errors sit next to their fields.
  await section.getByRole("button", { name: "Send the message" }).click();
  await page.locator('[data-error-for="subject"]:not([hidden])').waitFor();
  assert.equal(await section.getByLabel("Subject").getAttribute("aria-invalid"), "true");
  await checkPage(page, "messages-errors", { shots: false });

  // Written and previewed: the text as it will read, tags and all.
  const subject = `New venue for the workshop ${Date.now()}`;
  const text = "Dear participants,\nwe meet at the Lawang Sewu hall <main entrance> instead.\nSee you there!";
  await section.getByLabel("Subject").fill(subject);
  await section.getByLabel("Message", { exact: true }).fill(text);
  await section.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByRole("region", { name: "Preview" });
  await preview.waitFor();
  assert.equal(await page.locator("#msg-preview-text").textContent(), text);
  assert.equal(await page.locator("#msg-preview-subject").textContent(), subject);
  await checkPage(page, "messages-preview");

  // Sending asks first, with the number of people.
  const since = await lastMailId();
  await section.getByRole("button", { name: "Send the message" }).click();
  const dialog = page.getByRole("dialog", { name: "Send this message?" });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /goes to 2 people/);
  await checkPage(page, "messages-confirm", { shots: false });
  // Confirming twice in a row (a double click) still sends once.
  const confirm = dialog.getByRole("button", { name: "Send the message" });
  await confirm.dblclick().catch(() => {});
  await page.locator("#msg-result").getByText("Sent: the message is on its way to 2 people.").waitFor();
  assert.equal(await section.getByRole("button", { name: "Send the message" }).isDisabled(), false);
  assert.equal(await section.getByLabel("Subject").inputValue(), "");

  // The history shows it.
  const history = page.getByRole("list", { name: "Sent messages" });
  await history.getByText(subject).waitFor();
  assert.equal(await history.getByRole("listitem").count(), 1);
  assert.match(await history.textContent(), /2 recipients \(Confirmed, On the waiting list\)/);
  await history.getByText("Show the text").click();
  await checkPage(page, "messages-sent");

  // Each person gets the message once, in the layout, the text as written.
  for (const p of people) {
    const mail = await waitForMail(p.email, new RegExp(subject), { after: since });
    assert.match(mail.text, /we meet at the Lawang Sewu hall <main entrance> instead\./);
    assert.match(mail.html, /&lt;main entrance&gt;/);
    assert.match(mail.html, new RegExp(TITLE));
    assert.match(mail.text, /CityNet · Convene/);
  }
  const all = await messages();
  for (const p of people) {
    const mine = all.filter((m) => m.id > since && (m.envelope_to || []).includes(p.email) && m.subject === subject);
    assert.equal(mine.length, 1, `one message to ${p.email}`);
  }
  await assertNoProblems(context);
  await context.close();
});
