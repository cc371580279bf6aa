import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { flushSettings, type FlushPolicyName } from '../src/model/flush-presets.js';
import { routeConsole } from '../src/cli/console-route.js';
import { JupyterLog } from '../src/jupyter/log.js';
import { classifyJupyter, measureJupyter, median, NAGLE_EXCESS_MS, NAGLE_THRESHOLD_MS } from '../src/jupyter/measure.js';
import { connectJupyter, findJupyterCommand, JupyterUnavailableError, startJupyter } from '../src/jupyter/server.js';
import { NODELAY_SERVER_CONFIG } from '../src/jupyter/tuning.js';
import { RequestError } from '../src/server/request-error.js';
import { createExecuteSource, type ExecuteSource } from '../src/server/sources/execute.js';
import type { Payload } from '../src/server/source.js';
import { isCi } from './helpers/system.js';

/**
 * The execute source against a real Jupyter Server and ipykernel (Debian's jupyter-server 1.23 and
 * python3-ipykernel 6.17 on the test machines). Skipped with a reason when Jupyter Server is not
 * installed; in CI (CI=true) a missing Jupyter is a failure, never a skip.
 */
const command = findJupyterCommand(process.env);
const skip = command === undefined ? 'Jupyter Server not found (apt install jupyter-server python3-ipykernel)' : false;
if (skip !== false && isCi()) {
  test('Jupyter Server is installed (required in CI)', () => {
    assert.fail('CI is set but no jupyter-server was found on PATH or at /usr/bin/jupyter-server');
  });
}

const logLines: string[] = [];

interface RunResult {
  payloads: Payload[];
  result: Extract<Payload, { type: 'result' }> | undefined;
  text: string;
  firstPayloadMs: number | undefined;
}

/** Runs one cell through the source like the server would, bounded by `boundMs`. */
async function run(
  ex: ExecuteSource,
  code: string,
  opts: { notebookId?: string; policy?: FlushPolicyName; timeoutS?: number; abort?: AbortController; boundMs?: number } = {},
): Promise<RunResult> {
  const ac = opts.abort ?? new AbortController();
  const bound = setTimeout(() => ac.abort(), opts.boundMs ?? 20_000);
  try {
    const op = ex.source.validate({ type: 'execute', code, ...(opts.timeoutS === undefined ? {} : { timeout_s: opts.timeoutS }) }, 'en');
    const t0 = performance.now();
    const iterable = await ex.source.open(op, {
      signal: ac.signal,
      settings: flushSettings(opts.policy ?? 'adaptive'),
      notebookId: opts.notebookId ?? 'nb-1',
      lang: 'en',
    });
    const payloads: Payload[] = [];
    let firstPayloadMs: number | undefined;
    for await (const p of iterable) {
      if (p.type !== 'result' && firstPayloadMs === undefined) firstPayloadMs = performance.now() - t0;
      payloads.push(p);
    }
    const result = payloads.findLast((p) => p.type === 'result') as RunResult['result'];
    const text = payloads.map((p) => (p.type === 'stdout' || p.type === 'stderr' ? p.text : '')).join('');
    return { payloads, result, text, firstPayloadMs };
  } finally {
    clearTimeout(bound);
  }
}

/** The 25th percentile (nearest rank): what most samples reach even when load delays some. */
function lowerQuartile(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 4)]!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose command line contains `needle` (from /proc: the process table). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

