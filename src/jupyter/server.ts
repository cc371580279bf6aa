import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { addSecret, jupyterLog, removeSecret } from './log.js';
import { managedEnvironment } from './managed-env.js';
import { managedServerConfig } from './server-config.js';
import type { JupyterTuning } from './tuning.js';

/** A Jupyter Server that the execute source talks to: managed (a child of ours) or existing. */
export interface JupyterHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234/` (always ends with `/`). */
  readonly url: string;
  /** The API token. Never logged, never on a command line. */
  readonly token: string;
  /** `fixed`: the kernel source runs the flush-interval start-up cell in every kernel it starts. */
  readonly tuning: JupyterTuning;
  /** True when we started the server (and `stop()` ends it). */
  readonly managed: boolean;
  /** Process id of the managed server (undefined for an existing server). */
  readonly pid: number | undefined;
  /** Managed: false once the child exited or stop() was called; existing: always true (see connectJupyter). */
  alive(): boolean;
  /** Managed: shuts kernels and server down and leaves no process; existing: nothing to do. */
  stop(): Promise<void>;
}

export interface StartJupyterOptions {
  /** How messages name serve's options (field names unless told otherwise). */
  names?: FieldNamer;
  /** `fixed` (default) writes the TCP_NODELAY server config; `stock` starts the server as shipped. */
  tuning?: JupyterTuning;
  /** The command that starts Jupyter Server; default: NOTEBOOK_STREAM_JUPYTER_COMMAND, else found on PATH. */
  command?: readonly string[];
  /** How long to wait for `GET /api/status` to answer (default 30 s). */
  startTimeoutMs?: number;
  /** Kernels without a connected client and idle this long are culled by the server (default 600 s). */
  cullIdleTimeoutS?: number;
  /** How often the server looks for such kernels (default 60 s). */
  cullIntervalS?: number;
  /** A dead kernel is noticed after this long (jupyter_client's KernelRestarter.time_to_dead; default 1 s). */
  timeToDeadS?: number;
  /** serve's environment, filtered by managedEnvironment() before the server sees it (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** More variable names (or `PREFIX*`) the server and kernels inherit (`--jupyter-env`). */
  passEnv?: readonly string[];
}

/** Private directories of managed servers: `nbs-jupyter-XXXXXX` in the temp dir, with an `owner` pid file. */
const BASE_PREFIX = 'nbs-jupyter-';
const OWNER_FILE = 'owner';

/** Why no Jupyter Server could be started or reached: the execute source answers NBS_JUPYTER_UNAVAILABLE. */
export class JupyterUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JupyterUnavailableError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * The command that starts Jupyter Server: `jupyter-server` on PATH, then Debian's
 * `/usr/bin/jupyter-server`, then `jupyter server`. (Debian's `jupyter-server` package ships
 * `/usr/bin/jupyter-server`; `/usr/bin/jupyter` comes from another package.)
 */
export function findJupyterCommand(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const configured = env['NOTEBOOK_STREAM_JUPYTER_COMMAND'];
  if (configured !== undefined && configured.trim() !== '') return configured.trim().split(/\s+/);
  const direct = onPath('jupyter-server') ?? (isExecutable('/usr/bin/jupyter-server') ? '/usr/bin/jupyter-server' : undefined);
  if (direct !== undefined) return [direct];
  const jupyter = onPath('jupyter') ?? (isExecutable('/usr/bin/jupyter') ? '/usr/bin/jupyter' : undefined);
  return jupyter === undefined ? undefined : [jupyter, 'server'];
}

/** A port that was free a moment ago on 127.0.0.1 (the server gets `port_retries=0`, so a race fails loudly and we retry). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A bound in a race: must not keep the process alive once the race is decided. */
const unrefSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** `GET /api/status` (authenticated, unlike `/api`) with the token: resolves to the HTTP status, or throws on a network error. */
async function apiStatus(url: string, token: string, timeoutMs: number): Promise<number> {
  const res = await fetch(new URL('api/status', url), {
    headers: { authorization: `token ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Process ids whose command line mentions `needle` (our private runtime dir: the kernels' connection files live there). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Forwards the child's output, line by line and redacted, to the Jupyter log. */
function forwardOutput(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }
}

