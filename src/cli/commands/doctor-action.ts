import { ExitCode, UsageError } from '../../model/errors.js';
import { doctor } from '../../probe/doctor.js';
import { renderDoctor, serializeDoctor } from '../../report/render-doctor.js';
import type { DoctorFlags } from './doctor.js';
import { colors } from '../color.js';

export async function runDoctorCommand(url: string, flags: DoctorFlags): Promise<ExitCode> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  const progress = flags.quiet !== true && process.stderr.isTTY === true;
  const result = await doctor(
    { ...flags, url, ...(flags.direct !== undefined ? { direct: flags.direct } : {}) },
    progress ? (line) => process.stderr.write(`${line}\n`) : undefined,
  );
  process.stdout.write(flags.json === true ? serializeDoctor(result) : renderDoctor(result, await colors()));
  if (result.nothingMeasured) {
    process.stderr.write(`notebook-stream: ${result.reason}\n`);
    return ExitCode.NOTHING_MEASURED;
  }
  if (result.verdict === 'STREAMING') return ExitCode.OK;
  if (result.verdict === 'INCONCLUSIVE') return flags.strict === true ? ExitCode.VERDICT_FAILED : ExitCode.OK;
  return ExitCode.VERDICT_FAILED;
}
