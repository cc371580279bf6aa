/**
 * An Accept-style header as `[name, q]` pairs, names lower-cased (RFC 9110 §12.4.2: a missing
 * `q` is 1, an unreadable one 0). Shared by content negotiation (NDJSON) and Accept-Encoding.
 */
export function qualityList(header: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v) || 0;
    }
    out.push([name.trim(), q]);
  }
  return out;
}
