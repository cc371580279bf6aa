import { UsageError } from '../model/errors.js';
import type { BrowserOptions } from '../probe/browser-twin.js';

/** `--browser`, `--browser-api`, `--browser-path` as commander parsed them (bench, compare, doctor). */
export interface BrowserFlags {
  browser?: boolean;
  browserApi?: 'fetch' | 'eventsource';
  browserPath?: string;
}

/** The probe's browser options, with PATH from the environment (only the CLI reads it); undefined without --browser. */
export function browserOptionsFrom(flags: BrowserFlags): BrowserOptions | undefined {
  if (flags.browser !== true) {
    if (flags.browserApi !== undefined || flags.browserPath !== undefined) {
      throw new UsageError(`${flags.browserApi !== undefined ? '--browser-api' : '--browser-path'}: only with --browser`);
    }
    return undefined;
  }
  return {
    ...(flags.browserApi !== undefined ? { api: flags.browserApi } : {}),
    ...(flags.browserPath !== undefined ? { path: flags.browserPath } : {}),
    ...(process.env['PATH'] !== undefined ? { pathEnv: process.env['PATH'] } : {}),
  };
}
