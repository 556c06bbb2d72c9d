/** `text` with every regular-expression metacharacter escaped: matches itself, inside a pattern built from pieces. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
