/**
 * The server's process CPU from its Prometheus `/metrics` (`process_cpu_seconds_total`, which
 * prom-client reads from `process.cpuUsage()`: µs resolution). `compare` reads it before and after
 * each configuration's batch.
 */
const LINE = /^process_cpu_seconds_total(?:\{[^}]*\})? ([0-9.eE+-]+)/m;

/** Seconds of CPU the server process used so far; null when `/metrics` is not readable. */
export async function readServerCpuS(metricsUrl: string, headers: Record<string, string> = {}): Promise<number | null> {
  try {
    const res = await fetch(metricsUrl, { headers, signal: AbortSignal.timeout(5000) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const m = LINE.exec(await res.text());
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/**
 * What one scrape costs the server (ms of CPU): the smallest difference of back-to-back scrapes.
 * Each batch's CPU is corrected by it, so the scrape is not charged to the streams.
 */
export async function scrapeCostMs(metricsUrl: string, headers: Record<string, string> = {}, tries = 4): Promise<number> {
  let best = Infinity;
  let prev = await readServerCpuS(metricsUrl, headers);
  for (let i = 0; i < tries && prev !== null; i++) {
    const next = await readServerCpuS(metricsUrl, headers);
    if (next === null) break;
    best = Math.min(best, (next - prev) * 1000);
    prev = next;
  }
  return Number.isFinite(best) ? Math.max(0, best) : 0;
}

/**
 * The server's CPU while it serves nothing (ms of CPU per s of wall time: timers, the metrics
 * library's event-loop monitor, GC), net of one scrape. A batch's CPU is corrected by it, so a
 * policy whose streams last longer is not charged for the idle server.
 */
export async function idleCpuMsPerS(metricsUrl: string, headers: Record<string, string> = {}, windowMs = 1000, scrapeMs = 0): Promise<number> {
  const a = await readServerCpuS(metricsUrl, headers);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const b = await readServerCpuS(metricsUrl, headers);
  const wallS = (performance.now() - t0) / 1000;
  if (a === null || b === null || wallS <= 0) return 0;
  return Math.max(0, ((b - a) * 1000 - scrapeMs) / wallS);
}
