import { ExitCode, UnavailableError } from '../../model/errors.js';
import { renderJupyterDoctor, serializeJupyterDoctor, type JupyterDoctorResult } from '../../report/render-jupyter-doctor.js';

import type { FieldNamer } from '../../model/field-text.js';

export interface JupyterDoctorFlags {
  jupyterUrl: string;
  jupyterToken?: string;
  samples: number;
  json?: boolean;
  quiet?: boolean;
  /** How the advice names options (this CLI's flags). */
  names?: FieldNamer;
}

/**
 * `doctor --jupyter-url`: measures request → first output (back to back and after an idle gap) and
 * a printing loop's rhythm on a fresh kernel of any Jupyter Server, then names the causes
 * (NAGLE_DELAY, FLUSH_INTERVAL) with their fixes. Exit 1 when a cause is found, 3 when the server
 * cannot be reached.
 */
export async function runJupyterDoctor(flags: JupyterDoctorFlags): Promise<ExitCode> {
  const { measureJupyter, classifyJupyter } = await import('../../jupyter/measure.js');
  const { setJupyterLogSink } = await import('../../jupyter/log.js');
  // @jupyterlab/services logs to the console: keep stdout for the result, show it only with --debug.
  setJupyterLogSink(() => undefined);
  if (flags.quiet !== true && process.stderr.isTTY === true) {
    process.stderr.write(`measuring ${flags.samples} back-to-back cells, 3 after idle gaps and a printing loop on a new kernel…\n`);
  }
  const token = flags.jupyterToken ?? process.env['JUPYTER_TOKEN'];
  let measurement;
  try {
    measurement = await measureJupyter({ url: flags.jupyterUrl, samples: flags.samples, ...(flags.names === undefined ? {} : { names: flags.names }), ...(token === undefined ? {} : { token }) });
  } catch (err) {
    throw new UnavailableError(`--jupyter-url ${flags.jupyterUrl}: ${(err as Error).message}`);
  }
  const d = classifyJupyter(measurement, flags.names);
  const result: JupyterDoctorResult = { url: flags.jupyterUrl, verdict: d.verdict, causes: d.causes, reasons: d.reasons, fixes: d.fixes, measurement };
  process.stdout.write(flags.json === true ? serializeJupyterDoctor(result) : renderJupyterDoctor(result));
  return d.causes.length > 0 ? ExitCode.VERDICT_FAILED : ExitCode.OK;
}
