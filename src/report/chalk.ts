import { Chalk, type ChalkInstance } from 'chalk';

/**
 * The colours a renderer paints with: a chalk instance of its own level, passed in by the caller
 * (the CLI decides the level once, by docs/cli.md's rules: colour only on a TTY, NO_COLOR and
 * --no-color off, FORCE_COLOR on). No shared chalk level: two renderings in one process may differ.
 */
export type Colors = ChalkInstance;

/** No colour: what a renderer uses unless told otherwise (files, pipes, library callers). */
export const NO_COLORS: Colors = new Chalk({ level: 0 });

/** Colours at a chalk level (0 none, 1 basic, 2 256, 3 truecolor). */
export function colorsAt(level: 0 | 1 | 2 | 3): Colors {
  return level === 0 ? NO_COLORS : new Chalk({ level });
}

/** A cli-table3 table's `style`: cyan heads and grey borders when colours are on, none otherwise. */
export function tableStyle(chalk: Colors): { head: string[]; border: string[] } {
  return { head: chalk.level > 0 ? ['cyan'] : [], border: chalk.level > 0 ? ['grey'] : [] };
}
