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

const r = id > 0 ? await api("GET", `/api/submissions/${id}`) : { ok: false, status: 404, data: null };
if (!r.ok) {
  box.append(h("p", { class: "notice info" }, r.status === 404 ? t("awards.case_not_found") : errorMessage(r)));
} else {
  const c = r.data;
  byId("case-title").textContent = c.title;
  document.title = t("title.pattern", { page: c.title });
  const files = (c.files || []);
  clear(box).append(
    h("section", { class: "card" },
      h("dl", { class: "facts" },
        h("div", null, h("dt", null, t("awards.case_org")), h("dd", null, orgText(c.organisation))),
        h("div", null, h("dt", null, t("awards.case_category")), h("dd", null, c.category)),
        h("div", null, h("dt", null, t("awards.case_status")), h("dd", null, statusChip(c.status))),
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
          " ", h("span", { class: "sub" }, `${sizeText(f.size)} · ${t(`awards.visibility.${f.visibility === "jury" ? "jury" : "public"}`)}`))))
        : h("p", { class: "muted" }, t("awards.case_no_files"))));
}
