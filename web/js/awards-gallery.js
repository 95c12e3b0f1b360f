// awards-gallery.js - the knowledge platform: published cases, filtered
// by goal, category, city, year and words; the filters and the page live in
// the address, so a link shows the same list.
import { api, errorMessage, query } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { t, tn } from "./i18n.js";
import { initPage } from "./layout.js";
import { SDGS, awardsNav, loadCycles, orgText, sdgChips, sdgLabel, sizeText } from "./awards-common.js";
import { saveState } from "./table.js";

const { me } = await initPage();
awardsNav(me, null);
const form = byId("filter");
const out = byId("results");
const count = byId("count");
const PER_PAGE = 12;

for (const n of SDGS) form.elements.sdg.append(h("option", { value: String(n) }, sdgLabel(n)));
// The gallery filters by a category's id (each cycle has its own
// categories): the options are "name · year", newest year first.
const cycles = await loadCycles();
const categoryIds = new Map(); // a category's name -> its ids, for old addresses
if (cycles.ok) {
  const years = new Set();
  const cats = [];
  for (const c of cycles.data.items) {
    years.add(c.year);
    for (const k of c.categories || []) {
      cats.push({ id: k.id, name: k.name, year: c.year });
      categoryIds.set(k.name, [...(categoryIds.get(k.name) || []), String(k.id)]);
    }
  }
  cats.sort((a, b) => b.year - a.year || a.name.localeCompare(b.name));
  for (const k of cats) {
    form.elements.category.append(h("option", { value: String(k.id) }, t("awards.gallery_category_option", { name: k.name, year: String(k.year) })));
  }
  for (const y of [...years].sort((a, b) => b - a)) form.elements.year.append(h("option", { value: String(y) }, String(y)));
}

const params = new URLSearchParams(location.search);
// An address made when the filter took a category's name: its newest id.
if (params.get("category") && !/^\d+$/.test(params.get("category"))) {
  const ids = categoryIds.get(params.get("category"));
  if (ids) params.set("category", ids[0]);
  else params.delete("category");
}
for (const k of ["q", "sdg", "category", "city", "year"]) {
  const v = params.get(k) || "";
  const el = form.elements[k];
  if (el.tagName === "SELECT" && v && ![...el.options].some((o) => o.value === v)) el.append(h("option", { value: v }, v));
  el.value = v;
}
let page = Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1);

function filters() {
  const f = {};
  for (const k of ["q", "sdg", "category", "city", "year"]) f[k] = form.elements[k].value.trim();
  return f;
}

// GalleryItem.category is {id, name}.
function categoryText(k) {
  return k && typeof k === "object" ? k.name : k || "";
}

function card(c) {
  return h("li", { class: "case-card" },
    h("h2", null, h("a", { href: `/awards/case.html?id=${c.id}` }, c.title)),
    h("p", { class: "sub" }, [orgText(c.organisation), categoryText(c.category), c.year ? String(c.year) : null].filter(Boolean).join(" · ")),
    c.award ? h("p", null, h("span", { class: `chip award-${c.award}` }, t(`awards.award.${c.award}`))) : null,
    h("p", null, c.summary),
    sdgChips(c.sdgs),
    // The public files only: the gallery never lists the jury's.
    (c.files || []).length ? h("ul", { class: "file-list", "aria-label": t("awards.gallery_files", { title: c.title }) },
      c.files.map((f) => h("li", null,
        h("a", { href: `/api/submissions/${c.id}/files/${f.id}`, download: f.filename }, f.filename), " ",
        h("span", { class: "sub" }, sizeText(f.size))))) : null);
}

function pageLink(n, key) {
  const q = new URLSearchParams(query({ ...filters(), page: n > 1 ? n : "" }).slice(1));
  const s = q.toString();
  return h("a", { class: "button-link secondary", href: s ? `?${s}` : location.pathname, dataset: { page: n } }, t(key));
}

async function show() {
  out.setAttribute("aria-busy", "true");
  const r = await api("GET", `/api/awards/gallery${query({ ...filters(), page, per_page: PER_PAGE })}`);
  out.removeAttribute("aria-busy");
  clear(out);
  if (!r.ok || !r.data || !Array.isArray(r.data.items)) {
    count.textContent = "";
    out.append(h("p", { class: "notice bad" }, r.status === 404 ? t("awards.gallery_unavailable") : errorMessage(r)));
    return;
  }
  const total = Number(r.data.total) || 0;
  count.textContent = tn("awards.gallery_count", total);
  if (!r.data.items.length) {
    out.append(h("div", { class: "empty-state" }, h("p", null, t("awards.gallery_empty"))));
    return;
  }
  out.append(h("ul", { class: "case-cards" }, r.data.items.map(card)));
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  if (pages > 1) {
    out.append(h("nav", { class: "pager", "aria-label": t("awards.gallery_pages") },
      page > 1 ? pageLink(page - 1, "table.previous") : null,
      h("span", { class: "page-text" }, t("table.page_of", { page, pages })),
      page < pages ? pageLink(page + 1, "table.next") : null));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  page = 1;
  saveState({ ...filters(), page });
  await show();
});
await show();
