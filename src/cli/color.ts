import type { Colors } from '../report/chalk.js';

/**
 * Colour only on a TTY; `NO_COLOR` (non-empty) and `--no-color` turn it off, `FORCE_COLOR` on
 * (docs/cli.md, "stdout and stderr"). chalk 5 ignores NO_COLOR and sniffs argv itself, so the
 * level is decided here, once per process, and renderers get a chalk instance of that level
 * (`colors()`): `--version` and `--help` never load chalk at all.
 */
let level: 0 | 1 | 2 | 3 = 0;

export function configureColor(argv: readonly string[], stream: NodeJS.WriteStream = process.stdout): void {
  level = colorLevel(argv, process.env, stream.isTTY === true);
}

/** The renderers' colours at the level configureColor() decided (loads chalk on first use). */
export async function colors(): Promise<Colors> {
  const { colorsAt } = await import('../report/chalk.js');
  return colorsAt(level);
}

export function colorLevel(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  isTTY: boolean,
): 0 | 1 | 2 | 3 {
  if (argv.includes('--no-color')) return 0;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') {
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return 0;
  if (argv.includes('--color')) return 1;
  return isTTY ? 1 : 0;
}
