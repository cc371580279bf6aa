import type { Command, Option } from 'commander';
import { renderFieldText, type FieldNamer, type FieldText } from '../model/field-text.js';

/**
 * Where a library field becomes a flag name (issue 24: only src/cli knows flag names). The
 * flags are the ones commander registers, found by the option's attribute name (`maxRegression`
 * is `--max-regression`); a library field spelled differently from its flag's attribute (a list
 * named in the plural, a repeatable flag in the singular) is aliased here.
 */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  labels: 'label',
  allowedHosts: 'allowedHost',
  serveArgs: 'serveArg',
  headers: 'header',
  thresholds: 'threshold',
  maxRegressions: 'maxRegression',
  baseUrl: 'openai',
  keyFile: 'openaiKeyFile',
};

export type FlagNamer = FieldNamer;

function kebab(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function findOption(commands: readonly Command[], attribute: string): Option | undefined {
  for (const cmd of commands) {
    const o = cmd.options.find((x) => x.attributeName() === attribute);
    if (o !== undefined) return o;
  }
  return undefined;
}

function allCommands(root: Command): Command[] {
  const out: Command[] = [];
  const walk = (c: Command) => {
    out.push(c);
    for (const sub of c.commands) walk(sub);
  };
  walk(root);
  return out;
}

/** The commands in the order their flags win: the running one, its parents, then every other. */
function searchOrder(program: Command, running: Command | undefined): Command[] {
  const first: Command[] = [];
  for (let c: Command | null = running ?? null; c !== null; c = c.parent) first.push(c);
  return [...first, ...allCommands(program).filter((c) => !first.includes(c))];
}

/** The flag a field names, as the running command registers it (`-X`, `-X/--method`, `--method`). */
export function flagNamer(running: Command): FlagNamer {
  let program = running;
  while (program.parent !== null) program = program.parent;
  const order = searchOrder(program, running);
  return (ref) => {
    const attribute = FIELD_ALIASES[ref.field] ?? ref.field;
    const o = findOption(order, attribute);
    const long = o?.long ?? kebab(attribute);
    const short = o?.short;
    if (short === undefined || ref.form === undefined || ref.form === 'long') return long;
    return ref.form === 'short' ? short : `${short}/${long}`;
  };
}

/** Whether a field names a flag some command registers (the test that every library field has one). */
export function hasFlag(program: Command, fieldName: string): boolean {
  return findOption(allCommands(program), FIELD_ALIASES[fieldName] ?? fieldName) !== undefined;
}

export function renderForCli(text: FieldText, namer: FlagNamer): string {
  return renderFieldText(text, namer);
}
