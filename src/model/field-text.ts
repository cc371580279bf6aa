/**
 * Text that names a library option by its field, never by a flag (issue 24: the library speaks in
 * codes and field names; only src/cli turns a field into a flag name). The library writes
 * ft`${field('maxRegression')} needs ${field('baseline')} FILE`; a library caller reads the field
 * names ("maxRegression needs baseline FILE"), the CLI renders each field as the flag it registers
 * for it (src/cli/flag-names.ts: "--max-regression needs --baseline FILE").
 */
export interface FieldRef {
  /** The option's name in the library's options object (camelCase, e.g. `maxRegression`). */
  readonly field: string;
  /** How the CLI writes a flag that has a short form: `-X` (short), `-X/--method` (both); long by default. */
  readonly form?: 'long' | 'short' | 'both';
}

export type FieldText = readonly (string | FieldRef)[];

export function field(name: string, form?: FieldRef['form']): FieldRef {
  return form === undefined ? { field: name } : { field: name, form };
}

function isFieldRef(v: unknown): v is FieldRef {
  return typeof v === 'object' && v !== null && typeof (v as FieldRef).field === 'string';
}

/** Tagged template: `FieldRef` values (and FieldTexts) stay references, every other value becomes text. */
export function ft(strings: TemplateStringsArray, ...values: unknown[]): FieldText {
  const out: Array<string | FieldRef> = [];
  const push = (s: string) => {
    if (s === '') return;
    const last = out[out.length - 1];
    if (typeof last === 'string') out[out.length - 1] = last + s;
    else out.push(s);
  };
  strings.forEach((s, i) => {
    push(s);
    if (i < values.length) {
      const v = values[i];
      if (isFieldRef(v)) out.push(v);
      // A FieldText inside a FieldText keeps its references; any other array reads as String() does.
      else if (Array.isArray(v) && v.some(isFieldRef)) for (const p of v as FieldText) typeof p === 'string' ? push(p) : out.push(p);
      else push(String(v));
    }
  });
  return out;
}

/**
 * How a reader names an option: a library caller by its field (the default), the CLI by its flag.
 * Results that keep text (a record's error, a doctor's advice, a gate's detail) take one in their
 * options, so the CLI's report says `--max-in-flight` where a library caller's says `maxInFlight`.
 */
export type FieldNamer = (ref: FieldRef) => string;

export const byFieldName: FieldNamer = (r) => r.field;

/** The text with each field written by `name` (the field's own name unless told otherwise). */
export function renderFieldText(text: FieldText, name: FieldNamer = byFieldName): string {
  return text.map((p) => (typeof p === 'string' ? p : name(p))).join('');
}

/** The fields a text names, in order, each once. */
export function fieldsOf(text: FieldText): string[] {
  return [...new Set(text.filter(isFieldRef).map((r) => r.field))];
}
