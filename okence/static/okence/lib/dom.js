// The small helpers every page script uses: an element by id, the page's translated strings
// with their {placeholders}, and announcements for screen readers.

export const $ = (id) => document.getElementById(id);

// The strings a page carries for its script, translated with the page:
// <template id="…"><span data-key="…">translated text</span>…</template> → {key: text}.
export function readStrings(id) {
  const spans = $(id)?.content.querySelectorAll("[data-key]") ?? [];
  return Object.fromEntries([...spans].map((span) => [span.dataset.key, span.textContent.trim()]));
}

export const fill = (text, values = {}) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");

// Says the text in the page's live region (the element marked data-announce). Emptied first, so
// that the same sentence twice is said twice.
export function announce(text) {
  const region = document.querySelector("[data-announce]");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 100);
}