test('execute source on a real Jupyter Server', { skip, timeout: 150_000 }, async (t) => {
  // Each server its own log (and its own token to redact); the library's console lines, as the
  // CLI routes them, go to the fixed server's log.
  const collect = (level: string, line: string) => logLines.push(`${level} ${line}`);
  const fixedLog = new JupyterLog(collect);
  const restoreConsole = routeConsole((level, line) => fixedLog.log(level, line));
  const fixed = await startJupyter({ tuning: 'fixed', env: process.env, log: fixedLog });
  const stock = await startJupyter({ tuning: 'stock', env: process.env, log: new JupyterLog(collect) });
  const exFixed = createExecuteSource(async () => fixed);
  const exStock = createExecuteSource(async () => stock);
  const kernelIds = new Set<string>();
  const noteKernels = (ex: ExecuteSource) => {
    for (const k of ex.stats()?.kernels ?? []) kernelIds.add(k.id);
  };
  let stopped = false;
  t.after(async () => {
    if (!stopped) {
      await Promise.allSettled([exFixed.close(), exStock.close()]);
      await Promise.allSettled([fixed.stop(), stock.stop()]);
    }
    restoreConsole();
  });

  await t.test('the token travels in the environment, never on the command line', () => {
    assert.ok(fixed.pid !== undefined);
    const cmdline = readFileSync(`/proc/${fixed.pid}/cmdline`, 'utf8');
    assert.ok(!cmdline.includes(fixed.token), 'token on the command line');
    assert.ok(cmdline.includes('--ServerApp.port_retries=0'));
    assert.ok(cmdline.includes('--ServerApp.ip=127.0.0.1'));
    assert.ok(readFileSync(`/proc/${fixed.pid}/environ`, 'utf8').includes(`JUPYTER_TOKEN=${fixed.token}`));
    assert.ok(logLines.some((l) => l.includes('TCP_NODELAY set in open() of ZMQChannelsHandler')), 'fixed tuning config loaded');
  });

  await t.test('validation fails before any stream', async () => {
    assert.throws(() => exFixed.source.validate({ type: 'execute' }, 'en'), (e: unknown) => e instanceof RequestError && e.code === 'NBS_INVALID_BODY' && /operation\.code/.test(e.message));
    assert.throws(() => exFixed.source.validate({ type: 'execute', code: 42 }, 'en'), (e: unknown) => e instanceof RequestError && e.code === 'NBS_INVALID_BODY');
    assert.throws(() => exFixed.source.validate({ type: 'execute', code: 'x', timeout_s: -1 }, 'en'), (e: unknown) => e instanceof RequestError && /timeout_s/.test(e.message));
    assert.throws(() => exFixed.source.validate({ type: 'execute', code: 'x', kernel: 'no such/kernel' }, 'en'), (e: unknown) => e instanceof RequestError && e.code === 'NBS_UNKNOWN_KERNEL');
    const op = exFixed.source.validate({ type: 'execute', code: '1', kernel: 'cobol85' }, 'en');
    await assert.rejects(
      exFixed.source.open(op, { signal: new AbortController().signal, settings: flushSettings('adaptive'), notebookId: 'nb-1', lang: 'en' }),
      (e: unknown) => e instanceof RequestError && e.code === 'NBS_UNKNOWN_KERNEL' && e.statusCode === 400 && /python3/.test(e.message),
    );
  });

  await t.test('streams arrive in order and the result carries the execution count', async () => {
    const r = await run(exFixed, 'import sys\nfor i in range(20):\n    print(i, flush=True)\nsys.stdout.flush()\nprint("oops", file=sys.stderr)');
    assert.equal(r.result?.status, 'ok');
    assert.equal(typeof r.result?.execution_count, 'number');
    const stdout = r.payloads.filter((p) => p.type === 'stdout').map((p) => (p as { text: string }).text).join('');
    assert.equal(stdout, Array.from({ length: 20 }, (_, i) => `${i}\n`).join(''));
    const stderr = r.payloads.filter((p) => p.type === 'stderr').map((p) => (p as { text: string }).text).join('');
    assert.equal(stderr, 'oops\n');
    noteKernels(exFixed);
  });

  const loop = (intervalS: number) => `import time\nfor i in range(8):\n    print(i, flush=False)\n    time.sleep(${intervalS})`;
  await t.test('a printing loop arrives line by line with fixed tuning, in lumps with stock', async () => {
    // Line by line: prints 200 ms apart stay separate messages unless a 10 ms flush runs 200 ms late.
    const slow = await run(exFixed, loop(0.2));
    const slowCount = slow.payloads.filter((p) => p.type === 'stdout').length;
    // Lumps: the same 50 ms loop on both; stock's first line waits for its 200 ms flush interval.
    const f = await run(exFixed, loop(0.05));
    const s = await run(exStock, loop(0.05));
    noteKernels(exStock);
    const fCount = f.payloads.filter((p) => p.type === 'stdout').length;
    const sCount = s.payloads.filter((p) => p.type === 'stdout').length;
    t.diagnostic(
      `printing loop: fixed ${slowCount} stdout payloads at 200 ms; at 50 ms fixed ${fCount}, stock ${sCount}; ` +
        `first line at 50 ms: fixed ${f.firstPayloadMs?.toFixed(1)} ms, stock ${s.firstPayloadMs?.toFixed(1)} ms`,
    );
    for (const r of [slow, f, s]) assert.equal(r.text, '0\n1\n2\n3\n4\n5\n6\n7\n');
    assert.ok(slowCount >= 7, `fixed: ${slowCount} payloads for 8 lines printed 200 ms apart`);
    // Stock: lumps at the 200 ms flush interval (measured 2–5 messages for 8 lines); load only merges more.
    assert.ok(sCount < fCount, `50 ms loop: stock ${sCount} payloads, fixed ${fCount}`);
    assert.ok((s.firstPayloadMs ?? 0) >= 190, `stock's first line at ${s.firstPayloadMs} ms: not held by the flush interval`);
    assert.ok((f.firstPayloadMs ?? Infinity) < (s.firstPayloadMs ?? 0), `first line: fixed ${f.firstPayloadMs} ms, stock ${s.firstPayloadMs} ms`);
  });

  await t.test('rich display data and display updates', async () => {
    const r = await run(
      exFixed,
      'from IPython.display import display, HTML\nh = display(HTML("<b>a</b>"), display_id=True)\nh.update(HTML("<b>b</b>"))\n6 * 7',
    );
    const displays = r.payloads.filter((p) => p.type === 'display');
    assert.deepEqual(
      displays.map((p) => p.kind),
      ['display', 'update', 'execute_result'],
    );
    assert.equal(displays[0]?.data['text/html'], '<b>a</b>');
    assert.equal(displays[1]?.data['text/html'], '<b>b</b>');
    assert.equal(displays[0]?.transient?.['display_id'], displays[1]?.transient?.['display_id']);
    assert.equal(displays[2]?.data['text/plain'], '42');
    const cleared = await run(exFixed, 'from IPython.display import clear_output\nprint("x")\nclear_output(wait=True)');
    assert.ok(cleared.payloads.some((p) => p.type === 'display' && p.kind === 'clear_output' && p.metadata['wait'] === true));
  });

  await t.test('an exception becomes an error payload with its traceback', async () => {
    const r = await run(exFixed, 'def f():\n    return 1 / 0\nf()');
    const err = r.payloads.find((p) => p.type === 'error');
    assert.ok(err !== undefined && err.type === 'error');
    assert.equal(err.ename, 'ZeroDivisionError');
    assert.equal(err.evalue, 'division by zero');
    assert.ok((err.traceback?.length ?? 0) >= 2 && err.traceback?.join('\n').includes('ZeroDivisionError'));
    assert.equal(r.result?.status, 'error');
  });

  await t.test('kernels are reused per notebook_id', async () => {
    await run(exFixed, 'x = 41', { notebookId: 'nb-reuse' });
    const same = await run(exFixed, 'print(x + 1)', { notebookId: 'nb-reuse' });
    assert.equal(same.text, '42\n');
    const other = await run(exFixed, 'print(x + 1)', { notebookId: 'nb-other' });
    assert.ok(other.payloads.some((p) => p.type === 'error' && p.ename === 'NameError'));
    noteKernels(exFixed);
    const stats = exFixed.stats();
    const reused = stats?.kernels.find((k) => k.notebookId === 'nb-reuse');
    assert.ok(reused !== undefined && (reused.rssBytes ?? 0) > 10_000_000, `kernel RSS from /proc: ${reused?.rssBytes}`);
    assert.ok(reused.startMs > 0 && (stats?.recentStartMs.length ?? 0) >= 2);
  });

  await t.test('abort interrupts a while-True cell and the kernel stays usable', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const pending = run(exFixed, 'import time\nz = 5\nprint("started", flush=True)\nwhile True:\n    time.sleep(0.01)', { abort: ac, notebookId: 'nb-abort' });
    // Abort once the cell is surely running (first output arrives in ~10 ms on a warm kernel; a new kernel takes ~1 s).
    const poll = setInterval(() => {
      if ((exFixed.stats()?.kernels ?? []).some((k) => k.notebookId === 'nb-abort' && k.busy)) {
        clearInterval(poll);
        setTimeout(() => ac.abort(), 300);
      }
    }, 20);
    const r = await pending;
    clearInterval(poll);
    assert.equal(r.result?.status, 'aborted');
    assert.ok(performance.now() - started < 10_000);
    // The same kernel (z survives), not a replacement: the interrupt stopped the loop.
    const after = await run(exFixed, 'print("still here", z)', { notebookId: 'nb-abort', boundMs: 10_000 });
    assert.equal(after.text, 'still here 5\n');
    assert.equal(after.result?.status, 'ok');
  });

  await t.test('timeout_s interrupts the cell: status timeout, kernel usable', async () => {
    const r = await run(exFixed, 'import time\nwhile True:\n    time.sleep(0.01)', { timeoutS: 0.5, notebookId: 'nb-abort' });
    assert.equal(r.result?.status, 'timeout');
    assert.ok(!r.payloads.some((p) => p.type === 'error'), 'the KeyboardInterrupt of our own interrupt is not reported');
    const after = await run(exFixed, 'print("ok", z)', { notebookId: 'nb-abort' });
    assert.equal(after.text, 'ok 5\n');
  });

  await t.test('a dead kernel is an error payload and the next cell gets a new kernel', async () => {
    await run(exFixed, 'y = 1', { notebookId: 'nb-die' });
    const r = await run(exFixed, 'import os; os._exit(1)', { notebookId: 'nb-die' });
    assert.ok(r.payloads.some((p) => p.type === 'error' && p.code === 'NBS_KERNEL_DIED'), JSON.stringify(r.payloads));
    assert.equal(r.result?.status, 'error');
    const next = await run(exFixed, 'print("y" in globals())', { notebookId: 'nb-die' });
    assert.equal(next.text, 'False\n');
    noteKernels(exFixed);
  });

  await t.test("the guide's poller: kernelWaitMs sleeps when no message is ready", async () => {
    await run(exFixed, 'pass', { notebookId: 'nb-poll' }); // kernel started and warm
    const adaptive = await run(exFixed, 'print("x")', { notebookId: 'nb-poll' });
    const before = await run(exFixed, 'print("x")', { notebookId: 'nb-poll', policy: 'guide-before' });
    t.diagnostic(`first output: adaptive ${adaptive.firstPayloadMs?.toFixed(1)} ms, guide-before (1000 ms wait) ${before.firstPayloadMs?.toFixed(1)} ms`);
    assert.ok((before.firstPayloadMs ?? 0) >= 990, `guide-before first output at ${before.firstPayloadMs} ms`);
    assert.ok((adaptive.firstPayloadMs ?? Infinity) < 900);
  });

  await t.test('--max-kernels: past the limit a 503 NBS_TOO_MANY_KERNELS with Retry-After', async () => {
    const limited = createExecuteSource(async () => fixed, { maxKernels: 1 });
    try {
      await run(limited, 'pass', { notebookId: 'lim-1' });
      noteKernels(limited);
      const op = limited.source.validate({ type: 'execute', code: 'pass' }, 'en');
      await assert.rejects(
        limited.source.open(op, { signal: new AbortController().signal, settings: flushSettings('adaptive'), notebookId: 'lim-2', lang: 'en' }),
        (e: unknown) => e instanceof RequestError && e.code === 'NBS_TOO_MANY_KERNELS' && e.statusCode === 503 && (e.retryAfterS ?? 0) > 0,
      );
    } finally {
      await limited.close();
    }
  });

  await t.test('no Jupyter: NBS_JUPYTER_UNAVAILABLE before the stream; a wrong token is named', async () => {
    const unavailable = createExecuteSource(async () => {
      throw new Error('no Jupyter Server found');
    });
    const op = unavailable.source.validate({ type: 'execute', code: '1' }, 'en');
    await assert.rejects(
      unavailable.source.open(op, { signal: new AbortController().signal, settings: flushSettings('adaptive'), notebookId: 'x', lang: 'en' }),
      (e: unknown) => e instanceof RequestError && e.code === 'NBS_JUPYTER_UNAVAILABLE' && e.statusCode === 503 && /no Jupyter/.test(e.message),
    );
    await unavailable.close();
    await assert.rejects(connectJupyter({ url: fixed.url, token: 'wrong' }), /refused the token/);
    const ok = await connectJupyter({ url: fixed.url, token: fixed.token });
    assert.equal(ok.managed, false);
  });

  await t.test('measureJupyter: the Nagle delay shows on stock and not on fixed with a tuned kernel; stock lumps its output', async () => {
    // Both measured at once, so a change in the machine's load hits both alike.
    const [s, f] = await Promise.all([
      measureJupyter({ url: stock.url, token: stock.token, samples: 20, idleSamples: 3 }),
      measureJupyter({ url: fixed.url, token: fixed.token, samples: 20, idleSamples: 3, tuneKernel: true }),
    ]);
    t.diagnostic(
      `back-to-back first output median: stock ${median(s.backToBackFirstOutputMs).toFixed(1)} ms, fixed ${median(f.backToBackFirstOutputMs).toFixed(1)} ms; ` +
        `lower quartile: stock ${lowerQuartile(s.backToBackFirstOutputMs).toFixed(1)} ms, fixed ${lowerQuartile(f.backToBackFirstOutputMs).toFixed(1)} ms; ` +
        `loop messages: stock ${s.loop.messages}, fixed ${f.loop.messages}; causes: stock ${classifyJupyter(s).causes.join(',')}, fixed ${classifyJupyter(f).causes.join(',')}`,
    );
    assert.ok(s.backToBackFirstOutputMs.length >= 18 && f.backToBackFirstOutputMs.length >= 18, 'every back-to-back cell printed');
    // The Nagle delay waits on the ≥ 40 ms delayed-ACK timer on every back-to-back stock request:
    // a floor that load can only raise. Load adds delay to some samples, so the lower quartile of
    // each side stays near its unloaded value (stock ~45 ms, fixed ~5 ms) unless most samples are late.
    const stockLow = lowerQuartile(s.backToBackFirstOutputMs);
    const fixedLow = lowerQuartile(f.backToBackFirstOutputMs);
    assert.ok(stockLow >= NAGLE_THRESHOLD_MS, `stock back-to-back lower quartile ${stockLow.toFixed(1)} ms: no Nagle delay`);
    assert.ok(stockLow - fixedLow >= NAGLE_EXCESS_MS, `stock ${stockLow.toFixed(1)} ms vs fixed ${fixedLow.toFixed(1)} ms: TCP_NODELAY did not remove the delay`);
    // The flush interval: stock's first loop line waits for the 200 ms flush (a floor), so the
    // classifier names FLUSH_INTERVAL whatever the load; the tuned kernel's first line comes before it,
    // and line by line: more messages than stock's lumps.
    assert.ok(classifyJupyter(s).causes.includes('FLUSH_INTERVAL'), classifyJupyter(s).reasons.join('; '));
    assert.ok((f.loop.arrivalsMs[0] ?? Infinity) < (s.loop.arrivalsMs[0] ?? 0), `first loop line: fixed ${f.loop.arrivalsMs[0]} ms, stock ${s.loop.arrivalsMs[0]} ms`);
    assert.ok(f.loop.messages > s.loop.messages, `loop messages: fixed ${f.loop.messages}, stock ${s.loop.messages}`);
  });

  await t.test('clean shutdown leaves no jupyter or kernel process, and the token is in no log line', async () => {
    assert.ok(kernelIds.size >= 3, `kernels seen: ${kernelIds.size}`);
    await Promise.all([exFixed.close(), exStock.close()]);
    await Promise.all([fixed.stop(), stock.stop()]);
    stopped = true;
    for (const pid of [fixed.pid, stock.pid]) assert.ok(pid !== undefined && !alive(pid), `server ${pid} still running`);
    for (const id of kernelIds) assert.deepEqual(processesMentioning(`kernel-${id}.json`), [], `kernel ${id} still running`);
    assert.ok(logLines.length > 10);
    for (const token of [fixed.token, stock.token]) {
      assert.ok(!logLines.some((l) => l.includes(token)), 'a log line carries the token');
    }
  });
});

