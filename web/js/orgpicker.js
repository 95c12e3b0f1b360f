// orgpicker.js - choosing an organisation from GET /api/organisations:
// a search field filters a list box (a native <select size>, so keyboards
// and screen readers handle it as any list); typing that leaves one match
// or changes the matches selects the first, and the number of matches is
// announced. The chosen organisation's country can fill a country field
// that is still empty.
//
// Markup: <input type="search" id="org-search"> with its label,
//         <select id="organisation" name="organisation_id" size="6"> with its
//         label, and <p id="org-count" class="hint" aria-live="polite">.
import { api, errorMessage } from "./api.js";
import { clear, h } from "./dom.js";
import { t, tn } from "./i18n.js";

let cache = null;

export async function loadOrganisations() {
  if (!cache) {
    cache = api("GET", "/api/organisations").then((r) => {
      if (!r.ok) cache = null;
      return r;
    });
  }
  return cache;
}

function fold(s) {
  return String(s || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

function label(o) {
  const where = [o.city, o.country].filter(Boolean).join(", ");
  return where && o.city !== o.name ? `${o.name} — ${where}` : o.name;
}

// Sets up the picker; resolves with {orgs, setValue(id)} once the list is
// loaded (orgs is [] when it could not be).
export async function setupOrgPicker({ search, select, count, country }) {
  select.disabled = true;
  count.textContent = t("org.loading");
  const r = await loadOrganisations();
  const orgs = r.ok && r.data && Array.isArray(r.data.items) ? r.data.items : [];
  if (!r.ok) {
    count.textContent = `${t("org.failed")} ${errorMessage(r)}`;
    count.classList.add("field-error");
  }
  for (const o of orgs) o.folded = fold(`${o.name} ${o.city || ""} ${o.country || ""}`);
  let selected = "";

  function render(matches, { pickFirst }) {
    clear(select);
    select.append(h("option", { value: "" }, t("org.none")));
    for (const o of matches) select.append(h("option", { value: String(o.id) }, label(o)));
    if (matches.some((o) => String(o.id) === selected)) {
      select.value = selected;
    } else if (pickFirst && matches.length) {
      select.value = String(matches[0].id);
      selected = select.value;
    } else {
      // Keep the chosen organisation visible even when the search hides it.
      const o = orgs.find((x) => String(x.id) === selected);
      if (o) {
        select.append(h("option", { value: selected }, label(o)));
        select.value = selected;
      } else {
        select.value = "";
      }
    }
  }

  function filter(pickFirst) {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    const matches = orgs.filter((o) => words.every((w) => o.folded.includes(w)));
    render(matches, { pickFirst: pickFirst && words.length > 0 });
    count.textContent = words.length ? tn("org.matches", matches.length) : tn("org.total", orgs.length);
  }

  search.addEventListener("input", () => filter(true));
  // Enter in the search field picks the first match instead of sending the form.
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      filter(true);
      select.focus();
    }
  });
  select.addEventListener("change", () => {
    selected = select.value;
    fillCountry();
  });
  search.addEventListener("input", fillCountry);

  // The country follows the organisation while it is empty or still holds
  // what was filled in automatically.
  let autoCountry = null;
  function fillCountry() {
    if (!country) return;
    const current = country.value.trim();
    if (current && current !== autoCountry) return;
    const o = orgs.find((x) => String(x.id) === select.value);
    if (o && o.country) {
      country.value = o.country;
      autoCountry = o.country;
    }
  }

  filter(false);
  select.disabled = orgs.length === 0;
  return {
    orgs,
    setValue(id) {
      selected = id ? String(id) : "";
      filter(false);
    },
  };
}

// Fills a <datalist> with the countries of the organisations.
export async function fillCountries(datalist) {
  const r = await loadOrganisations();
  if (!r.ok || !r.data) return;
  const names = [...new Set(r.data.items.map((o) => o.country).filter(Boolean))].sort();
  clear(datalist).append(...names.map((n) => h("option", { value: n })));
}
