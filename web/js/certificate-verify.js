// certificate-verify.js - the public check of a certificate of attendance:
// the code from ?code= (the QR code's link) or typed in, answered by
// GET /api/certificates/{code}: who, which activity, when, and whether
// staff revoked it.
import { api, errorMessage, query, queryParam } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { initPage } from "./layout.js";

await initPage({ auth: "optional" });

const form = byId("verify-form");
const result = byId("result");
const title = byId("result-title");
const facts = byId("result-facts");

function fact(label, text) {
  return [h("dt", null, label), h("dd", null, text)];
}

function show(kind, heading, rows) {
  result.className = `card cert-result ${kind}`;
  title.textContent = heading;
  clear(facts).append(...rows.flat());
  result.hidden = false;
}

async function check(code) {
  const clean = code.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(clean)) {
    show("bad", t("cert.not_found"), []);
    return;
  }
  const r = await api("GET", `/api/certificates/${clean}`);
  if (r.status === 404) {
    show("bad", t("cert.not_found"), []);
    return;
  }
  if (!r.ok) {
    show("bad", errorMessage(r), []);
    return;
  }
  const c = r.data;
  const rows = [
    fact(t("cert.f_name"), c.participant_name),
    fact(t("cert.f_activity"), c.activity_title),
    c.dates ? fact(t("cert.f_dates"), c.dates) : [],
    c.host ? fact(t("cert.f_host"), c.host) : [],
    fact(t("cert.f_number"), c.number),
    fact(t("cert.f_issued"), formatDate(c.issued_on)),
  ];
  if (c.revoked) rows.push(fact(t("cert.f_revoked"), formatDate(c.revoked_on)));
  show(c.revoked ? "bad" : "ok", t(c.revoked ? "cert.revoked_heading" : "cert.valid_heading"), rows);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = form.elements.code.value;
  history.replaceState(null, "", `/certificates/verify.html${query({ code: code.trim() })}`);
  await check(code);
  title.setAttribute("tabindex", "-1");
  title.focus();
});

const given = queryParam("code");
if (given) {
  form.elements.code.value = given;
  await check(given);
}
