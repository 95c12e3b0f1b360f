// languages.js - the languages an account can choose (BCP 47 tags). Their
// names come from the browser (Intl.DisplayNames), so no dictionary needs
// them. Pages and emails use English where a translation is missing; the
// pages load only the dictionaries i18n.js lists (DICTIONARIES).
import { clear, h } from "./dom.js";
import { candidates, languageName } from "./i18n.js";

export { DICTIONARIES } from "./i18n.js";

export const LANGUAGES = [
  "en", "bn", "fil", "hi", "id", "ja", "km", "ko", "lo", "mn", "ms", "my", "ne", "ru", "si",
  "ta", "th", "ur", "vi", "zh",
];

// Fills a <select> with the languages, the given tag (or the browser's
// language) selected.
export function fillLanguages(select, current) {
  const options = LANGUAGES.map((tag) => ({ tag, name: languageName(tag) }));
  options.sort((a, b) => a.name.localeCompare(b.name));
  const want = current ? String(current).toLowerCase() : candidates(null)[0];
  if (current && !LANGUAGES.includes(want)) options.unshift({ tag: want, name: languageName(want) });
  clear(select).append(...options.map((o) => h("option", { value: o.tag }, o.name)));
  select.value = options.some((o) => o.tag === want) ? want : "en";
}
