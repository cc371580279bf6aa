/**
 * The floor under `npm run bench:client`: the same closed loop as `bench -c C -d D` with plain
 * undici (one Agent, `request()`, the body read and dropped): no timing, no parsing, no report.
 * bench's distance to it is what measuring costs; its distance to autocannon is the HTTP client's.
 * Usage: node dist/bench/undici-baseline.js URL CONNECTIONS DURATION_S → one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';

const [rawUrl, c = '10', d = '5'] = process.argv.slice(2);
const url = new URL(rawUrl!);
const connections = Number(c);
const agent = new Agent({ connections });
let requests = 0;
let errors = 0;
const t0 = performance.now();
const end = t0 + Number(d) * 1000;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      try {
        const r = await agent.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: { accept: 'text/event-stream' } });
        await r.body.dump();
        requests++;
      } catch {
        errors++;
      }
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
await agent.close();
process.stdout.write(JSON.stringify({ requests_per_s: requests / seconds, requests, errors }) + '\n');
