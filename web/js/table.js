// table.js - a list from the API shown as a table, with loading, empty and
// error states and paging (the API's page/per_page and {items, total}).
//
//   const table = new DataTable(container, {
//     caption: t("accounts.caption"),         // said by screen readers
//     columns: [{label, cell: (row) => node | string, className}],
//     load: (page, perPage) => api("GET", ...),  // an API result
//     empty: t("accounts.empty"), perPage: 20, onPage: (page) => {...},
//   });
//   await table.show(1);
//
// The table sits in a wrapper that scrolls sideways when it is wider than
// the screen; below 40rem each row is shown as a stacked card instead
// (every cell carries its column's label in data-label).
import { errorMessage } from "./api.js";
import { clear, h } from "./dom.js";
import { t, tn } from "./i18n.js";

let counter = 0;

export class DataTable {
  constructor(container, opts) {
    this.opts = { perPage: 20, ...opts };
    this.page = 1;
    this.total = 0;
    this.id = `table-${++counter}`;
    this.status = h("p", { class: "table-status", role: "status" });
    this.table = h("table", { class: "list", id: this.id },
      h("caption", { class: "visually-hidden" }, this.opts.caption));
    this.head = h("thead", null, h("tr", null,
      this.opts.columns.map((c) => h("th", { scope: "col", class: c.className || null }, c.label))));
    this.body = h("tbody");
    this.table.append(this.head, this.body);
    this.wrap = h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": this.opts.caption },
      this.table);
    this.pager = h("nav", { class: "pager", "aria-label": t("table.pages", { what: this.opts.caption }) });
    this.prev = h("button", { type: "button", class: "secondary" }, t("table.previous"));
    this.next = h("button", { type: "button", class: "secondary" }, t("table.next"));
    this.pageText = h("span", { class: "page-text" });
    this.prev.addEventListener("click", () => this.go(this.page - 1));
    this.next.addEventListener("click", () => this.go(this.page + 1));
    this.pager.append(this.prev, this.pageText, this.next);
    clear(container).append(this.status, this.wrap, this.pager);
  }

  pages() {
    return Math.max(1, Math.ceil(this.total / this.opts.perPage));
  }

  async go(page) {
    await this.show(page);
    if (this.opts.onPage) this.opts.onPage(this.page);
    // The button pressed may now be disabled (first or last page): keep
    // the focus in the list.
    const active = document.activeElement;
    if (!active || active === document.body || active.disabled) this.wrap.focus();
  }

  fullRow(text, cls) {
    clear(this.body).append(h("tr", { class: cls },
      h("td", { colspan: String(this.opts.columns.length) }, text)));
  }

  // Loads and shows a page. Returns the API result.
  async show(page = this.page) {
    this.page = Math.max(1, page);
    this.wrap.setAttribute("aria-busy", "true");
    this.status.className = "table-status";
    this.status.textContent = t("table.loading");
    this.prev.disabled = true;
    this.next.disabled = true;
    const r = await this.opts.load(this.page, this.opts.perPage);
    this.wrap.removeAttribute("aria-busy");
    if (!r.ok || !r.data || !Array.isArray(r.data.items)) {
      this.total = 0;
      this.status.className = "table-status notice bad";
      this.status.textContent = errorMessage(r);
      const retry = h("button", { type: "button", class: "secondary small" }, t("table.retry"));
      retry.addEventListener("click", () => this.show(this.page));
      this.fullRow(retry, "error");
      this.pager.hidden = true;
      return r;
    }
    const items = r.data.items;
    this.total = Number(r.data.total) || 0;
    if (items.length === 0 && this.page > 1 && this.total > 0) {
      return this.show(this.pages()); // the list shrank under us
    }
    if (items.length === 0) {
      this.fullRow(this.opts.empty, "empty");
    } else {
      clear(this.body);
      for (const row of items) this.body.append(this.renderRow(row));
    }
    this.status.textContent = tn("table.count", this.total);
    this.pageText.textContent = t("table.page_of", { page: this.page, pages: this.pages() });
    this.prev.disabled = this.page <= 1;
    this.next.disabled = this.page >= this.pages();
    this.pager.hidden = this.pages() <= 1;
    return r;
  }

  renderRow(row) {
    const tr = h("tr");
    for (const c of this.opts.columns) {
      const v = c.cell(row);
      // One wrapper per cell: on narrow screens the cell is a two-column
      // grid of its label and this.
      tr.append(h("td", { "data-label": c.label, class: c.className || null }, h("div", { class: "cell" }, v)));
    }
    return tr;
  }

  // Shows a changed item in place of the row at index.
  replaceRow(index, row) {
    const old = this.body.rows[index];
    if (old) old.replaceWith(this.renderRow(row));
  }
}

// The current page number from the address bar (?page=).
export function pageFromUrl() {
  const n = Number.parseInt(new URLSearchParams(location.search).get("page") || "1", 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

// Writes the list's state (filters and page) into the address bar, so a
// reload or a shared link shows the same list.
export function saveState(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "" && !(k === "page" && Number(v) === 1)) q.set(k, String(v));
  }
  const s = q.toString();
  history.replaceState(null, "", s ? `${location.pathname}?${s}` : location.pathname);
}
