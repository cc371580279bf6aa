import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The rooms of src/ and their arrows (docs/architecture.md), checked by dependency-cruiser with
 * the rules in .dependency-cruiser.cjs. The control cruises a tree written here with one
 * forbidden import per rule, so a config that stopped matching anything would fail.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('src/ keeps the architecture rules (no forbidden arrow, no runtime cycle)', () => {
  const r = cruise(ROOT);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no dependency violations found \((\d{2,}) modules/, 'the cruise must have read the sources');
});

test('the rules catch each forbidden arrow (control tree)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nbs-arch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'src/model/catalog.ts': "import type { Probe } from '../probe/probe.js';\nexport type M = Probe;\n",
    'src/probe/probe.ts': "import { render } from '../report/render.js';\nexport type Probe = string;\nexport const p = render;\n",
    'src/report/render.ts': "import type { Probe } from '../probe/probe.js';\nexport const render = (x: Probe) => x;\n",
    'src/server/app.ts': "import { main } from '../cli/main.js';\nexport const app = main;\n",
    'src/cli/main.ts': 'export const main = 1;\n',
    'src/jupyter/kernel.ts': "import { app } from '../server/app.js';\nexport const k = app;\n",
    'src/deploy/nginx.ts': "import { p } from '../probe/probe.js';\nexport const n = p;\n",
    'src/probe/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'src/probe/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    'src/monitor/schedule.ts': "import { render } from '../report/render.js';\nexport const s = render;\n",
    'src/probe/watch.ts': "import { s } from '../monitor/schedule.js';\nexport const w = s;\n",
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  const r = cruise(dir);
  assert.notEqual(r.status, 0, r.out);
  for (const rule of [
    'model-imports-no-room',
    'probe-and-report-apart',
    'only-cli-imports-cli',
    'jupyter-below-server',
    'upstream-and-deploy-stand-alone',
    'monitor-measures-with-probe',
    'only-cli-drives-monitor',
    'no-cycles',
  ]) {
    assert.match(r.out, new RegExp(`error ${rule}:`), `rule ${rule} did not fire:\n${r.out}`);
  }
});
