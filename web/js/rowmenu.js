// rowmenu.js - a table row's actions: the main one as a visible button or
// link, the rest behind a "More" button that opens a list in place (the
// disclosure pattern: aria-expanded and aria-controls on the button, the
// list's items are ordinary buttons and links, so screen readers and the
// Tab key find them as they are). The open list is placed beside its button
// with position: fixed, so it neither widens the table nor is cut off by
// the table's scrolling region; it follows the button when the page
// scrolls.
//
//   rowActions({
//     main: node | null,                       // a button or link, or nothing
//     more: [{label, onSelect, href, danger, ariaLabel}],  // the rest
//     name: "Ana Reyes",                      // for "More actions: Ana Reyes"
//   })
//
// Keyboard: Enter or Space on "More" opens the list and moves to its first
// item; Down and Up arrows (Home, End) move between the items; Escape closes
// it and returns to "More"; leaving the menu (Tab, a click elsewhere)
// closes it.
import { h } from "./dom.js";
import { t } from "./i18n.js";

let counter = 0;
let openMenu = null;

function close(menu, focusButton) {
  if (!menu) return;
  menu.button.setAttribute("aria-expanded", "false");
  menu.list.hidden = true;
  if (openMenu === menu) openMenu = null;
  if (focusButton) menu.button.focus();
}

document.addEventListener("click", (event) => {
  if (openMenu && !openMenu.root.contains(event.target)) close(openMenu, false);
});

// Below the button (above it when there is no room below), inside the
// viewport.
function place(menu) {
  const r = menu.button.getBoundingClientRect();
  const list = menu.list;
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const left = Math.max(8, Math.min(r.left, vw - list.offsetWidth - 8));
  let top = r.bottom + 4;
  if (top + list.offsetHeight > vh && r.top - list.offsetHeight - 4 >= 0) top = r.top - list.offsetHeight - 4;
  list.style.left = `${Math.round(left)}px`;
  list.style.top = `${Math.round(top)}px`;
}

for (const type of ["scroll", "resize"]) {
  window.addEventListener(type, () => {
    if (openMenu) place(openMenu);
  }, { capture: true, passive: true });
}

function items(menu) {
  return [...menu.list.querySelectorAll("button, a")];
}

export function rowActions({ main, more = [], name }) {
  const parts = [];
  if (main) parts.push(main);
  if (more.length) parts.push(rowMenu(more, name));
  if (!parts.length) return "";
  return h("div", { class: "row-actions" }, parts);
}

export function rowMenu(entries, name) {
  const id = `row-menu-${++counter}`;
  const button = h("button", {
    type: "button",
    class: "secondary small menu-button",
    "aria-expanded": "false",
    "aria-controls": id,
  }, t("rowmenu.more"), h("span", { class: "visually-hidden" }, name ? ` ${t("rowmenu.for", { name })}` : ""));
  const list = h("ul", { id, class: "row-menu-list", hidden: true });
  for (const e of entries) {
    const attrs = { class: e.danger ? "danger-item" : null, "aria-label": e.ariaLabel || null };
    const item = e.href
      ? h("a", { ...attrs, href: e.href }, e.label)
      : h("button", { ...attrs, type: "button", class: `link${e.danger ? " danger-item" : ""}` }, e.label);
    if (!e.href) {
      item.addEventListener("click", () => {
        close(menu, false);
        e.onSelect(button);
      });
    }
    list.append(h("li", null, item));
  }
  const root = h("div", { class: "row-menu" }, button, list);
  const menu = { root, button, list };
  button.addEventListener("click", () => {
    const opening = button.getAttribute("aria-expanded") !== "true";
    if (!opening) {
      close(menu, false);
      return;
    }
    if (openMenu && openMenu !== menu) close(openMenu, false);
    button.setAttribute("aria-expanded", "true");
    list.hidden = false;
    openMenu = menu;
    place(menu);
    const first = items(menu)[0];
    if (first) first.focus();
  });
  root.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    const all = items(menu);
    const at = all.indexOf(document.activeElement);
    let next = null;
    if (event.key === "Escape") {
      event.preventDefault();
      close(menu, true);
      return;
    }
    if (event.key === "ArrowDown") next = all[(at + 1) % all.length];
    else if (event.key === "ArrowUp") next = all[(at - 1 + all.length) % all.length];
    else if (event.key === "Home") next = all[0];
    else if (event.key === "End") next = all[all.length - 1];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
  root.addEventListener("focusout", (event) => {
    if (!list.hidden && event.relatedTarget && !root.contains(event.relatedTarget)) close(menu, false);
  });
  return root;
}
