import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSync } from '@swc/core';
import { buildProgram } from '../src/cli/main.js';
import { hasFlag } from '../src/cli/flag-names.js';

/**
 * Issue 24: the library speaks in codes and field names; only src/cli turns a field into a flag
 * name (src/cli/flag-names.ts). This scans the string literals of src/ outside src/cli (parsed by
 * swc, so comments are not read) for a flag (`--x`). The few literals that must hold one are
 * listed below with the reason; a listed literal that no longer exists fails the test too, so the
 * list cannot outlive its reason.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FLAG = /(?:^|[^\w-])--[a-z]/;

interface Exemption {
  file: string;
  literal: RegExp;
  reason: string;
}

const ARGV = 'argv of a notebook-stream child process: probe/cli-child.ts runs our CLI as a program, so it speaks its flags';

const EXEMPT: readonly Exemption[] = [
  { file: 'src/probe/serve-child.ts', literal: /^--(port|flush-policy)$/, reason: ARGV },
  { file: 'src/probe/upstream-child.ts', literal: /^--(port|quiet)$/, reason: ARGV },
  { file: 'src/probe/compare.ts', literal: /^--allow-policy-override$/, reason: ARGV },
  { file: 'src/probe/bench.ts', literal: /^--http2$/, reason: ARGV },
  { file: 'src/probe/compare-workload.ts', literal: /^--(jupyter|jupyter-url|jupyter-tuning|llm-base-url|llm-api-key-file)$/, reason: ARGV },
  { file: 'src/deploy/systemd-unit.ts', literal: /^--[a-z-]+$/, reason: "serve's command line in the unit's ExecStart= (the SERVE table)" },
  { file: 'src/deploy/systemd-unit.ts', literal: /systemctl enable --now/, reason: "systemctl's flag, in the unit's install comment" },
  { file: 'src/jupyter/server.ts', literal: /^--(no-browser|allow-root)$/, reason: "jupyter-server's own flags, in its argv" },
  { file: 'src/probe/open-file-limit.ts', literal: /docker: --ulimit/, reason: "docker's flag (docker run --ulimit), not ours" },
  { file: 'src/report/html/style.ts', literal: /var\(--|^\s*:root|--[a-z0-9]+:/, reason: 'CSS custom properties of the HTML report' },
  {
    file: 'src/deploy/prometheus-config.ts',
    literal: /--(max-streams|max-kernels|flush-policy|min-chars|port|config|serve-token-file)\b/,
    reason: "alert annotations in the generated rules tell an operator which flag of serve or monitor to change, as the unit's ExecStart names serve's",
  },
  { file: 'src/probe/chromium.ts', literal: /^--[a-z-]+$/, reason: "Chromium's own flags, in its argv" },
  { file: 'src/probe/fix-snippets.ts', literal: /hypercorn --certfile/, reason: "hypercorn's flags, in a fix for a Python backend" },
  { file: 'src/jupyter/tuning.ts', literal: /^# Written by notebook-stream \(--jupyter-tuning fixed\)/, reason: 'a comment in the generated jupyter_server_config.py saying which serve setting wrote it' },
];

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

interface Found {
  strings: string[];
  fields: string[];
}

/** Every string literal and template-literal piece of a module, and the names given to field(). */
function literals(code: string): Found {
  const found: Found = { strings: [], fields: [] };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n['type'] === 'StringLiteral' && typeof n['value'] === 'string') found.strings.push(n['value']);
    if (n['type'] === 'TemplateElement') found.strings.push(String(n['cooked'] ?? n['raw']));
    if (n['type'] === 'CallExpression') {
      const callee = n['callee'] as Record<string, unknown>;
      const first = (n['arguments'] as Array<{ expression: Record<string, unknown> }>)[0]?.expression;
      if (callee['type'] === 'Identifier' && callee['value'] === 'field' && first?.['type'] === 'StringLiteral') found.fields.push(String(first['value']));
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'span') walk(v);
  };
  walk(parseSync(code, { syntax: 'typescript' }));
  return found;
}

async function scan(): Promise<{ offenders: string[]; used: Set<Exemption>; fields: Map<string, string> }> {
  const offenders: string[] = [];
  const used = new Set<Exemption>();
  const fields = new Map<string, string>();
  for (const file of await sources(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file).split('\\').join('/');
    if (rel.startsWith('src/cli/')) continue;
    const found = literals(await readFile(file, 'utf8'));
    for (const f of found.fields) fields.set(f, rel);
    for (const s of found.strings) {
      if (!FLAG.test(s)) continue;
      const ex = EXEMPT.find((e) => e.file === rel && e.literal.test(s));
      if (ex !== undefined) used.add(ex);
      else offenders.push(`${rel}: ${JSON.stringify(s)}`);
    }
  }
  return { offenders, used, fields };
}

test('no string literal outside src/cli names a flag (the library names fields; the CLI names flags)', async () => {
  const { offenders, used } = await scan();
  assert.deepEqual(offenders, [], `write field('name') in an ft\`…\` text instead (src/model/field-text.ts):\n${offenders.join('\n')}`);
  const stale = EXEMPT.filter((e) => !used.has(e)).map((e) => `${e.file}: ${e.literal}`);
  assert.deepEqual(stale, [], 'exemptions that match nothing any more: delete them');
});

test('every field the library names is a flag the CLI registers', async () => {
  const { fields } = await scan();
  assert.ok(fields.size >= 30, `the scan must have found the field() calls (found ${fields.size})`);
  const program = buildProgram({ debug: false, setExitCode: () => {} } as Parameters<typeof buildProgram>[0]);
  const missing = [...fields].filter(([f]) => !hasFlag(program, f)).map(([f, file]) => `${f} (${file})`);
  assert.deepEqual(missing, [], 'a field with no flag would be printed as a guessed --kebab-case name');
});

test('the scanner sees literals and templates but not comments (control)', () => {
  const found = literals("// --commented\nconst a = '--flag';\nconst b = `x ${a} --tpl`;\nthrow new E(ft`${field('maxRegression')} needs`);\n");
  assert.deepEqual(found.strings.filter((s) => FLAG.test(s)), ['--flag', ' --tpl']);
  assert.deepEqual(found.fields, ['maxRegression']);
});
