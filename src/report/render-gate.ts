import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import type { GateOutcome } from '../model/gate-outcome.js';
import { warningText } from '../model/warnings.js';

/** Each gate with its measured value and verdict, then one summary line. */
export function renderGate(o: GateOutcome, chalk: Colors = NO_COLORS): string {
  const table = new Table({
    head: ['gate', 'measured', 'result', 'detail'],
    style: tableStyle(chalk),
    colAligns: ['left', 'right', 'left', 'left'],
  });
  for (const c of o.checks) {
    table.push([c.expression, c.value === null ? 'no samples' : String(c.value), c.passed ? chalk.green('pass') : chalk.red('FAIL'), c.detail]);
  }
  const failed = o.checks.filter((c) => !c.passed).length;
  const about = `${o.configuration} of ${o.report}${o.baseline === null ? '' : ` against ${o.baseline.configuration} of ${o.baseline.report}`}`;
  const verdict = o.passed ? chalk.green(`all ${o.checks.length} gates hold`) : chalk.red(`${failed} of ${o.checks.length} gates failed`);
  const warnings = o.warnings.map((w) => chalk.yellow(`warning: ${warningText(w)}`) + '\n').join('');
  return `${table.toString()}\n${verdict} (${about})\n${warnings}`;
}
