// dialog.js - modal dialogs on the native <dialog> element: it keeps the
// focus inside, closes with Escape and gives the focus back afterwards.
import { h } from "./dom.js";
import { t } from "./i18n.js";

let counter = 0;

// Opens a dialog. body: nodes for its content. buttons: [{label, value,
// kind}] (kind "danger" or "secondary"). Resolves with the value of the
// button pressed, or null for Escape. Before a button with onPress(dialog)
// closes the dialog, onPress runs; returning false keeps it open.
export function openDialog({ title, body, buttons, initial }) {
  return new Promise((resolve) => {
    const id = `dialog-${++counter}`;
    const opener = document.activeElement;
    const row = h("div", { class: "actions" });
    const dialog = h("dialog", { "aria-labelledby": `${id}-title`, class: "dialog" },
      h("h2", { id: `${id}-title` }, title),
      h("div", { class: "dialog-body" }, body),
      row);
    let result = null;
    for (const b of buttons) {
      const button = h("button", { type: "button", class: b.kind || null }, b.label);
      button.addEventListener("click", async () => {
        if (b.onPress) {
          const keep = (await b.onPress(dialog, button)) === false;
          if (keep) return;
        }
        result = b.value;
        dialog.close();
      });
      row.append(button);
      if (initial !== undefined && b.value === initial) button.dataset.initial = "true";
    }
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected && opener.focus) opener.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector("[data-initial]") || dialog.querySelector("input, select, button");
    if (first) first.focus();
  });
}

// Asks a yes/no question; resolves true when confirmed. The focus starts
// on "cancel", so Enter does not destroy anything by accident.
export async function confirmDialog({ title, text, confirmLabel, danger = true }) {
  const v = await openDialog({
    title,
    body: [h("p", null, text)],
    buttons: [
      { label: t("dialog.cancel"), value: false, kind: "secondary" },
      { label: confirmLabel, value: true, kind: danger ? "danger" : null },
    ],
    initial: false,
  });
  return v === true;
}
