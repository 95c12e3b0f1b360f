// staff-award-cycle.js - create or edit an award cycle: its phases (in the
// browser's time zone, named on the page), the jury and public shares,
// the rules, the categories and the criteria. On edit only the members
// that changed are sent (criteria lock once judges have scored).
import { api } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { setBusy } from "./form.js";
import { t } from "./i18n.js";
import { initPage, setFlash } from "./layout.js";
import { localErrors, showErrors, staffAwardsNav, zoneName } from "./awards-common.js";

await initPage({ auth: "required", role: ["staff", "admin"], forbiddenKey: "layout.forbidden_staff" });
const id = Number.parseInt(new URLSearchParams(location.search).get("id") || "", 10) || null;
const form = byId("cycle-form");
const summaryEl = byId("error-summary");
const WHEN = ["submission_opens_at", "submission_closes_at", "voting_opens_at", "voting_closes_at",
  "evaluation_opens_at", "evaluation_closes_at"];
const NUMBERS = ["year", "min_judges", "finalists_per_category", "max_cases_per_org"];
const FLAGS = ["normalise", "country_conflicts", "self_vote"];
const KINDS = ["member_city", "partner", "national_chapter", "secretariat"];
let original = null;

staffAwardsNav(id);
byId("zone-hint").textContent = t("staff.cycle.zone_hint", { zone: zoneName() || "UTC" });
for (const k of KINDS) {
  byId("kinds").append(h("div", { class: "check" },
    h("input", { type: "checkbox", name: "eligible_kinds", id: `kind-${k}`, value: k }),
    h("label", { for: `kind-${k}` }, t(`staff.cycle.kind.${k}`))));
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function toLocal(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocal(v) {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

let rows = 0;
function itemRow(list, kind, item) {
  const i = rows++;
  const base = `${kind}.${i}`;
  const li = h("li", { class: "item-edit", dataset: { kind, id: item.id || "" } });
  const field = (name, label, control) => h("div", { class: "field" },
    h("label", { for: `${base}-${name}` }, label), control,
    h("p", { class: "field-error", dataset: { errorFor: `${base}.${name}` }, hidden: true }));
  li.append(field("name", t(kind === "categories" ? "staff.cycle.category_name" : "staff.cycle.criterion_name"),
    h("input", { id: `${base}-name`, name: `${base}.name`, type: "text", maxlength: "200", value: item.name || "" })));
  const desc = h("textarea", { id: `${base}-description`, name: `${base}.description`, rows: "2", maxlength: "2000" });
  desc.value = item.description || "";
  li.append(field("description", t("staff.cycle.item_description"), desc));
  if (kind === "criteria") {
    li.append(h("div", { class: "field-row" },
      field("weight", t("staff.cycle.criterion_weight"),
        h("input", { id: `${base}-weight`, name: `${base}.weight`, type: "number", min: "0.1", max: "1000", step: "any", value: item.weight !== undefined ? String(item.weight) : "1" })),
      field("scale_max", t("staff.cycle.criterion_scale"),
        h("input", { id: `${base}-scale_max`, name: `${base}.scale_max`, type: "number", min: "1", max: "100", step: "1", value: item.scale_max !== undefined ? String(item.scale_max) : "10" }))));
  }
  const remove = h("button", { type: "button", class: "secondary small" }, t("staff.cycle.remove_item"));
  remove.setAttribute("aria-label", t("staff.cycle.remove_item_of", { name: item.name || t("staff.cycle.new_item") }));
  remove.addEventListener("click", () => {
    li.remove();
    byId(kind === "categories" ? "add-category" : "add-criterion").focus();
  });
  li.append(h("p", null, remove));
  list.append(li);
  return li;
}

function items(kind) {
  return [...byId(kind).querySelectorAll("li.item-edit")].map((li) => {
    const get = (n) => li.querySelector(`[name$=".${n}"]`);
    const o = {};
    if (li.dataset.id) o.id = Number(li.dataset.id);
    o.name = get("name").value.trim();
    o.description = get("description").value.trim() || null;
    if (kind === "criteria") {
      o.weight = Number(get("weight").value);
      o.scale_max = Number.parseInt(get("scale_max").value, 10);
    }
    return o;
  });
}

// The field names of the rows, renumbered in their order, so that the
// API's "categories.<i>.name" errors land on the right row.
function renumber() {
  for (const kind of ["categories", "criteria"]) {
    [...byId(kind).querySelectorAll("li.item-edit")].forEach((li, i) => {
      for (const el of li.querySelectorAll("[name]")) el.name = el.name.replace(/^(\w+)\.\d+\./, `$1.${i}.`);
      for (const el of li.querySelectorAll("[data-error-for]")) {
        el.dataset.errorFor = el.dataset.errorFor.replace(/^(\w+)\.\d+\./, `$1.${i}.`);
      }
    });
  }
}

function fill(c) {
  form.elements.title.value = c.title || "";
  for (const f of NUMBERS) form.elements[f].value = c[f] !== undefined && c[f] !== null ? String(c[f]) : "";
  for (const f of WHEN) form.elements[f].value = toLocal(c[f]);
  for (const f of FLAGS) form.elements[f].checked = Boolean(c[f]);
  form.elements.jury_weight.value = String(Math.round((c.jury_weight ?? 0.7) * 100));
  form.elements.public_weight.value = String(Math.round((c.public_weight ?? 0.3) * 100));
  for (const box of form.querySelectorAll("input[name=eligible_kinds]")) box.checked = (c.eligible_kinds || ["member_city"]).includes(box.value);
  form.elements.ceremony_on.value = c.ceremony_on || "";
  form.elements.ceremony_place.value = c.ceremony_place || "";
  clear(byId("categories"));
  clear(byId("criteria"));
  for (const k of c.categories || []) itemRow(byId("categories"), "categories", k);
  for (const k of c.criteria || []) itemRow(byId("criteria"), "criteria", k);
}

function body() {
  const b = { title: form.elements.title.value.trim() };
  for (const f of NUMBERS) {
    const v = form.elements[f].value.trim();
    if (v !== "") b[f] = Number(v);
  }
  for (const f of WHEN) {
    const v = form.elements[f].value;
    if (v) b[f] = fromLocal(v);
  }
  for (const f of FLAGS) b[f] = form.elements[f].checked;
  const jw = form.elements.jury_weight.value.trim();
  const pw = form.elements.public_weight.value.trim();
  if (jw !== "") b.jury_weight = Math.round(Number(jw)) / 100;
  if (pw !== "") b.public_weight = Math.round(Number(pw)) / 100;
  b.eligible_kinds = [...form.querySelectorAll("input[name=eligible_kinds]:checked")].map((x) => x.value);
  b.ceremony_on = form.elements.ceremony_on.value || null;
  b.ceremony_place = form.elements.ceremony_place.value.trim() || null;
  b.categories = items("categories");
  b.criteria = items("criteria");
  return b;
}

// What is missing, worded as what to do.
function check(b) {
  const out = {};
  if (!b.year) out.year = t("staff.cycle.err.year");
  if (!b.title) out.title = t("staff.cycle.err.title");
  for (const f of WHEN) if (!b[f]) out[f] = t(`staff.cycle.err.${f}`);
  if (!b.eligible_kinds.length) out.eligible_kinds = t("staff.cycle.err.kinds");
  if (!b.categories.length) out.categories = t("staff.cycle.err.no_categories");
  if (!b.criteria.length) out.criteria = t("staff.cycle.err.no_criteria");
  b.categories.forEach((k, i) => { if (!k.name) out[`categories.${i}.name`] = t("staff.cycle.err.category_name"); });
  b.criteria.forEach((k, i) => { if (!k.name) out[`criteria.${i}.name`] = t("staff.cycle.err.criterion_name"); });
  if (b.jury_weight !== undefined && b.public_weight !== undefined && Math.abs(b.jury_weight + b.public_weight - 1) > 1e-9) {
    out.public_weight = t("staff.cycle.err.weights");
  }
  return out;
}

form.elements.jury_weight.addEventListener("input", () => {
  const v = Number(form.elements.jury_weight.value);
  if (Number.isFinite(v) && v >= 0 && v <= 100) form.elements.public_weight.value = String(100 - Math.round(v));
});
form.elements.public_weight.addEventListener("input", () => {
  const v = Number(form.elements.public_weight.value);
  if (Number.isFinite(v) && v >= 0 && v <= 100) form.elements.jury_weight.value = String(100 - Math.round(v));
});
byId("add-category").addEventListener("click", () => {
  itemRow(byId("categories"), "categories", {}).querySelector("input").focus();
  renumber();
});
byId("add-criterion").addEventListener("click", () => {
  itemRow(byId("criteria"), "criteria", {}).querySelector("input").focus();
  renumber();
});

if (id) {
  const r = await api("GET", `/api/awards/cycles/${id}`);
  if (r.ok) {
    original = r.data;
    byId("cycle-heading").textContent = t("staff.cycle.edit_heading", { title: r.data.title });
    document.title = t("title.pattern", { page: t("staff.cycle.edit_heading", { title: r.data.title }) });
    fill(r.data);
  }
} else {
  const y = new Date().getFullYear();
  fill({
    year: y, min_judges: 3, finalists_per_category: 3, max_cases_per_org: 1, normalise: false,
    eligible_kinds: ["member_city"], jury_weight: 0.7, public_weight: 0.3,
    categories: [{}], criteria: [{ weight: 1, scale_max: 10 }],
  });
}
renumber();
byId("loading").remove();
form.hidden = false;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  renumber();
  const b = body();
  const problems = check(b);
  if (Object.keys(problems).length) {
    showErrors(form, summaryEl, localErrors(problems));
    return;
  }
  if (original) {
    // Only what changed: criteria lock once judges have scored.
    for (const k of Object.keys(b)) {
      const before = k === "jury_weight" || k === "public_weight" ? Math.round(original[k] * 100) / 100 : original[k];
      const same = k === "categories" || k === "criteria"
        ? JSON.stringify(b[k]) === JSON.stringify((original[k] || []).map((x) => {
          const o = { id: x.id, name: x.name, description: x.description };
          if (k === "criteria") Object.assign(o, { weight: x.weight, scale_max: x.scale_max });
          return o;
        }))
        : WHEN.includes(k) ? Math.floor(Date.parse(b[k]) / 60000) === Math.floor(Date.parse(before) / 60000) : JSON.stringify(b[k]) === JSON.stringify(before ?? null);
      if (same) delete b[k];
    }
    // The shares go together: the API checks that they add up.
    if ("jury_weight" in b || "public_weight" in b) {
      b.jury_weight = Math.round(Number(form.elements.jury_weight.value)) / 100;
      b.public_weight = Math.round(Number(form.elements.public_weight.value)) / 100;
    }
  }
  const button = byId("save");
  setBusy(button, true);
  const r = original ? await api("PATCH", `/api/awards/cycles/${id}`, b) : await api("POST", "/api/awards/cycles", b);
  setBusy(button, false);
  if (!r.ok) {
    showErrors(form, summaryEl, r);
    return;
  }
  setFlash("ok", original ? "staff.cycle.saved" : "staff.cycle.created");
  location.assign(`/staff/award-cycle.html?id=${r.data.id}`);
});
