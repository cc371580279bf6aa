/**
 * Folds a line of prose at spaces so no line is wider than `width` columns (lines under a table
 * fit the terminal as the table does). CJK text has no spaces to fold at and counts two columns a
 * character: it is folded between characters.
 */
export function wrapText(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  let currentWidth = 0;
  for (const word of line.split(/(?<= )/)) {
    const w = displayWidth(word.trimEnd());
    if (currentWidth > 0 && currentWidth + w > width) {
      out.push(current.trimEnd());
      current = '';
      currentWidth = 0;
    }
    if (w > width) {
      for (const ch of word) {
        const cw = displayWidth(ch);
        if (currentWidth + cw > width) {
          out.push(current.trimEnd());
          current = '';
          currentWidth = 0;
        }
        current += ch;
        currentWidth += cw;
      }
      continue;
    }
    current += word;
    currentWidth += displayWidth(word);
  }
  if (current.trim() !== '') out.push(current.trimEnd());
  return out;
}

/** Terminal columns of a string: East Asian wide characters count two (UAX #11, the common ranges). */
export function displayWidth(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6);
    n += wide ? 2 : 1;
  }
  return n;
}
