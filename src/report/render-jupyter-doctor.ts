import { NO_COLORS, type Colors } from './chalk.js';
import type { JupyterDiagnosis, JupyterMeasurement } from '../model/jupyter-diagnosis.js';

/** `doctor --jupyter-url`: the measurement and the verdict as data, for --json. */
export interface JupyterDoctorResult {
  url: string;
  verdict: JupyterDiagnosis['verdict'];
  causes: JupyterDiagnosis['causes'];
  reasons: string[];
  fixes: string[];
  measurement: JupyterMeasurement;
}

export function serializeJupyterDoctor(r: JupyterDoctorResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

export function renderJupyterDoctor(r: JupyterDoctorResult, chalk: Colors = NO_COLORS): string {
  const m = r.measurement;
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const mid = (xs: number[]) => (xs.length === 0 ? NaN : (sorted(xs)[Math.floor((xs.length - 1) / 2)] as number));
  const lines: string[] = [];
  const verdict = r.verdict === 'OK' ? chalk.green(r.verdict) : chalk.red(r.causes.join(' + ').replace(/_/g, ' '));
  lines.push(`${chalk.bold('verdict:')} ${verdict}  (Jupyter Server at ${r.url})`);
  lines.push(
    `  request → first output, back to back: median ${ms(mid(m.backToBackFirstOutputMs))} over ${m.backToBackFirstOutputMs.length}; ` +
      `after an idle gap: median ${ms(mid(m.idleFirstOutputMs))} over ${m.idleFirstOutputMs.length}`,
  );
  lines.push(
    `  ${m.loop.lines} prints ${m.loop.intervalMs} ms apart → ${m.loop.messages} stream messages at ` +
      `${m.loop.arrivalsMs.map((a) => Math.round(a)).join(', ')} ms`,
  );
  lines.push(`  kernel start: ${ms(m.kernelStartMs)}`);
  lines.push('', chalk.bold('checks:'));
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.fixes.length > 0) {
    lines.push('', chalk.bold('fixes, most likely first:'));
    r.fixes.forEach((f, i) => lines.push(`  ${i + 1}. ${f}`));
  }
  return `${lines.join('\n')}\n`;
}
