import { isAbsolute } from 'node:path';
import { UsageError } from '../model/errors.js';
import { byFieldName, field, ft, type FieldNamer, type FieldRef } from '../model/field-text.js';
import { isLoopbackHost } from '../model/hosts.js';
import { FLUSH_POLICY_NAMES } from '../model/flush-presets.js';

/**
 * `config systemd`: a unit for `notebook-stream serve`, the guide's `notebook-backend.service`
 * made safe to leave running. A pure function from options to text; validation throws UsageError
 * naming the flag (exit 2).
 */
export interface SystemdUnitOptions {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of bin/notebook-stream.js. */
  bin: string;
  host?: string | undefined;
  port: number;
  flushPolicy?: string | undefined;
  /** Host file with the API token; loaded as the systemd credential `token`, never inlined. */
  tokenFile?: string | undefined;
  /** serve's `--allowed-host` values (the names nginx forwards as Host). */
  allowedHosts: readonly string[];
  /** More `serve` arguments, verbatim. */
  serveArgs: readonly string[];
  /** `KEY=VALUE` lines for Environment=. */
  env: readonly string[];
  /** Run as this user; without it, a transient DynamicUser. */
  user?: string | undefined;
  workingDirectory?: string | undefined;
  /** Name of the state and runtime directories (default notebook-stream). */
  name: string;
  /** serve's `--grace-s`: how long it may take to end its streams on SIGTERM. */
  graceS: number;
  generatedBy?: string | undefined;
  /** How the unit's comments name this generator's options (the CLI passes its flag names). */
  names?: FieldNamer | undefined;
}

export const SYSTEMD_DEFAULTS = { port: 18600, name: 'notebook-stream', graceS: 5 } as const;

const USER_RE = /^[a-z_][a-z0-9_-]*[$]?$/i;
const NAME_RE = /^[A-Za-z0-9._-]+$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+)$/;
// Where ProtectHome=yes would hide the program itself: then it can only be read-only.
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/'];

/**
 * One ExecStart= word. systemd splits on spaces and honours double quotes with C escapes; it also
 * expands `%` specifiers and `$VAR`, so literal ones are doubled (systemd.service(5), "Command lines").
 */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One Environment= assignment: `%` specifiers are expanded there, `$` is not. */