function levelOf(line: string): 'debug' | 'warn' {
  if (/received signal 15/.test(line)) return 'debug'; // our own stop()
  return /^\[(W|E|C) /.test(line) || /Traceback|Error/.test(line) ? 'warn' : 'debug';
}

/**
 * Starts a Jupyter Server child that only we use: 127.0.0.1 on a port picked here
 * (`--ServerApp.port_retries=0`), no browser, a random token in JUPYTER_TOKEN (never argv, never
 * logged), private runtime/config/root directories, culling of orphaned kernels, `--allow-root`
 * as root. Resolves once `GET /api/status` answers 200. Throws JupyterUnavailableError with the reason.
 */
export async function startJupyter(options: StartJupyterOptions = {}): Promise<JupyterHandle> {
  const tuning = options.tuning ?? 'fixed';
  const command = options.command ?? findJupyterCommand();
  if (command === undefined || command.length === 0) {
    throw new JupyterUnavailableError(
      `no Jupyter Server found: install jupyter-server (Debian: apt install jupyter-server python3-ipykernel) or use ${(options.names ?? byFieldName)(field('jupyterUrl'))}`,
    );
  }
  await removeStaleDirs();
  const base = await mkdtemp(join(tmpdir(), BASE_PREFIX));
  const runtimeDir = join(base, 'runtime');
  const configDir = join(base, 'config');
  const rootDir = join(base, 'root');
  await Promise.all([mkdir(runtimeDir), mkdir(configDir), mkdir(rootDir), writeFile(join(base, OWNER_FILE), `${process.pid}\n`)]);
  // Every tuning: the token leaves the kernels' environment and the server ends with serve.
  await writeFile(join(configDir, 'jupyter_server_config.py'), managedServerConfig(tuning));

  const token = randomBytes(24).toString('hex');
  addSecret(token);
  const env: NodeJS.ProcessEnv = {
    // Only the documented variables (and --jupyter-env): serve's secrets stay out of kernels.
    ...managedEnvironment(options.env ?? process.env, options.passEnv),
    JUPYTER_TOKEN: token,
    NBS_PARENT_PID: String(process.pid),
    NBS_JUPYTER_BASE: base,
    JUPYTER_RUNTIME_DIR: runtimeDir,
    JUPYTER_CONFIG_DIR: configDir,
    PYTHONUNBUFFERED: '1',
    // ipykernel's debugger warns about frozen modules at every kernel start: noise in our log.
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = performance.now() + startTimeoutMs;
  let lastError = '';

  for (let attempt = 0; attempt < 3; attempt++) {
    addSecret(token); // again: a failed attempt's stop() removed it
    const port = await freePort();
    const args = [
      ...command.slice(1),
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      `--ServerApp.root_dir=${rootDir}`,
      `--MappingKernelManager.cull_idle_timeout=${options.cullIdleTimeoutS ?? 600}`,
      `--MappingKernelManager.cull_interval=${options.cullIntervalS ?? 60}`,
      '--MappingKernelManager.cull_connected=False',
      `--KernelRestarter.time_to_dead=${options.timeToDeadS ?? 1}`,
    ];
    if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--allow-root');
    const child = spawn(command[0]!, args, {
      cwd: rootDir,
      env,
      // Own process group: stop() signals the group, so helpers the server spawns go too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const recent: string[] = [];
    forwardOutput(child, (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      jupyterLog(levelOf(line), `server: ${line}`);
    });
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = signal === null ? `exit code ${code}` : `signal ${signal}`;
    });
    child.once('error', (err) => {
      exited = err.message;
    });
    const pid = child.pid;
    const url = `http://127.0.0.1:${port}/`;
    const handle = makeHandle({ url, token, tuning, child, base, runtimeDir });
    // Wait for the API (or the child's death, or the deadline).
    while (exited === undefined && performance.now() < deadline) {
      try {
        const status = await apiStatus(url, token, 2000);
        if (status === 200) {
          jupyterLog('debug', `managed Jupyter Server pid ${pid} at ${url} (tuning ${tuning})`);
          return handle;
        }
        lastError = `GET /api/status answered ${status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await sleep(100);
    }
    await handle.stop();
    const tail = recent.slice(-3).join(' | ');
    if (exited !== undefined && /already in use|Address already in use|port .* not available/i.test(recent.join('\n'))) {
      lastError = `port ${port} was taken`;
      continue; // lost the port race: pick another one
    }
    removeSecret(token);
    await rm(base, { recursive: true, force: true });
    const why = exited !== undefined ? `Jupyter Server exited (${exited})${tail ? `: ${tail}` : ''}` : `no answer from ${url}api/status within ${startTimeoutMs} ms (${lastError})`;
    throw new JupyterUnavailableError(`could not start Jupyter Server (${command.join(' ')}): ${why}`);
  }
  removeSecret(token);
  await rm(base, { recursive: true, force: true });
  throw new JupyterUnavailableError(`could not start Jupyter Server: ${lastError}`);
}

/**
 * Removes the private directories of managed servers whose serve is gone (`kill -9`, a crash):
 * their kernels (found by the runtime dir in their command line) are killed, then the directory
 * with its token is deleted. Directories of a live serve, or of another user, are left alone.
 */
async function removeStaleDirs(): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(BASE_PREFIX));
  } catch {
    return;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  for (const name of names) {
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      if (uid !== undefined && statSync(dir).uid !== uid) continue;
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
    } catch {
      continue; // no owner file: not ours to judge
    }
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    for (const pid of pidsMentioning(join(dir, 'runtime'))) kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    jupyterLog('debug', `removed ${dir}: its serve (pid ${owner}) is gone`);
  }
}

interface ManagedParts {
  url: string;
  token: string;
  tuning: JupyterTuning;
  child: ChildProcess;
  base: string;
  runtimeDir: string;
}

function makeHandle(parts: ManagedParts): JupyterHandle {
  const { child, base, runtimeDir, token } = parts;
  const pid = child.pid;
  // If our process ends without stop(), take the server's group down with it (kernels watch
  // their parent, JPY_PARENT_PID, and the server's culler handles the rest).
  const onExit = () => {
    if (pid !== undefined) kill(-pid, 'SIGKILL');
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const exitedAlready = child.exitCode !== null || child.signalCode !== null;
    if (pid !== undefined && !exitedAlready) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      // SIGTERM: jupyter_server shuts its kernels down, then exits.
      kill(-pid, 'SIGTERM');
      const inTime = await Promise.race([gone.then(() => true), unrefSleep(8000).then(() => false)]);
      if (!inTime) {
        kill(-pid, 'SIGKILL');
        await Promise.race([gone, unrefSleep(2000)]);
      }
    }
    // Kernels run in their own sessions (jupyter_client starts them with start_new_session): find
    // any left by the connection files in our runtime dir and end them with their groups.
    for (let round = 0; round < 20; round++) {
      const left = pidsMentioning(runtimeDir);
      if (left.length === 0) break;
      for (const p of left) {
        kill(-p, round < 5 ? 'SIGTERM' : 'SIGKILL');
        kill(p, round < 5 ? 'SIGTERM' : 'SIGKILL');
      }
      await sleep(100);
    }
    if (pid !== undefined && alive(pid)) kill(-pid, 'SIGKILL');
    process.removeListener('exit', onExit);
    removeSecret(token);
    await rm(base, { recursive: true, force: true });
  };
  return {
    url: parts.url,
    token,
    tuning: parts.tuning,
    managed: true,
    pid,
    alive: () => stopping === undefined && child.exitCode === null && child.signalCode === null,
    stop: () => (stopping ??= stop()),
  };
}

export interface ConnectJupyterOptions {
  url: string;
  /** How messages name the options (field names unless told otherwise). */
  names?: FieldNamer;
  token?: string;
  /** `fixed` (default): run the flush-interval cell in kernels we start (the server's TCP_NODELAY is the server's business). */
  tuning?: JupyterTuning;
  timeoutMs?: number;
}

/**
 * An existing Jupyter Server (`--jupyter-url`, `--jupyter-token` or JUPYTER_TOKEN): checks that
 * `GET /api/status` answers with the token, and throws JupyterUnavailableError naming the reason.
 */
export async function connectJupyter(options: ConnectJupyterOptions): Promise<JupyterHandle> {
  const names = options.names ?? byFieldName;
  let url: string;
  try {
    const parsed = new URL(options.url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    parsed.search = '';
    parsed.hash = '';
    url = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
  } catch {
    throw new JupyterUnavailableError(`${names(field('jupyterUrl'))} ${options.url} is not an http(s) URL`);
  }
  const token = options.token ?? process.env['JUPYTER_TOKEN'] ?? '';
  addSecret(token);
  let status: number;
  try {
    status = await apiStatus(url, token, options.timeoutMs ?? 5000);
  } catch (err) {
    throw new JupyterUnavailableError(`Jupyter Server at ${url} unreachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (status === 401 || status === 403) {
    throw new JupyterUnavailableError(`Jupyter Server at ${url} refused the token (HTTP ${status}): check ${names(field('jupyterToken'))} or JUPYTER_TOKEN`);
  }
  if (status !== 200) throw new JupyterUnavailableError(`Jupyter Server at ${url} answered GET /api/status with HTTP ${status}`);
  return { url, token, tuning: options.tuning ?? 'fixed', managed: false, pid: undefined, alive: () => true, stop: async () => {} };
}
