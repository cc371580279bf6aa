import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import { packageRoot } from '../../paths.js';
import { FLUSH_POLICY_NAMES } from '../../model/flush-presets.js';
import { systemdPreflight } from '../systemd-preflight.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import { collect, intIn, numberIn, oneOf } from '../options.js';

/** `config nginx|systemd`: print (or write with --out) the deployment files; the library makes the text. */
export function registerConfig(program: Command, _ctx: CliContext): void {
  const config = program
    .command('config')
    .description('generate deployment files for serve: an nginx proxy config and a systemd unit')
    .addHelpText('after', '\nExamples:\n  $ notebook-stream config nginx --server-name nb.example.com\n  $ notebook-stream config systemd --user nbs');

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
        '  $ notebook-stream config systemd --flush-policy adaptive --allowed-host nb.example.com \\\n' +
        '      --out /etc/systemd/system/notebook-stream.service\n' +
        '\nThen: systemd-analyze verify FILE && systemctl daemon-reload && systemctl enable --now notebook-stream.',
    )
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const { systemdUnit } = await import('../../deploy/systemd-unit.js');
      const node = (opts['node'] as string | undefined) ?? process.execPath;
      const bin = (opts['bin'] as string | undefined) ?? installedBin();
      systemdPreflight({ node, bin, workingDirectory: opts['workingDirectory'] as string | undefined }, opts['user'] as string | undefined);
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
      await emit(text, opts);
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
