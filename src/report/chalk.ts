import chalk from 'chalk';
import { chosenColorLevel } from '../color-level.js';

/**
 * chalk with the CLI's colour rules applied (docs/cli.md: colour only on a TTY, NO_COLOR and
 * --no-color off, FORCE_COLOR on). chalk 5 ignores NO_COLOR, so the level is set here rather than
 * through the environment, which children (Jupyter kernels) would inherit. Renderers import chalk
 * from this module, never from 'chalk' directly.
 */
const level = chosenColorLevel();
if (level !== undefined) chalk.level = level;

export default chalk;