export function envWord(assignment: string): string {
  const escaped = assignment.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * serve's command line as the unit's ExecStart= runs it, and the serve flags a --serve-arg may hold:
 * argv of the program the unit starts, not words of a message.
 */
const SERVE = {
  host: '--host',
  port: '--port',
  flushPolicy: '--flush-policy',
  graceS: '--grace-s',
  allowedHost: '--allowed-host',
  tokenFile: '--token-file',
  token: '--token',
  insecureNoAuth: '--insecure-no-auth',
} as const;

// Left unexpanded on purpose: systemd expands it to the credential's private, per-service copy.
const CREDENTIALS_TOKEN = '$' + '{CREDENTIALS_DIRECTORY}/token';

function noControl(value: string, flag: FieldRef): void {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UsageError(ft`${flag}: control characters (newlines) are not allowed`);
}

function absolute(value: string, flag: FieldRef): string {
  noControl(value, flag);
  if (!isAbsolute(value)) throw new UsageError(ft`${flag} ${value}: expected an absolute path`);
  return value;
}

/** The unit file text. */
export function systemdUnit(o: SystemdUnitOptions): string {
  const node = absolute(o.node, field('node'));
  const bin = absolute(o.bin, field('bin'));
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    throw new UsageError(ft`${field('port')} ${o.port}: expected a whole number from 1 to 65535 (a unit needs a fixed port)`);
  }
  if (o.user !== undefined && !USER_RE.test(o.user)) throw new UsageError(ft`${field('user')} ${o.user}: not a valid user name`);
  if (o.user === 'nobody' || o.user === 'nfsnobody') {
    // systemd warns "Special user nobody configured, this is not safe!": files it owns are shared.
    throw new UsageError(ft`${field('user')} ${o.user}: shared with other services, systemd calls it unsafe; omit ${field('user')} for a DynamicUser`);
  }
  if (!NAME_RE.test(o.name)) throw new UsageError(ft`${field('name')} ${o.name}: letters, digits, . _ - only`);
  const workDir = o.workingDirectory === undefined ? undefined : absolute(o.workingDirectory, field('workingDirectory'));
  const tokenFile = o.tokenFile === undefined ? undefined : absolute(o.tokenFile, field('tokenFile'));
  if (tokenFile !== undefined && /[\s:]/.test(tokenFile)) {
    throw new UsageError(ft`${field('tokenFile')} ${tokenFile}: LoadCredential= cannot take a path with spaces or ":"`);
  }
  if (o.flushPolicy !== undefined && !(FLUSH_POLICY_NAMES as readonly string[]).includes(o.flushPolicy)) {
    throw new UsageError(ft`${field('flushPolicy')} ${o.flushPolicy}: expected one of ${FLUSH_POLICY_NAMES.join(', ')}`);
  }
  if (o.host !== undefined && !HOST_RE.test(o.host)) throw new UsageError(ft`${field('host')} ${o.host}: not a host name or IP address`);
  for (const h of o.allowedHosts) if (!HOST_RE.test(h)) throw new UsageError(ft`${field('allowedHosts')} ${h}: not a host name or IP address`);
  const nonLoopback = o.allowedHosts.filter((h) => !isLoopbackHost(h));
  if (nonLoopback.length > 0 && tokenFile === undefined && !o.serveArgs.includes(SERVE.insecureNoAuth)) {
    throw new UsageError(
      ft`${field('allowedHosts')} ${nonLoopback[0]}: anyone who reaches that name could run code through serve`,
      {
        code: 'NBS_USAGE_UNSAFE',
        hint: {
          code: 'NBS_HINT_AUTH',
          text: ft`add ${field('tokenFile')} FILE (or ${field('serveArgs')} ${SERVE.insecureNoAuth} if something else authenticates every request)`,
        },
      },
    );
  }
  for (const a of o.serveArgs) noControl(a, field('serveArgs'));
  if (o.serveArgs.some((a) => a === SERVE.token || a.startsWith(`${SERVE.token}=`))) {
    throw new UsageError(ft`${field('serveArgs')} ${SERVE.token}: a token on the command line is visible to every user (ps, systemctl status)`, {
      code: 'NBS_USAGE_UNSAFE',
      hint: { code: 'NBS_HINT_TOKEN_FILE', text: ft`use ${field('tokenFile')}` },
    });
  }
  const envLines: string[] = [];
  for (const kv of o.env) {
    noControl(kv, field('env'));
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (eq < 0 || !ENV_KEY_RE.test(key)) throw new UsageError(ft`${field('env')} ${kv}: expected KEY=VALUE`);
    if (key === 'NOTEBOOK_STREAM_TOKEN') {
      throw new UsageError(ft`${field('env')} NOTEBOOK_STREAM_TOKEN: Environment= is readable through systemctl show`, {
        code: 'NBS_USAGE_UNSAFE',
        hint: { code: 'NBS_HINT_TOKEN_FILE', text: ft`use ${field('tokenFile')}` },
      });
    }
    envLines.push(`Environment=${envWord(kv)}`);
  }

  const args = [node, bin, 'serve'];
  if (o.host !== undefined) args.push(SERVE.host, o.host);
  args.push(SERVE.port, String(o.port));
  if (o.flushPolicy !== undefined) args.push(SERVE.flushPolicy, o.flushPolicy);
  if (o.graceS !== SYSTEMD_DEFAULTS.graceS) args.push(SERVE.graceS, String(o.graceS));
  for (const h of o.allowedHosts) args.push(SERVE.allowedHost, h);
  args.push(...o.serveArgs);
  let exec = args.map(execWord).join(' ');
  if (tokenFile !== undefined) exec += ` ${SERVE.tokenFile} ${CREDENTIALS_TOKEN}`;

  const inHome = [node, bin, workDir ?? ''].some((p) => HOME_PREFIXES.some((h) => p.startsWith(h)));
  const lines: string[] = [];
  const add = (why: string, line: string) => lines.push(`# ${why}`, line);
  lines.push(`# notebook-stream serve as a systemd service${o.generatedBy ? `: generated by ${o.generatedBy}` : ''}`);
  lines.push(`# Install: /etc/systemd/system/${o.name}.service, then: systemctl daemon-reload && systemctl enable --now ${o.name}`);
  lines.push('[Unit]');
  lines.push('Description=notebook-stream: streaming notebook backend (serve)');
  add(`start once the network is configured, so a non-loopback ${SERVE.host} can bind`, 'After=network-online.target');
  lines.push('Wants=network-online.target', '');
  lines.push('[Service]');
  add('serve stays in the foreground and logs to stderr (the journal)', 'Type=simple');
  if (o.user !== undefined) add('an unprivileged account; kernels run as this user too', `User=${o.user}`);
  else add(`no ${(o.names ?? byFieldName)(field('user'))} given: a transient unprivileged user, so serve and its kernels never run as root`, 'DynamicUser=yes');
  add('the state directory by default: kernels start in it and may write there', `WorkingDirectory=${workDir ?? `%S/${o.name}`}`);
  add('Python kernels write their output at once (the guide\'s setting)', 'Environment=PYTHONUNBUFFERED=1');
  add('with ProtectHome the real home is hidden: IPython and pip caches live in the state directory', `Environment=HOME=%S/${o.name}`);
  add('Jupyter connection files go to the runtime directory, removed when the service stops', `Environment=JUPYTER_RUNTIME_DIR=%t/${o.name}/jupyter`);
  add('Jupyter data (kernelspecs installed by the service) persists in the state directory', `Environment=JUPYTER_DATA_DIR=%S/${o.name}/jupyter`);
  for (const line of envLines) lines.push(line);
  if (tokenFile !== undefined) {
    add('the token reaches serve as a private file under $CREDENTIALS_DIRECTORY, readable only by this service; never on the command line', `LoadCredential=token:${tokenFile}`);
  }
  add('the resolved node binary and package, with the serve flags given', `ExecStart=${exec}`);
  add('serve ends open streams with done status shutdown on SIGTERM', 'KillSignal=SIGTERM');
  add(`serve's grace period (${o.graceS} s) plus time for kernels to stop`, `TimeoutStopSec=${Math.ceil(o.graceS) + 10}`);
  add('come back after any exit, as the guide\'s unit does', 'Restart=always');
  add('wait 3 s between restarts (the guide\'s value), so a crash loop does not spin', 'RestartSec=3');
  add(`writable /var/lib/${o.name}: the only persistent place the service may write`, `StateDirectory=${o.name}`);
  add(`writable /run/${o.name} for the Jupyter runtime, removed on stop`, `RuntimeDirectory=${o.name}`);
  add('kernels and their children can never gain privileges (setuid, file capabilities)', 'NoNewPrivileges=yes');
  add('the whole file system is read-only except the state and runtime directories above', 'ProtectSystem=strict');
  if (inHome) add('the program lives under a home directory: keep homes readable, never writable', 'ProtectHome=read-only');
  else add('users\' home directories are invisible to the service and its kernels', 'ProtectHome=yes');
  add('a private /tmp, emptied on stop; kernels still have a writable /tmp', 'PrivateTmp=yes');
  lines.push('# No MemoryDenyWriteExecute=: V8\'s JIT (and numba in kernels) need writable executable memory.', '');
  lines.push('[Install]');
  add('start at boot', 'WantedBy=multi-user.target');
  return `${lines.join('\n')}\n`;
}
