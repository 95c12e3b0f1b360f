// certificates.test.mjs - certificates of attendance (issue 14): staff
// reach the certificate page from the activity, change the layout (a
// signatory, a logo) and see the preview image drawn again, switch
// certificates on and issue them to the participant marked attended; the
// participant gets the PDF by email; anyone checks the code on the public
// verification page, which says so once staff revoke it, and an unknown
// code is reported as such. Every state is checked with axe-core (lib.mjs
// fails on any violation) and photographed at 1280 and 360 px with the
// overflow check.
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

const NEXT = new Date().getFullYear() + 1;
const TITLE = "Urban Flood Resilience Training";
const PERSON = { email: "somchai.jaidee@bangkok.example.org", name: "สมชาย ใจดี", password: "chao phraya river boat 9" };
const LOGO = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="60" height="60" rx="10" fill="#0b4f6c"/><circle cx="30" cy="30" r="16" fill="#c9a227"/></svg>`;

// True once the preview image has loaded with pixels.
async function previewLoaded(page) {
  await page.waitForFunction(() => {
    const img = document.getElementById("preview");
    return img.complete && img.naturalWidth > 0;
  });
}

test("staff set the layout, issue certificates, and anyone verifies one", async () => {
  // The scene: a published activity and a participant marked attended.
  const setup = await newContext(browser);
  const staffApi = await apiSession(setup, env.staffEmail, env.staffPassword);
  const created = await staffApi("POST", "/api/activities", {
    kind: "training_programme", title: TITLE, timezone: "Asia/Bangkok", city: "Bangkok", country: "Thailand",
    starts_on: `${NEXT}-02-10`, ends_on: `${NEXT}-02-12`, mode: "open",
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await staffApi("POST", `/api/activities/${id}/publish`)).status, 200);
  const ctx = await newContext(browser);
  await verifiedAccount(ctx, PERSON);
  const call = await apiSession(ctx, PERSON.email, PERSON.password);
  const enrolled = await call("POST", `/api/activities/${id}/enrollments`, { answers: {} });
  assert.equal(enrolled.status, 201);
  await ctx.close();
  assert.equal((await staffApi("POST", `/api/enrollments/${enrolled.body.id}/attended`)).status, 200);
  await setup.close();

  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${env.base}/login.html`);
  await settle(page);
  await logIn(page, env.staffEmail, env.staffPassword);
  await page.waitForURL((u) => !u.pathname.endsWith("/login.html"));

  // From the activity's staff page to its certificates.
  await page.goto(`${env.base}/staff/activity.html?id=${id}`);
  await settle(page);
  await page.getByRole("link", { name: "Certificates", exact: true }).click();
  await page.waitForURL((u) => u.pathname === "/staff/certificates.html");
  await settle(page);
  await page.getByRole("heading", { name: `Certificates: ${TITLE}` }).waitFor();
  await page.getByText("Marked attended: 1. Certificates issued: 0. Still to issue: 1.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Issue certificates" }).isDisabled(), true);
  await previewLoaded(page);
  await checkPage(page, "certificates-start");

  // The layout: a signatory, then a logo; the preview is drawn again.
  const before = await page.locator("#preview").getAttribute("src");
  await page.getByLabel("Signatory's name").fill("김민준");
  await page.getByLabel("Signatory's title").fill("Secretary General, CityNet");
  await page.getByRole("button", { name: "Save the layout" }).click();
  await page.getByText("The layout is saved; the preview shows it.").waitFor();
  await page.waitForFunction((old) => document.getElementById("preview").getAttribute("src") !== old, before);
  await previewLoaded(page);
  await page.getByLabel("PNG or SVG file, at most 1 MB").setInputFiles({
    name: "logo.svg", mimeType: "image/svg+xml", buffer: Buffer.from(LOGO),
  });
  await page.getByRole("button", { name: "Upload the logo" }).click();
  await page.getByText("The logo is saved; the preview shows it.").waitFor();
  await page.getByText(/Current logo: SVG, \d+ KB\./).waitFor();
  await previewLoaded(page);
  await checkPage(page, "certificates-layout");

  // Switched on and issued: one certificate, shown in the table.
  const since = await lastMailId();
  await page.getByLabel("Certificates are on for this activity").check();
  await page.getByText("Certificates are on for this activity.").waitFor();
  await page.getByRole("button", { name: "Issue certificates" }).click();
  await page.getByText("1 certificate issued; it is being emailed.").waitFor();
  const table = page.getByRole("table", { name: "Issued certificates" });
  await table.getByRole("cell", { name: PERSON.name, exact: true }).waitFor();
  await checkPage(page, "certificates-issued");
  const href = await table.getByRole("link").first().getAttribute("href");
  const code = new URL(href, env.base).searchParams.get("code");
  assert.match(code, /^[0-9a-f]{32}$/);

  // The participant's mail carries the PDF.
  const mail = await waitForMail(PERSON.email, /certificate of attendance/i, { after: since, timeoutMs: 30000 });
  assert.equal(mail.attachments.length, 1);
  assert.equal(mail.attachments[0].content_type, "application/pdf");
  assert.ok(mail.attachments[0].size > 10000);

  // Anyone verifies the code.
  const visitor = await newContext(browser);
  allowApi(visitor, 404, "GET", /^\/api\/certificates\/[0-9a-f]{32}$/, "an unknown code is reported as such");
  const v = await visitor.newPage();
  await v.goto(`${env.base}/certificates/verify.html?code=${code}`);
  await settle(v);
  await v.getByRole("heading", { name: "This certificate is genuine" }).waitFor();
  const facts = await v.locator("#result-facts").textContent();
  assert.match(facts, new RegExp(PERSON.name));
  assert.match(facts, new RegExp(TITLE));
  await checkPage(v, "certificate-verify");

  // Revoked by staff: the page says so.
  await table.getByRole("button", { name: `Revoke certificate` }).click();
  await page.getByText(/is revoked; its verification page says so\./).waitFor();
  await table.getByRole("cell", { name: "Revoked", exact: true }).waitFor();
  await v.reload();
  await settle(v);
  await v.getByRole("heading", { name: "This certificate has been revoked" }).waitFor();
  assert.match(await v.locator("#result-facts").textContent(), /Revoked on/);
  await checkPage(v, "certificate-verify-revoked");

  // A code typed wrong.
  await v.getByLabel("Certificate code").fill("0123456789abcdef0123456789abcdef");
  await v.getByRole("button", { name: "Verify" }).click();
  await v.getByRole("heading", { name: "No certificate has this code. Check the code you typed." }).waitFor();
  await checkPage(v, "certificate-verify-unknown", { shots: false });

  await assertNoProblems(visitor);
  await visitor.close();
  await assertNoProblems(context);
  await context.close();
});
