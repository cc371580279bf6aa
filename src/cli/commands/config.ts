import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { packageRoot } from '../../paths.js';
import { FLUSH_POLICY_NAMES } from '../../model/flush-presets.js';
import { systemdPreflight } from '../systemd-preflight.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import { parseDuration } from '../duration.js';
import { collect, intIn, numberIn, oneOf } from '../options.js';
import { PROMETHEUS_DEFAULTS, promDuration } from '../../deploy/prometheus-defaults.js';

/** `config nginx|systemd`: print (or write with --out) the deployment files; the library makes the text. */
export function registerConfig(program: Command, _ctx: CliContext): void {
  const config = program
    .command('config')
    .description('generate deployment files: an nginx proxy config and a systemd unit for serve, a Prometheus config and alert rules')
    .addHelpText(
      'after',
      '\nExamples:\n  $ notebook-stream config nginx --server-name nb.example.com\n  $ notebook-stream config systemd --user nbs\n' +
        '  $ notebook-stream config prometheus --out prometheus.yml',
    );

  config
    .command('nginx')
    .description('print an nginx server block (or just the location) that passes every event through at once')
    .option('--upstream <host:port>', 'address of notebook-stream serve', '127.0.0.1:18600')
    .option('--listen <[addr:]port>', 'plain-HTTP listener', '80')
    .option('--server-name <names>', 'server_name value(s)', '_')
    .option('--path <path>', 'the streaming endpoint', '/send_operation')
    .option('--location-only', 'print only the location block, to paste into an existing server')
    .option('--tls-cert <file>', 'certificate: adds an HTTPS listener with HTTP/2 (needs --tls-key)')
    .option('--tls-key <file>', 'private key for --tls-cert')
    .option('--tls-listen <[addr:]port>', 'HTTPS listener', '443')
    .option('--read-timeout-s <s>', 'proxy_read_timeout and proxy_send_timeout', intIn(1, 604_800), 3600)
    .option('--heartbeat-s <s>', "serve's --heartbeat-s (the read timeout must be longer)", numberIn(0, 86_400), 15)
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--force', 'let --out overwrite an existing file')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream config nginx --server-name nb.example.com --out /etc/nginx/conf.d/notebook-stream.conf\n' +
        '  $ notebook-stream config nginx --location-only --path /api/send_operation\n' +
        '  $ notebook-stream config nginx --tls-cert /etc/ssl/nb.crt --tls-key /etc/ssl/nb.key\n' +
        '\nThen: nginx -t && systemctl reload nginx (see docs/deploy.md).',
    )
    .action(async (opts: Record<string, unknown>) => {
      const { nginxConfig } = await import('../../deploy/nginx-config.js');
      const text = nginxConfig({
        upstream: String(opts['upstream']),
        listen: String(opts['listen']),
        serverName: String(opts['serverName']),
        path: String(opts['path']),
        locationOnly: opts['locationOnly'] === true,
        tlsCert: opts['tlsCert'] as string | undefined,
        tlsKey: opts['tlsKey'] as string | undefined,
        tlsListen: String(opts['tlsListen']),
        readTimeoutS: opts['readTimeoutS'] as number,
        heartbeatS: opts['heartbeatS'] as number,
        generatedBy: commandLine('nginx'),
      });
      await emit(text, opts);
    });

  config
    .command('systemd')
    .description('print a systemd unit that runs notebook-stream serve, sandboxed, restarted on failure')
    .option('--port <n>', 'serve --port', intIn(1, 65535), 18600)
    .option('--host <addr>', 'serve --host (default: serve\'s own, 127.0.0.1)')
    .option('--flush-policy <name>', 'serve --flush-policy', oneOf(FLUSH_POLICY_NAMES))
    .option('--token-file <file>', 'token file on the host; passed as a systemd credential, never inlined')
    .option('--allowed-host <name>', 'serve --allowed-host (the Host nginx forwards; repeatable)', collect)
    .option('--serve-arg <arg>', 'one more serve argument, verbatim (repeatable)', collect)
    .option('--env <KEY=VALUE>', 'an Environment= line (repeatable)', collect)
    .option('--user <name>', 'run as this user (default: a transient DynamicUser)')
    .option('--working-directory <dir>', 'working directory (default: the state directory)')
    .option('--name <name>', 'unit, state and runtime directory name', 'notebook-stream')
    .option('--grace-s <s>', "serve's --grace-s, for TimeoutStopSec", numberIn(0, 3600), 5)
    .option('--node <path>', 'node binary for ExecStart (default: the one running this command)')
    .option('--bin <path>', 'bin/notebook-stream.js for ExecStart (default: this installation\'s)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--force', 'let --out overwrite an existing file')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream config systemd --user nbs --token-file /etc/notebook-stream/token\n' +
        '  $ notebook-stream config systemd --flush-policy adaptive --allowed-host nb.example.com --token-file /etc/notebook-stream/token \\\n' +
        '      --out /etc/systemd/system/notebook-stream.service\n' +
        '\nThen: systemd-analyze verify FILE && systemctl daemon-reload && systemctl enable --now notebook-stream.',
    )
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const { systemdUnit } = await import('../../deploy/systemd-unit.js');
      const node = (opts['node'] as string | undefined) ?? process.execPath;
      const bin = (opts['bin'] as string | undefined) ?? installedBin();
      const text = systemdUnit({
        node,
        bin,
        host: opts['host'] as string | undefined,
        port: opts['port'] as number,
        flushPolicy: opts['flushPolicy'] as string | undefined,
        tokenFile: opts['tokenFile'] as string | undefined,
        allowedHosts: (opts['allowedHost'] as string[] | undefined) ?? [],
        serveArgs: (opts['serveArg'] as string[] | undefined) ?? [],
        env: (opts['env'] as string[] | undefined) ?? [],
        user: opts['user'] as string | undefined,
        workingDirectory: opts['workingDirectory'] as string | undefined,
        name: String(opts['name']),
        graceS: opts['graceS'] as number,
        generatedBy: commandLine('systemd'),
        names: flagNamer(command),
      });
      // After the flag values are checked (the unit above): then whether the unit could start its program.
      systemdPreflight({ node, bin, workingDirectory: opts['workingDirectory'] as string | undefined }, opts['user'] as string | undefined);
      await emit(text, opts);
    });

  config
    .command('prometheus')
    .description('print a Prometheus scrape config for monitor and serve (or, with --rules, the alert rules it loads)')
    .option('--rules', 'print the alert rules file instead of the scrape config')
    .option('--monitor <host:port>', 'a notebook-stream monitor to scrape (repeatable)', collect)
    .option('--serve <host:port>', "a notebook-stream serve whose /metrics to scrape (repeatable)", collect)
    .option('--no-monitor', 'no monitor job (serve only)')
    .option('--no-serve', 'no serve job (monitor only)')
    .option('--probe-target <name>', 'a monitor target Prometheus probes itself through /probe?target=NAME (repeatable)', collect)
    .option('--serve-token-file <file>', "file with serve's token, for its /metrics (Prometheus reads it)")
    .addOption(new Option('--scrape-interval <duration>', 'scrape_interval').argParser(parseDuration).default(PROMETHEUS_DEFAULTS.scrapeIntervalMs, promDuration(PROMETHEUS_DEFAULTS.scrapeIntervalMs)))
    .addOption(new Option('--evaluation-interval <duration>', 'evaluation_interval (how often the rules run)').argParser(parseDuration).default(PROMETHEUS_DEFAULTS.evaluationIntervalMs, promDuration(PROMETHEUS_DEFAULTS.evaluationIntervalMs)))
    .option('--rules-file <path>', 'the rules file the config loads (relative to the config file)', PROMETHEUS_DEFAULTS.rulesFile)
    .addOption(new Option('--for <duration>', 'for: of every rule (how long a condition must hold)').argParser(parseDuration).default(PROMETHEUS_DEFAULTS.forMs, promDuration(PROMETHEUS_DEFAULTS.forMs)))
    .addOption(new Option('--window <duration>', 'the rate() window under the quantiles (at least 2 scrape intervals)').argParser(parseDuration).default(PROMETHEUS_DEFAULTS.windowMs, promDuration(PROMETHEUS_DEFAULTS.windowMs)))
    .option('--first-content-p99-ms <ms>', 'alert when first content p99 exceeds this', intIn(1, 3_600_000), PROMETHEUS_DEFAULTS.firstContentP99Ms)
    .option('--failures <n>', 'alert after this many failed probes in a row', intIn(1, 10_000), PROMETHEUS_DEFAULTS.failures)
    .option('--max-streams <n>', "serve's --max-streams", intIn(1, 10_000_000), PROMETHEUS_DEFAULTS.maxStreams)
    .option('--near <share>', 'share of a limit that counts as near it', numberIn(0.01, 1), PROMETHEUS_DEFAULTS.near)
    .option('--hold-margin-ms <ms>', "added to each flush policy's own delay for the hold rule", intIn(0, 60_000), PROMETHEUS_DEFAULTS.holdMarginMs)
    .option('--custom-flush-interval-ms <ms>', "serve's --flush-interval-ms, for the custom policy's hold rule", intIn(0, 600_000))
    .option('--out <file>', 'write to FILE instead of stdout')
    .option('--force', 'let --out overwrite an existing file')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream config prometheus --out prometheus.yml\n' +
        '  $ notebook-stream config prometheus --rules --out notebook-stream.rules.yml\n' +
        '  $ notebook-stream config prometheus --serve 10.0.0.5:18600 --serve 10.0.0.6:18600 --max-streams 2000\n' +
        '\nThen: promtool check config prometheus.yml (see docs/monitoring.md).',
    )
    .action(async (opts: Record<string, unknown>) => {
      const { prometheusConfig, prometheusRules } = await import('../../deploy/prometheus-config.js');
      const list = (key: string, fallback: string): string[] =>
        opts[key] === false ? [] : ((opts[key] as string[] | undefined) ?? [fallback]);
      const o = {
        monitors: list('monitor', PROMETHEUS_DEFAULTS.monitor),
        serves: list('serve', PROMETHEUS_DEFAULTS.serve),
        probeTargets: (opts['probeTarget'] as string[] | undefined) ?? [],
        serveTokenFile: opts['serveTokenFile'] as string | undefined,
        scrapeIntervalMs: opts['scrapeInterval'] as number,
        evaluationIntervalMs: opts['evaluationInterval'] as number,
        rulesFile: String(opts['rulesFile']),
        forMs: opts['for'] as number,
        windowMs: opts['window'] as number,
        firstContentP99Ms: opts['firstContentP99Ms'] as number,
        failures: opts['failures'] as number,
        maxStreams: opts['maxStreams'] as number,
        near: opts['near'] as number,
        holdMarginMs: opts['holdMarginMs'] as number,
        customFlushIntervalMs: opts['customFlushIntervalMs'] as number | undefined,
        generatedBy: commandLine('prometheus'),
      };
      await emit(opts['rules'] === true ? prometheusRules(o) : prometheusConfig(o), opts);
    });
}

/** The command as typed, for the generated file's header (so it can be regenerated). */
function commandLine(sub: string): string {
  const i = process.argv.indexOf(sub);
  const rest = i < 0 ? [] : process.argv.slice(i + 1);
  const quoted = rest.filter((a, k) => a !== '--force' && a !== '--out' && rest[k - 1] !== '--out');
  return ['notebook-stream', 'config', sub, ...quoted.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))].join(' ');
}

/** bin/notebook-stream.js of this installation (at the package root), symlinks resolved. */
function installedBin(): string {
  const path = join(packageRoot(), 'bin', 'notebook-stream.js');
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

async function emit(text: string, opts: Record<string, unknown>): Promise<void> {
  const out = opts['out'] as string | undefined;
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    // 'wx' fails if the file exists: an installed config is never replaced by accident.
    await writeFile(out, text, { flag: opts['force'] === true ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`--out ${out}: the file exists; add --force to overwrite it`);
    throw new UsageError(`--out ${out}: cannot write (${code ?? String(err)})`, { cause: err });
  }
  process.stderr.write(`wrote ${out}\n`);
}
