/**
 * Escapes text for HTML element content and for double- or single-quoted attribute values.
 * Every string that comes from a report goes through here: a report can carry a server's own text
 * (URLs, content types, warnings, event names), and a hostile server must not be able to write
 * markup into the page.
 */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
