/**
 * A small, strict XML reader for tests: elements, attributes, text, the five predefined entities
 * and numeric references, an optional declaration. It throws on anything not well-formed
 * (unbalanced tags, unquoted or duplicate attributes, a bare `<` or `&`), which is the point.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new Error(`bare & near ${at}`);
    if (name in ENTITIES) return ENTITIES[name]!;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (num === null) throw new Error(`unknown entity &${name}; near ${at}`);
    return String.fromCodePoint(num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : parseInt(num[1]!, 10));
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (decl !== null) i = decl[0].length;
  const NAME = /[A-Za-z_][\w.-]*/y;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < xml.length) {
    if (xml[i] === '<') {
      if (xml.startsWith('</', i)) {
        const end = xml.indexOf('>', i);
        const name = xml.slice(i + 2, end).trim();
        const open = stack.pop();
        if (open === undefined || open.name !== name) throw new Error(`</${name}> closes <${open?.name}> at ${i}`);
        i = end + 1;
        continue;
      }
      NAME.lastIndex = i + 1;
      const m = NAME.exec(xml);
      if (m === null) throw new Error(`bad tag at ${i}`);
      const el: XmlElement = { name: m[0], attributes: {}, children: [], text: '' };
      i = NAME.lastIndex;
      for (;;) {
        const ws = /\s*/y;
        ws.lastIndex = i;
        ws.exec(xml);
        i = ws.lastIndex;
        if (xml.startsWith('/>', i) || xml[i] === '>') break;
        const attr = /([A-Za-z_][\w.:-]*)="([^"<]*)"/y;
        attr.lastIndex = i;
        const a = attr.exec(xml);
        if (a === null) throw new Error(`bad attribute at ${i}`);
        if (a[1]! in el.attributes) throw new Error(`duplicate attribute ${a[1]} at ${i}`);
        el.attributes[a[1]!] = decode(a[2]!, i);
        i = attr.lastIndex;
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(el);
      else if (root === null) root = el;
      else throw new Error(`second root element at ${i}`);
      if (xml.startsWith('/>', i)) i += 2;
      else {
        i += 1;
        stack.push(el);
      }
    } else {
      const next = xml.indexOf('<', i);
      const raw = xml.slice(i, next === -1 ? xml.length : next);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (raw.trim() !== '') throw new Error(`text outside the root at ${i}`);
      } else top.text += decode(raw, i);
      i = next === -1 ? xml.length : next;
    }
  }
  if (stack.length > 0 || root === null) throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? 'root'}>`);
  return root;
}
