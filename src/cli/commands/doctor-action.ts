import { browserOptionsFrom } from '../browser-options.js';
import { ExitCode, UsageError } from '../../model/errors.js';
import { doctor, type Hop } from '../../probe/doctor.js';
import { renderDoctor, serializeDoctor } from '../../report/render-doctor.js';
import type { DoctorFlags } from './doctor.js';

/** `--hop NAME=URL` → { name, url }; names unique, URLs http(s). */
export function parseHops(values: readonly string[]): Hop[] {
  const hops: Hop[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq > 0 ? v.slice(0, eq).trim() : '';
    const url = eq > 0 ? v.slice(eq + 1).trim() : '';
    if (name === '' || !/^[A-Za-z0-9_.-]+$/.test(name) || url === '') {
      throw new UsageError(`--hop ${v}: expected NAME=URL (e.g. --hop nginx=http://127.0.0.1:8080/send_operation)`);
    }
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--hop ${name}: not an http(s) URL: ${url}`);
    if (hops.some((h) => h.name === name)) throw new UsageError(`--hop ${name}: the name is given twice`);
    hops.push({ name, url });
  }
  return hops;
}

export async function runDoctorCommand(urlArg: string | undefined, flags: DoctorFlags): Promise<ExitCode> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  const hops = flags.hop === undefined ? undefined : parseHops(flags.hop);
  const url = hops === undefined ? urlArg! : hops.at(-1)!.url;
  const progress = flags.quiet !== true && process.stderr.isTTY === true;
  const { browser: _browser, browserApi: _api, browserPath: _path, browserStreams, ...rest } = flags;
  const pageOptions = browserOptionsFrom(flags);
  const browser = pageOptions === undefined ? undefined : { ...pageOptions, streams: browserStreams };
  // A missing Chromium exits 3 before anything is measured.
  if (browser !== undefined) (await import('../../probe/browser-twin.js')).requireChromium(browser);
  const result = await doctor(
    { ...rest, url, ...(flags.direct !== undefined ? { direct: flags.direct } : {}), ...(hops !== undefined ? { hops } : {}), ...(browser !== undefined ? { browser } : {}) },
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
