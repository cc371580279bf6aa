import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { fixturesDir, listFixtures, parseRecording, resolveFixture } from '../src/server/sources/replay-fixture.js';
import { JSON_HEADERS, parseSseBody, rawRequest } from './helpers/raw-http.js';

const replayBody = (fixture: unknown, speed?: number) =>
  JSON.stringify({ notebook_id: 'n1', operation: { type: 'replay', fixture, ...(speed === undefined ? {} : { speed }) }, lang: 'en' });

test('at least three recordings ship, each valid', () => {
  const names = listFixtures();
  for (const n of ['kernel-progress', 'rich-display', 'llm-answer']) assert.ok(names.includes(n), n);
  for (const n of names) parseRecording(JSON.parse(readFileSync(join(fixturesDir(), `${n}.json`), 'utf8')), n);
});

test('each fixture replays with its events in order and exact, at its recorded rhythm', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  for (const name of ['kernel-progress', 'rich-display', 'llm-answer']) {
    const rec = JSON.parse(readFileSync(join(fixturesDir(), `${name}.json`), 'utf8')) as { events: Array<Record<string, unknown>>; result: Record<string, unknown> };
    const speed = 2;
    // The server runs in this process: its wire clock `t` is performance.timeOrigin + performance.now().
    const requestStart = performance.timeOrigin + performance.now();
    const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: replayBody(name, speed) });
    assert.equal(res.status, 200, name);
    const { events } = parseSseBody(res.body);
    const content = events.slice(0, -1);
    assert.equal(content.length, rec.events.length, `${name}: one event per recorded event (adaptive)`);
    content.forEach((e, i) => {
      const want = rec.events[i] as Record<string, unknown>;
      assert.equal(e.event, want['type'], `${name}[${i}] type`);
      if (want['text'] !== undefined) assert.equal(e.data['text'], want['text'], `${name}[${i}] text`);
      if (want['kind'] !== undefined) assert.equal(e.data['kind'], want['kind']);
      if (want['data'] !== undefined) assert.deepEqual(e.data['data'], want['data']);
    });
    const done = events.at(-1) as { event: string; data: Record<string, unknown> };
    assert.equal(done.event, 'done');
    for (const k of ['status', 'execution_count', 'finish_reason']) if (rec.result[k] !== undefined) assert.deepEqual(done.data[k], rec.result[k], `${name} done.${k}`);
    // Rhythm: the replay starts after the request was sent and waits for each event's at_ms / speed,
    // so each event's send time, counted from the request start, is at least that (a late event
    // cannot shrink a later one's bound). Upper bound generous: shared machines.
    content.forEach((e, i) => {
      const sent = (e.data['t'] as number) - requestStart;
      const due = (rec.events[i]?.['at_ms'] as number) / speed;
      assert.ok(sent >= due - 2, `${name}[${i}]: sent ${sent.toFixed(1)} ms after the request, recorded at ${due} ms (speed ${speed})`);
    });
    const lastSent = (content.at(-1)?.data['t'] as number) - requestStart;
    const lastDue = (rec.events.at(-1)?.['at_ms'] as number) / speed;
    assert.ok(lastSent <= lastDue * 3 + 1000, `${name}: last event ${lastSent.toFixed(1)} ms after the request, recorded at ${lastDue} ms`);
  }
});

test('speed 0 replays without waiting', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: replayBody('llm-answer', 0) });
  const { events } = parseSseBody(res.body);
  const span = (events.at(-1)?.data['t'] as number) - (events[0]?.data['t'] as number);
  assert.ok(span < 500, `the 1.9 s recording took ${span} ms`);
});

test('fixture names that escape fixtures/ or do not exist are NBS_UNKNOWN_FIXTURE', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  for (const bad of ['../package', '../package.json', '/etc/passwd', 'nope', 'llm/../../package', '', 5]) {
    const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: replayBody(bad) });
    assert.equal(res.status, 400, String(bad));
    const code = (JSON.parse(res.body) as { error: { code: string } }).error.code;
    assert.equal(code, typeof bad === 'string' && bad !== '' ? 'NBS_UNKNOWN_FIXTURE' : 'NBS_INVALID_BODY', String(bad));
  }
  const speed = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: replayBody('llm-answer', -1) });
  assert.equal((JSON.parse(speed.body) as { error: { code: string } }).error.code, 'NBS_INVALID_BODY');
});

test('a symlink inside fixtures/ that leads outside is refused; one that stays inside is followed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbs-fixtures-'));
  const root = join(dir, 'fixtures');
  mkdirSync(root);
  writeFileSync(join(dir, 'secret.json'), '{}');
  writeFileSync(join(root, 'real.json'), '{}');
  symlinkSync(join(dir, 'secret.json'), join(root, 'out.json'));
  symlinkSync(join(root, 'real.json'), join(root, 'in.json'));
  assert.throws(() => resolveFixture('out', 'en', root), (e: Error & { code?: string }) => e.code === 'NBS_UNKNOWN_FIXTURE' && /leaves fixtures/.test(e.message));
  assert.equal(resolveFixture('in', 'en', root), join(root, 'real.json'));
});

test('a malformed recording is refused with the reason', () => {
  assert.throws(() => parseRecording({ format: 'x' }, 'f'), /not a replay recording/);
  assert.throws(() => parseRecording({ format: 'notebook-stream.replay/1', events: [{ at_ms: 5, type: 'chunk', text: 'a' }, { at_ms: 1, type: 'chunk', text: 'b' }] }, 'f'), /at_ms/);
  assert.throws(() => parseRecording({ format: 'notebook-stream.replay/1', events: [{ at_ms: 0, type: 'video' }] }, 'f'), /type/);
});
