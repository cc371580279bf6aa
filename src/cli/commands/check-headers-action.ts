import { ExitCode, UsageError } from '../../model/errors.js';
import { checkHeaders } from '../../probe/check-headers.js';
import { renderCheckHeaders, serializeCheckHeaders } from '../../report/render-check-headers.js';
import type { CheckHeadersFlags } from './check-headers.js';
import { colors } from '../color.js';

export async function runCheckHeadersCommand(url: string, flags: CheckHeadersFlags): Promise<ExitCode> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  const result = await checkHeaders({ ...flags, url, ...(flags.direct !== undefined ? { direct: flags.direct } : {}), strict: flags.strict === true });
  process.stdout.write(flags.json === true ? serializeCheckHeaders(result) : renderCheckHeaders(result, await colors()));
  if (result.nothingMeasured) {
    const e = result.response.error;
    process.stderr.write(`notebook-stream: nothing measured: no response from ${result.url}${e !== null ? ` (${e.kind}: ${e.message})` : ''}\n`);
    return ExitCode.NOTHING_MEASURED;
  }
  return result.failing.length > 0 ? ExitCode.VERDICT_FAILED : ExitCode.OK;
}
