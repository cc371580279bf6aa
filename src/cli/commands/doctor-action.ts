import { browserOptionsFrom } from '../browser-options.js';
import { ExitCode, UsageError } from '../../model/errors.js';
import { doctor } from '../../probe/doctor.js';
import { renderDoctor, serializeDoctor } from '../../report/render-doctor.js';
import type { DoctorFlags } from './doctor.js';

export async function runDoctorCommand(url: string, flags: DoctorFlags): Promise<ExitCode> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  const progress = flags.quiet !== true && process.stderr.isTTY === true;
  const { browser: _browser, browserApi: _api, browserPath: _path, browserStreams, ...rest } = flags;
  const pageOptions = browserOptionsFrom(flags);
  const browser = pageOptions === undefined ? undefined : { ...pageOptions, streams: browserStreams };
  // A missing Chromium exits 3 before anything is measured.
  if (browser !== undefined) (await import('../../probe/browser-twin.js')).requireChromium(browser);
  const result = await doctor(
    { ...rest, url, ...(flags.direct !== undefined ? { direct: flags.direct } : {}), ...(browser !== undefined ? { browser } : {}) },
    progress ? (line) => process.stderr.write(`${line}\n`) : undefined,
  );
  process.stdout.write(flags.json === true ? serializeDoctor(result) : renderDoctor(result));
  if (result.nothingMeasured) {
    process.stderr.write(`notebook-stream: ${result.reason}\n`);
    return ExitCode.NOTHING_MEASURED;
  }
  if (result.verdict === 'STREAMING') return ExitCode.OK;
  if (result.verdict === 'INCONCLUSIVE') return flags.strict === true ? ExitCode.VERDICT_FAILED : ExitCode.OK;
  return ExitCode.VERDICT_FAILED;
}