test('classifyJupyter thresholds', () => {
  const base = { idleFirstOutputMs: [8, 9, 10], kernelStartMs: 900, loop: { lines: 8, intervalMs: 50, messages: 8, arrivalsMs: [] } };
  assert.equal(classifyJupyter({ ...base, backToBackFirstOutputMs: [5, 6, 4] }).verdict, 'OK');
  assert.equal(classifyJupyter({ ...base, backToBackFirstOutputMs: [47, 48, 49] }).verdict, 'NAGLE_DELAY');
  // Slow everywhere is not Nagle: the delay must show on back-to-back requests only.
  assert.equal(classifyJupyter({ ...base, idleFirstOutputMs: [40, 41], backToBackFirstOutputMs: [47, 48, 49] }).verdict, 'OK');
  const lumped = classifyJupyter({ ...base, backToBackFirstOutputMs: [5], loop: { ...base.loop, messages: 2 } });
  assert.deepEqual(lumped.causes, ['FLUSH_INTERVAL']);
  assert.equal(lumped.fixes.length, 1);
  const both = classifyJupyter({ ...base, backToBackFirstOutputMs: [48], loop: { ...base.loop, messages: 3 } });
  assert.deepEqual(both.causes, ['NAGLE_DELAY', 'FLUSH_INTERVAL']);
  assert.equal(both.verdict, 'NAGLE_DELAY');
  // A lump split into 5 messages is still a lump: the first line came 200 ms late.
  const split = classifyJupyter({ ...base, backToBackFirstOutputMs: [5], loop: { ...base.loop, messages: 5, arrivalsMs: [201, 204, 402, 405, 410] } });
  assert.deepEqual(split.causes, ['FLUSH_INTERVAL']);
  const lineByLine = classifyJupyter({ ...base, backToBackFirstOutputMs: [5], loop: { ...base.loop, messages: 8, arrivalsMs: [6, 57, 108, 158, 209, 259, 310, 361] } });
  assert.equal(lineByLine.verdict, 'OK');
  assert.equal(median([3, 1, 2, 4]), 2.5);
});

