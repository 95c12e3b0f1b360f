// staff-export.js - the participants of every activity in a date range as
// one CSV file: a plain link to /api/exports/participants.csv?from=&to=
// kept up to date with the two dates (the session cookie authorises it).
import { query } from "./api.js";
import { byId } from "./dom.js";
import { formatDate, t } from "./i18n.js";
import { initPage } from "./layout.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });

const form = byId("export-form");
const link = byId("export-link");
const error = byId("range-error");
const text = byId("range-text");
const from = form.elements.from;
const to = form.elements.to;
const params = new URLSearchParams(location.search);
const isDay = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v || "");
if (isDay(params.get("from"))) from.value = params.get("from");
if (isDay(params.get("to"))) to.value = params.get("to");

function update() {
  const f = isDay(from.value) ? from.value : "";
  const tt = isDay(to.value) ? to.value : "";
  const backwards = f && tt && tt < f;
  error.hidden = !backwards;
  error.textContent = backwards ? t("staff.export_backwards") : "";
  for (const input of [from, to]) {
    if (backwards) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "range-error");
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
  link.href = `/api/exports/participants.csv${query({ from: f, to: tt })}`;
  if (backwards) link.setAttribute("aria-disabled", "true");
  else link.removeAttribute("aria-disabled");
  if (f && tt) text.textContent = t("staff.export_between", { from: formatDate(f), to: formatDate(tt) });
  else if (f) text.textContent = t("staff.export_from_only", { from: formatDate(f) });
  else if (tt) text.textContent = t("staff.export_to_only", { to: formatDate(tt) });
  else text.textContent = t("staff.export_all");
  history.replaceState(null, "", `/staff/export.html${query({ from: f, to: tt })}`);
}

from.addEventListener("input", update);
to.addEventListener("input", update);
from.addEventListener("change", update);
to.addEventListener("change", update);
link.addEventListener("click", (event) => {
  if (link.getAttribute("aria-disabled") === "true") {
    event.preventDefault();
    from.focus();
  }
});
form.addEventListener("submit", (event) => event.preventDefault());
update();
