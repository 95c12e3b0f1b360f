// awards-case.js - one case as people read it: its organisation, category,
// goals, texts and the files they may open (the public ones; the jury's
// too for staff, judges and the organisation's members).
import { api, errorMessage } from "./api.js";
import { byId, clear, h } from "./dom.js";
import { t } from "./i18n.js";
import { initPage } from "./layout.js";
import { awardsNav, orgText, sdgChips, sizeText, statusChip, whenText } from "./awards-common.js";

const { me } = await initPage();
awardsNav(me, null);
const id = Number.parseInt(new URLSearchParams(location.search).get("id") || "", 10);
const box = byId("case");
byId("loading").remove();

function section(titleKey, text) {
  if (!text) return null;
  return h("section", { class: "case-part" }, h("h2", null, t(titleKey)), h("p", { class: "prose" }, text));
}

// Those who may read the case (staff, its organisation's members, its
// judges) get all of it; anyone else gets the gallery's public view of a
// published case (GET /api/awards/gallery/{id}: public files only, no
// status). While that route is missing (404 or 405 for every id), a case
// one may not read is "not found", as it is for a case not published.
async function load() {
  if (!(id > 0)) return { r: { ok: false, status: 404, data: null }, full: false };
  const own = await api("GET", `/api/submissions/${id}`);
  if (own.ok || own.status !== 404) return { r: own, full: true };
  const pub = await api("GET", `/api/awards/gallery/${id}`);
  if (pub.status === 405) return { r: { ok: false, status: 404, data: null }, full: false };
  return { r: pub, full: false };
}

const { r, full } = await load();
if (!r.ok) {
  box.append(h("p", { class: "notice info" }, r.status === 404 ? t("awards.case_not_found") : errorMessage(r)));
} else {
  const c = r.data;
  byId("case-title").textContent = c.title;
  document.title = t("title.pattern", { page: c.title });
  // The public view lists public files only; never show a jury file to
  // someone who is not meant to see it, whatever an answer holds.
  const files = (c.files || []).filter((f) => full || f.visibility !== "jury");
  const category = c.category && typeof c.category === "object" ? c.category.name : c.category;
  clear(box).append(
    h("section", { class: "card" },
      h("dl", { class: "facts" },
        h("div", null, h("dt", null, t("awards.case_org")), h("dd", null, orgText(c.organisation))),
        h("div", null, h("dt", null, t("awards.case_category")), h("dd", null, category)),
        c.year ? h("div", null, h("dt", null, t("awards.case_year")), h("dd", null, String(c.year))) : null,
        c.award ? h("div", null, h("dt", null, t("awards.case_award")), h("dd", null, h("span", { class: `chip award-${c.award}` }, t(`awards.award.${c.award}`)))) : null,
        c.status ? h("div", null, h("dt", null, t("awards.case_status")), h("dd", null, statusChip(c.status))) : null,
        c.submitted_at ? h("div", null, h("dt", null, t("awards.case_submitted")), h("dd", null, whenText(c.submitted_at))) : null),
      h("h2", null, t("awards.case_sdgs")),
      sdgChips(c.sdgs)),
    h("section", { class: "card" },
      section("awards.case_summary", c.summary),
      section("awards.case_description", c.description),
      section("awards.case_partners", c.partners),
      section("awards.case_results", c.results)),
    h("section", { class: "card", "aria-labelledby": "files-title" },
      h("h2", { id: "files-title" }, t("awards.case_files")),
      files.length
        ? h("ul", { class: "file-list" }, files.map((f) => h("li", null,
          h("a", { href: `/api/submissions/${c.id}/files/${f.id}`, download: f.filename }, f.filename),
          " ", h("span", { class: "sub" }, full
            ? `${sizeText(f.size)} · ${t(`awards.visibility.${f.visibility === "jury" ? "jury" : "public"}`)}`
            : sizeText(f.size)))))
        : h("p", { class: "muted" }, t("awards.case_no_files"))));
}