/**
 * The TCP_NODELAY config against Jupyter Server 2.x's handler shape (KernelWebsocketHandler with an
 * async open(), no ZMQChannelsHandler), with a stand-in package: the test machines have 1.23 only.
 */
test('the nodelay config wraps a 2.x-style async KernelWebsocketHandler.open', { skip: skip === false ? false : skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nbs-js2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'jupyter_server', 'services', 'kernels');
  mkdirSync(pkg, { recursive: true });
  for (const d of ['jupyter_server', 'jupyter_server/services', 'jupyter_server/services/kernels']) writeFileSync(join(dir, d, '__init__.py'), '');
  writeFileSync(
    join(pkg, 'websocket.py'),
    'class KernelWebsocketHandler:\n    calls = []\n    def set_nodelay(self, value):\n        self.calls.append(("nodelay", value))\n' +
      '    async def open(self, kernel_id, *args, **kwargs):\n        self.calls.append(("open", kernel_id))\n        return "opened"\n',
  );
  writeFileSync(join(dir, 'jupyter_server_config.py'), NODELAY_SERVER_CONFIG);
  const probe =
    'import asyncio, runpy\nrunpy.run_path("jupyter_server_config.py")\nrunpy.run_path("jupyter_server_config.py")  # twice: no double wrap\n' +
    'from jupyter_server.services.kernels.websocket import KernelWebsocketHandler as H\n' +
    'h = H()\nprint(asyncio.run(h.open("k1")), H.calls)\n';
  const r = spawnSync('/usr/bin/python3', ['-c', probe], { cwd: dir, env: { ...process.env, PYTHONPATH: dir }, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "opened [('nodelay', True), ('open', 'k1')]");
  assert.match(r.stderr, /TCP_NODELAY set in open\(\) of KernelWebsocketHandler/);
});

