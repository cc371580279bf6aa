import { setColorLevel } from '../color-level.js';

/**
 * Colour only on a TTY; `NO_COLOR` (non-empty) and `--no-color` turn it off, `FORCE_COLOR` on
 * (docs/cli.md, "stdout and stderr"). chalk 5 ignores NO_COLOR and sniffs argv itself, so the
 * level is decided here, once; src/report/chalk.ts applies it when a renderer loads chalk, so
 * `--version` and `--help` never load chalk at all.
 */
export function configureColor(argv: readonly string[], stream: NodeJS.WriteStream = process.stdout): void {
  setColorLevel(colorLevel(argv, process.env, stream.isTTY === true));
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
