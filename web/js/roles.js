// roles.js - the roles an account can have, shown as labelled chips.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export const ROLES = ["participant", "judge", "staff", "admin"];

export function roleChips(roles) {
  const list = (roles || []).filter(Boolean);
  if (!list.length) return [h("span", { class: "muted" }, t("role.none"))];
  return list.map((r) => h("span", { class: `chip role-${r}` }, t(`role.${r}`)));
}