/**
 * In a child process, as serve would run it: start, run a cell, close, stop. stdout stays empty
 * (the client library's console.debug lines go, routed as the CLI routes them, to the Jupyter log,
 * here on stderr), the token is in no stderr line even with debug lines on, and the process exits
 * by itself right after stop(): no KernelManager poll timer is left behind.
 */
test('a serve-like process: nothing on stdout, no token on stderr, exits after stop()', { skip, timeout: 60_000 }, () => {
  const src = (rel: string) => new URL(`../src/${rel}`, import.meta.url).href;
  const script = `
    import { startJupyter } from ${JSON.stringify(src('jupyter/server.js'))};
    import { JupyterLog } from ${JSON.stringify(src('jupyter/log.js'))};
    import { routeConsole } from ${JSON.stringify(src('cli/console-route.js'))};
    import { createExecuteSource } from ${JSON.stringify(src('server/sources/execute.js'))};
    import { flushSettings } from ${JSON.stringify(src('model/flush-presets.js'))};
    const log = new JupyterLog((level, line) => process.stderr.write(level + ' ' + line + '\\n'));
    const restoreConsole = routeConsole((level, line) => log.log(level, line));
    const j = await startJupyter({ tuning: 'fixed', env: process.env, log });
    process.stderr.write('TOKEN=' + Buffer.from(j.token).toString('base64') + '\\n');
    const ex = createExecuteSource(async () => j);
    const op = ex.source.validate({ type: 'execute', code: 'print("hello")' }, 'en');
    let text = '';
    for await (const p of await ex.source.open(op, { signal: new AbortController().signal, settings: flushSettings('adaptive'), notebookId: 'n', lang: 'en' })) {
      if (p.type === 'stdout') text += p.text;
    }
    await ex.close();
    await j.stop();
    restoreConsole();
    process.stderr.write('RESULT=' + JSON.stringify(text) + ' STOPPED=' + performance.now().toFixed(0) + '\\n');
    process.on('exit', () => process.stderr.write('EXIT=' + performance.now().toFixed(0) + '\\n'));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 45_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'stdout must stay empty');
  const token = Buffer.from(/TOKEN=(\S+)/.exec(r.stderr)?.[1] ?? '', 'base64').toString();
  assert.ok(token.length >= 32);
  const logLines = r.stderr.split('\n').filter((l) => !l.startsWith('TOKEN='));
  assert.ok(logLines.some((l) => l.includes('Starting WebSocket')), 'the library\'s console.debug reached the Jupyter log');
  assert.ok(!logLines.some((l) => l.includes(token)), 'token in a log line');
  assert.match(r.stderr, /RESULT="hello\\n"/);
  const stopped = Number(/STOPPED=(\d+)/.exec(r.stderr)?.[1]);
  const exited = Number(/EXIT=(\d+)/.exec(r.stderr)?.[1]);
  assert.ok(exited - stopped < 5000, `the process lingered ${exited - stopped} ms after stop()`);
});

/**
 * Run in a child process: after a server crash, @jupyterlab/services' kernel connection schedules
 * an uncancellable 10–30 s model re-fetch timer (kernel/default.js getKernelModel), which would
 * keep this test file's process alive that long. The child reports and exits explicitly.
 */
test('a managed server that died is replaced on the next execute', { skip, timeout: 60_000 }, () => {
  const src = (rel: string) => new URL(`../src/${rel}`, import.meta.url).href;
  const script = `
    import { startJupyter } from ${JSON.stringify(src('jupyter/server.js'))};
    import { createExecuteSource } from ${JSON.stringify(src('server/sources/execute.js'))};
    import { flushSettings } from ${JSON.stringify(src('model/flush-presets.js'))};
    import { routeConsole } from ${JSON.stringify(src('cli/console-route.js'))};
    // @jupyterlab/services prints through the console: this script's stdout carries its JSON only.
    routeConsole(() => {});
    const handles = [];
    const ex = createExecuteSource(async () => {
      const h = await startJupyter({ tuning: 'stock', env: process.env });
      handles.push(h);
      return h;
    });
    const run = async (code) => {
      const op = ex.source.validate({ type: 'execute', code }, 'en');
      let text = '';
      for await (const p of await ex.source.open(op, { signal: AbortSignal.timeout(20000), settings: flushSettings('adaptive'), notebookId: 'n', lang: 'en' })) {
        if (p.type === 'stdout') text += p.text;
      }
      return text;
    };
    const out = { first: await run('print(1)') };
    process.kill(-handles[0].pid, 'SIGKILL'); // the server's process group: started by this script
    for (let i = 0; i < 100 && handles[0].alive(); i++) await new Promise((r) => setTimeout(r, 50));
    out.aliveAfterKill = handles[0].alive();
    out.second = await run('print(2)');
    out.servers = handles.length;
    await ex.close();
    await Promise.all(handles.map((h) => h.stop()));
    out.pids = handles.map((h) => h.pid);
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { first: string; aliveAfterKill: boolean; second: string; servers: number; pids: number[] };
  assert.equal(out.first, '1\n');
  assert.equal(out.aliveAfterKill, false);
  assert.equal(out.second, '2\n');
  assert.equal(out.servers, 2);
  for (const pid of out.pids) assert.ok(!alive(pid), `server ${pid} still running`);
});

