import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { FLUSH_POLICY_NAMES, type CustomFlushOverrides, type FlushPolicyName } from '../../model/flush-presets.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import { JUPYTER_TUNINGS, type JupyterTuning } from '../../jupyter/tuning.js';
import type { LlmFlags } from '../../server/sources/llm-config.js';
import { addLlmOptions } from '../llm-options.js';
import { collect, intIn, numberIn } from '../options.js';

/** Commander's parsed flags; the custom-policy flags share CustomFlushOverrides' names. */
interface ServeFlags extends CustomFlushOverrides, LlmFlags {
  host: string;
  port: number;
  flushPolicy: FlushPolicyName;
  keepAliveS: number;
  heartbeatS: number;
  maxStreams: number;
  graceS: number;
  stallTimeoutS: number;
  maxQueuedKib: number;
  headersTimeoutS: number;
  maxConnections: number;
  allowPolicyOverride?: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logFile?: string;
  token?: string;
  tokenFile?: string;
  insecureNoAuth?: boolean;
  allowedHost?: string[];
  corsOrigin?: string[];
  corsCredentials?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  http2?: boolean;
  jupyter: 'lazy' | 'eager' | 'off';
  jupyterUrl?: string;
  jupyterToken?: string;
  jupyterTuning: JupyterTuning;
  maxKernels: number;
  jupyterEnv?: string[];
}

const CUSTOM_FLAGS: ReadonlyArray<[keyof CustomFlushOverrides, string]> = [
  ['bufferChars', '--buffer-chars'],
  ['flushIntervalMs', '--flush-interval-ms'],
  ['minChars', '--min-chars'],
  ['releaseWaitMs', '--release-wait-ms'],
  ['kernelWaitMs', '--kernel-wait-ms'],
  ['plainHeaders', '--plain-headers'],
];

