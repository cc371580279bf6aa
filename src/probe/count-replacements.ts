/** Counts U+FFFD produced by decoding `bytes[start, end)`, not ones the bytes spelled out. */
export function countReplacements(text: string, bytes: Uint8Array, start: number, end: number): number {
  let produced = 0;
  for (let i = text.indexOf('\uFFFD'); i !== -1; i = text.indexOf('\uFFFD', i + 1)) produced++;
  if (produced === 0) return 0;
  let literal = 0;
  for (let i = start; i + 2 < end; i++) {
    if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) literal++;
  }
  return produced - literal;
}
