// awards-my-list.js - the cases this browser has opened, kept while the
// API has no list of an organisation's cases (GET /api/me/submissions).
const STORE = "convene.awards.cases";

export function remembered() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) || "[]");
    return Array.isArray(v) ? v.filter((x) => Number.isInteger(x) && x > 0) : [];
  } catch (e) {
    return [];
  }
}

export function remember(id) {
  const list = remembered().filter((x) => x !== id);
  list.unshift(id);
  localStorage.setItem(STORE, JSON.stringify(list.slice(0, 50)));
}