export function registerServe(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('serve')
    .summary('run the embedded streaming server (POST /send_operation)')
    .description(
      'Run the embedded streaming server: the field guide\'s POST /send_operation API, streamed as ' +
        'Server-Sent Events with a flush policy. Prints one stdout line, its URL, once it accepts ' +
        'connections; logs (JSON, one line per stream) go to stderr. SIGINT/SIGTERM end open ' +
        'streams with done status "shutdown" within --grace-s, then exit 0.',
    )
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('-p, --port <n>', 'port (0 picks a free one)', intIn(0, 65535), 18600)
    .addOption(
      new Option('--flush-policy <name>', 'when buffered text is released')
        .choices(FLUSH_POLICY_NAMES)
        .default('adaptive'),
    )
    .option('--buffer-chars <n>', 'custom: release at this many code points', intIn(1, 1_000_000))
    .option('--flush-interval-ms <ms>', 'custom: or after this long since the last release ...', intIn(0, 600_000))
    .option('--min-chars <n>', 'custom: ... when at least this many code points wait', intIn(0, 1_000_000))
    .option('--release-wait-ms <ms>', 'custom: sleep after each release', intIn(0, 60_000))
    .option('--kernel-wait-ms <ms>', 'custom: kernel poll wait when no message is ready', intIn(0, 60_000))
    .option('--plain-headers', 'custom: send text/plain without the anti-buffering headers')
    .option('--keep-alive-s <s>', 'idle keep-alive timeout (longer than proxies\' idle timeouts)', numberIn(1, 3600), 75)
    .option('--heartbeat-s <s>', 'heartbeat comment on an idle stream every this many seconds (0: off)', numberIn(0, 3600), 15)
    .option('--max-streams <n>', 'concurrent streams; past it 503 NBS_TOO_MANY_STREAMS', intIn(1, 10_000_000), 10_000)
    .option('--grace-s <s>', 'on SIGINT/SIGTERM, time for open streams to end', numberIn(0, 3600), 5)
    .option('--stall-timeout-s <s>', 'end a stream whose client reads nothing for this long', numberIn(1, 86_400), 30)
    .option('--max-queued-kib <n>', 'end a stream (outcome overflow) that leaves more than this many KiB unread for 1 s', intIn(16, 1_048_576), 1024)
    .option('--headers-timeout-s <s>', 'a request whose headers take longer gets 408 and is closed', numberIn(1, 3600), 10)
    .option('--max-connections <n>', 'open connections at most; more are closed at once (0: no limit)', intIn(0, 10_000_000), 0)
    .option('--allow-policy-override', 'let the X-NBS-Flush-Policy request header pick the policy')
    .addOption(
      new Option('--log-level <level>', 'stderr log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .option('--log-file <path>', 'also append the JSON log lines to this file')
    .option('--token-file <path>', 'require Authorization: Bearer <token> read from this file (also NOTEBOOK_STREAM_TOKEN)')
    .option('--token <token>', 'the same, on the command line (visible in ps: prefer --token-file)')
    .option('--insecure-no-auth', 'allow a non-loopback --host without a token')
    .option('--allowed-host <name>', 'accept this Host header besides loopback names (repeatable)', collect)
    .option('--cors-origin <origin>', 'send CORS headers to this origin (repeatable)', collect)
    .option('--cors-credentials', 'with --cors-origin: allow credentials')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS with HTTP/1.1 and HTTP/2 (ALPN)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--http2', 'serve cleartext HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1');
  cmd
    .addOption(
      new Option('--jupyter <mode>', 'execute operations: start the managed Jupyter Server on first use, at start-up (exit 3 if it cannot), or never')
        .choices(['lazy', 'eager', 'off'])
        .default('lazy'),
    )
    .option('--jupyter-url <url>', 'use this existing Jupyter Server instead of a managed one')
    .option('--jupyter-token <token>', 'its token (else JUPYTER_TOKEN)')
    .addOption(
      new Option('--jupyter-tuning <t>', 'fixed: TCP_NODELAY and a 10 ms kernel flush interval; stock: Jupyter as shipped')
        .choices(JUPYTER_TUNINGS)
        .default('fixed'),
    )
    .option('--max-kernels <n>', 'live kernels at most; past it 503 NBS_TOO_MANY_KERNELS', intIn(1, 1000), 8)
    .option('--jupyter-env <name>', 'also pass this variable (or PREFIX*) to the managed Jupyter Server and kernels (repeatable; see docs/jupyter.md "Secrets")', collect);
  addLlmOptions(cmd)
    .addHelpText(
      'after',
      '\nFlush policies (docs/protocol.md):\n' +
        '  guide-before  the guide\'s old backend: 50 chars, or 100 ms and 40 chars; text/plain; 10 ms sleep\n' +
        '  guide-after   the guide\'s fix: 20 chars, or 50 ms and 15 chars; streaming headers\n' +
        '  adaptive      (default) every payload at once, one write per event-loop turn\n' +
        '  custom        guide-after\'s values changed by --buffer-chars, --flush-interval-ms, ...\n' +
        '\nExamples:\n' +
        '  $ notebook-stream serve --port 0\n' +
        '  $ notebook-stream serve --flush-policy guide-before\n' +
        '  $ notebook-stream serve --flush-policy custom --flush-interval-ms 10 --min-chars 1\n' +
        '  $ notebook-stream serve --host 0.0.0.0 --token-file /run/secrets/nbs-token\n' +
        '  $ notebook-stream serve --tls-cert cert.pem --tls-key key.pem --port 8443\n' +
        '  $ notebook-stream serve --jupyter eager --jupyter-tuning stock   # reproduce Jupyter\'s delays\n' +
        '  $ notebook-stream serve --jupyter-env HF_TOKEN --jupyter-env \'AWS_*\'   # kernels see these, no other secret\n' +
        '  $ curl -N -X POST http://127.0.0.1:18600/send_operation -H \'Content-Type: application/json\' \\\n' +
        '      -d \'{"notebook_id":"n1","operation":{"type":"ping"},"lang":"en"}\'',
    )
    .action(async (flags: ServeFlags, command: Command) => {
      const custom: CustomFlushOverrides = {};
      for (const [key, flag] of CUSTOM_FLAGS) {
        const value = flags[key];
        if (value === undefined) continue;
        if (flags.flushPolicy !== 'custom') throw new UsageError(`${flag} applies only to --flush-policy custom`);
        (custom as Record<string, unknown>)[key] = value;
      }
      const { runServe, readServeSecrets } = await import('../run-serve.js');
      if (flags.jupyterUrl !== undefined && !/^https?:\/\/[^/]+/.test(flags.jupyterUrl)) {
        throw new UsageError(`--jupyter-url ${flags.jupyterUrl}: expected an http:// or https:// URL, e.g. http://127.0.0.1:8888/`);
      }
      const { ENV_PATTERN } = await import('../../jupyter/managed-env.js');
      const badEnv = (flags.jupyterEnv ?? []).find((n) => !ENV_PATTERN.test(n));
      if (badEnv !== undefined) throw new UsageError(`--jupyter-env ${badEnv}: expected a variable name such as HF_TOKEN, or a prefix such as AWS_*`);
      const secrets = readServeSecrets(flags, process.env);
      const { resolveLlmConfig } = await import('../../server/sources/llm-config.js');
      const llm = resolveLlmConfig(flags, process.env);
      await runServe(
        {
          ...secrets,
          host: flags.host,
          port: flags.port,
          flushPolicy: flags.flushPolicy,
          custom,
          keepAliveS: flags.keepAliveS,
          heartbeatS: flags.heartbeatS,
          maxStreams: flags.maxStreams,
          graceS: flags.graceS,
          stallTimeoutS: flags.stallTimeoutS,
          maxQueuedBytes: flags.maxQueuedKib * 1024,
          headersTimeoutS: flags.headersTimeoutS,
          maxConnections: flags.maxConnections,
          allowPolicyOverride: flags.allowPolicyOverride === true,
          logLevel: flags.logLevel,
          insecureNoAuth: flags.insecureNoAuth === true,
          allowedHosts: flags.allowedHost ?? [],
          corsOrigins: flags.corsOrigin ?? [],
          corsCredentials: flags.corsCredentials === true,
          http2: flags.http2 === true,
          llm,
          // serve's messages (HTTP errors, /healthz) name options as its flags.
          names: flagNamer(command),
          jupyter: {
            mode: flags.jupyter,
            tuning: flags.jupyterTuning,
            maxKernels: flags.maxKernels,
            env: process.env,
            passEnv: flags.jupyterEnv ?? [],
            ...(flags.jupyterUrl === undefined ? {} : { url: flags.jupyterUrl }),
            ...(flags.jupyterToken === undefined ? {} : { token: flags.jupyterToken }),
          },
        },
        flags.logFile,
        ctx,
      );
    });
}