test('startJupyter names why a server could not start', async (t) => {
  // A private TMPDIR (os.tmpdir() reads it on each call): other processes' nbs-jupyter-* directories
  // in the shared /tmp cannot change the count.
  const privateTmp = mkdtempSync(join(tmpdir(), 'nbs-jtmp-'));
  const savedTmp = process.env['TMPDIR'];
  process.env['TMPDIR'] = privateTmp;
  t.after(() => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
    rmSync(privateTmp, { recursive: true, force: true });
  });
  assert.equal(tmpdir(), privateTmp);
  await assert.rejects(startJupyter({ command: ['/bin/false'], startTimeoutMs: 5000, env: process.env }), (e: unknown) => e instanceof JupyterUnavailableError && /exited \(exit code 1\)/.test(e.message));
  await assert.rejects(startJupyter({ command: ['/nonexistent/jupyter-server'], startTimeoutMs: 5000, env: process.env }), (e: unknown) => e instanceof JupyterUnavailableError && /ENOENT/.test(e.message));
  await assert.rejects(connectJupyter({ url: 'ftp://example' }), /not an http\(s\) URL/);
  await assert.rejects(connectJupyter({ url: 'http://127.0.0.1:9/', token: 't', timeoutMs: 2000 }), /unreachable/);
  assert.deepEqual(readdirSync(privateTmp), [], 'private directories removed');
});
