// layout.js - the frame every page shares. A page's HTML holds the
// header (brand and an empty <nav class="site-nav">), <main id="main"> and
// the footer, with English text; its script starts with
//
//   const { me } = await initPage({ auth: "required" });
//
// which fetches the account (GET /api/session, keeping its CSRF token), loads
// the language (the account's locale, else the browser's, else English),
// translates the page, fills the navigation and shows a message left by the
// previous page (flash). auth: "optional" (default) or "required" (sends
// people who are not logged in to the log-in page, then back). role: a role
// the page needs ("admin"), or a list of roles any one of which will do
// (["staff", "admin"]); others see a message instead of the page
// (forbiddenKey: its text, for pages that are not the administrators').
// For "required" and role, the returned promise never resolves when the
// page cannot be shown, so the page's script stops there.
import { api, fetchMe, setCsrf } from "./api.js";
import { h, clear } from "./dom.js";
import { loadLanguage, t, translate } from "./i18n.js";

// The main navigation. show(me) says whether the item is there; current
// (path) whether it is the page being shown. Later sections (the activity
// calendar, registrations) edit this list.
export const NAV = [
  {
    key: "nav.calendar",
    href: "/index.html",
    show: () => true,
    current: (p) => p === "/" || p === "/index.html",
  },
  {
    key: "nav.awards",
    href: "/awards/index.html",
    show: () => true,
    current: (p) => p.startsWith("/awards/"),
  },
  { key: "nav.registrations", href: "/my-registrations.html", show: (me) => Boolean(me) },
  {
    key: "nav.profile",
    href: "/profile.html",
    show: (me) => Boolean(me),
    current: (p) => p === "/profile.html" || p === "/sessions.html",
  },
  {
    key: "nav.staff",
    href: "/staff/activities.html",
    show: (me) => isStaff(me),
    current: (p) => p.startsWith("/staff/") && !p.startsWith("/staff/award") && p !== "/staff/affiliations.html",
  },
  {
    key: "nav.staff_awards",
    href: "/staff/awards.html",
    show: (me) => isStaff(me),
    current: (p) => p.startsWith("/staff/award") || p === "/staff/affiliations.html",
  },
  {
    key: "nav.admin",
    href: "/admin/accounts.html",
    show: (me) => hasRole(me, "admin"),
    current: (p) => p.startsWith("/admin/"),
  },
  { key: "nav.signup", href: "/signup.html", show: (me) => !me },
];

const FLASH = "convene.flash";

// Until the page is ready (its script's handlers in place), a form sent
// with Enter must not go to the server as a plain HTML form.
document.addEventListener("submit", (event) => {
  if (!document.body.classList.contains("ready")) event.preventDefault();
}, true);

export function hasRole(me, role) {
  if (Array.isArray(role)) return role.some((r) => hasRole(me, r));
  return Boolean(me && Array.isArray(me.roles) && me.roles.includes(role));
}

// Staff pages are for staff and administrators (as the API allows).
export function isStaff(me) {
  return hasRole(me, ["staff", "admin"]);
}

// Leaves a message (a dictionary key) for the next page this tab shows.
export function setFlash(kind, key) {
  sessionStorage.setItem(FLASH, JSON.stringify({ kind, key }));
}

function takeFlash() {
  const raw = sessionStorage.getItem(FLASH);
  if (!raw) return null;
  sessionStorage.removeItem(FLASH);
  try {
    return JSON.parse(raw);
  } catch (e) {
    return null;
  }
}

// The current page as a "next" target for the log-in page.
export function loginHref() {
  const here = location.pathname + location.search;
  // Pages not worth coming back to after logging in.
  const skip = ["/", "/index.html", "/login.html", "/signup.html", "/verify-email.html",
    "/resend-verification.html", "/forgot-password.html", "/reset-password.html"];
  return skip.includes(location.pathname) ? "/login.html" : `/login.html?next=${encodeURIComponent(here)}`;
}

function renderNav(me) {
  const nav = document.querySelector("nav.site-nav");
  if (!nav) return;
  const path = location.pathname;
  const list = h("ul");
  for (const item of NAV) {
    if (!item.show(me)) continue;
    const current = item.current ? item.current(path) : path === item.href;
    list.append(h("li", null,
      h("a", { href: item.href, "aria-current": current ? "page" : null }, t(item.key))));
  }
  if (me) {
    const button = h("button", { type: "button", class: "link" }, t("nav.logout"));
    button.addEventListener("click", () => logout(button));
    list.append(h("li", null, button));
  } else {
    const current = path === "/login.html";
    list.append(h("li", null,
      h("a", { href: loginHref(), "aria-current": current ? "page" : null }, t("nav.login"))));
  }
  clear(nav).append(list);
}

async function logout(button) {
  button.disabled = true;
  const r = await api("POST", "/api/auth/logout");
  // 401: the session had ended already; either way nobody is logged in now.
  if (r.ok || r.status === 401) {
    setCsrf("");
    setFlash("ok", "flash.logged_out");
    location.assign("/login.html");
    return;
  }
  button.disabled = false;
  showBanner("bad", t("error.logout"));
}

// A message at the top of <main>.
export function showBanner(kind, text) {
  const main = document.getElementById("main");
  let el = document.getElementById("banner");
  if (!el) {
    el = h("p", { id: "banner" });
    main.prepend(el);
  }
  el.setAttribute("role", kind === "bad" ? "alert" : "status");
  el.className = `notice ${kind} banner`;
  el.textContent = text;
  el.hidden = false;
}

// Replaces the page's content with a message (no access, not found...).
function replaceMain(titleKey, textKey, link) {
  const main = document.getElementById("main");
  clear(main).append(h("section", { class: "card" },
    h("h1", null, t(titleKey)),
    h("p", null, t(textKey)),
    link ? h("p", null, h("a", { href: link.href }, t(link.key))) : null));
  document.title = t("title.pattern", { page: t(titleKey) });
}

const never = () => new Promise(() => {});

export async function initPage({ auth = "optional", role = null, forbiddenKey = "layout.forbidden_text" } = {}) {
  let me = await fetchMe();
  let failed = null;
  if (me && me.error) {
    failed = me.error;
    me = null;
  }
  await loadLanguage(me ? me.locale : null);
  translate(document);
  renderNav(me);
  document.body.classList.add("ready");

  const flash = takeFlash();
  if (flash && flash.key) showBanner(flash.kind || "ok", t(flash.key));
  if (failed) showBanner("bad", t("error.me_failed"));

  if (auth === "required" && !me) {
    if (failed) {
      replaceMain("layout.unavailable_title", "error.me_failed");
      return never();
    }
    location.replace(loginHref());
    return never();
  }
  if (role && !hasRole(me, role)) {
    replaceMain("layout.forbidden_title", forbiddenKey, { href: "/index.html", key: "nav.calendar" });
    return never();
  }
  return { me };
}
