// The generated phase is reproducible: the same CONTRACT_SEED sends the same requests, in the same order, twice, at any CONTRACT_CONCURRENCY (a DELETE always alone); CONTRACT_EXAMPLES=0 turns it off.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { JSONReportSuite } from '@playwright/test/reporter';
import { UserError } from '../config/errors';
import { advisory, documented, gates, inferred } from '../contract/evidence';
import { readFailureDb, saveFailures, savedCases } from '../contract/failure-db';
import type { GeneratedCase } from '../contract/generators';
import { GeneratedClient, requestLogName } from '../specs/support/generated-client';
import { handoffVariables, type TargetView } from '../specs/support/run-handoff';
import type { SimulatorMode } from '../simulator/modes';
import { createSimulatorApp, simulatorBasePath, SimulatorState } from '../simulator/server';
import { remoteTargetEnv, repoRoot, runGate, stripAnsi, type GateRun } from './helpers/run-gate';

const runsDir = path.join(repoRoot, 'reports', 'self-test', 'generated');

function requestLog(reportsDir: string): string[] {
  const file = path.join(reportsDir, 'test-results', requestLogName);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
}

test('the same seed sends the same generated requests twice (the two request logs are equal)', async () => {
  test.setTimeout(240_000);
  const env = { CONTRACT_SEED: '4242', CONTRACT_EXAMPLES: '8' };
  const first = await runGate({ env, reportsDir: path.join(runsDir, 'seed-a'), args: ['--grep', 'generated'] });
  const second = await runGate({ env, reportsDir: path.join(runsDir, 'seed-b'), args: ['--grep', 'generated'] });
  expect(first.exitCode, first.failureText || first.stderr).toBe(0);
  expect(second.exitCode, second.failureText || second.stderr).toBe(0);
  const a = requestLog(first.reportsDir);
  const b = requestLog(second.reportsDir);
  expect(a.length, 'the generated phase sent requests').toBeGreaterThan(40);
  expect(b, "the second run with CONTRACT_SEED=4242 sent exactly the first run's requests").toEqual(a);
  expect(a.join('\n'), 'the request log names credentials, never a token').not.toMatch(/Bearer [A-Za-z0-9]{16,}/);

  const other = await runGate({ env: { ...env, CONTRACT_SEED: '4243' }, reportsDir: path.join(runsDir, 'seed-c'), args: ['--grep', 'generated'] });
  expect(requestLog(other.reportsDir), 'another seed draws other requests').not.toEqual(a);
});

test('CONTRACT_EXAMPLES=0 turns the generated phase off', async () => {
  test.setTimeout(120_000);
  const run = await runGate({ env: { CONTRACT_EXAMPLES: '0' }, reportsDir: path.join(runsDir, 'off'), args: ['--grep', 'generated ›'] });
  expect(run.exitCode, run.failureText || run.stderr).toBe(0);
  expect(requestLog(run.reportsDir)).toEqual([]);
  expect(run.results?.stats.expected ?? -1, 'no generated test ran').toBe(0);
});

test("the generated phase's client reads at most CONTRACT_BODY_LIMIT_BYTES (+64 KiB) of an answer, even if the relay sent more", async () => {
  // A stand-in for a relay that failed to cap: it answers every request with 1 MiB, against a limit of 4 KiB.
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.alloc(1024 * 1024, 0x61));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = { ...process.env };
  try {
    const target: TargetView = {
      kind: 'simulator',
      customerId: 'cust_a',
      missingCustomerId: 'cust_missing',
      otherCustomerId: undefined,
      deleteCustomerId: undefined,
      readOnly: false,
      allowDelete: false,
      authScheme: 'Bearer',
    };
    Object.assign(process.env, {
      ...handoffVariables({ relayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, relayKey: 'k'.repeat(43), target }),
      CONTRACT_BODY_LIMIT_BYTES: '4096',
    });
    const client = GeneratedClient.open(target, 10);
    await expect(client.send({ operation: 'getCustomer', method: 'GET', path: 'cust_a', credential: 'primary' })).rejects.toThrow(
      /with more than 4096 bytes \(CONTRACT_BODY_LIMIT_BYTES\)/,
    );
    client.dispose();
  } finally {
    process.env = saved;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('what may fail the gate: an advisory is reported, not failing, unless CONTRACT_STRICTNESS=strict or CONTRACT_ENFORCE names it', () => {
  const open = advisory('undocumented_status', 'the page lists 200, 401, 404, 500');
  expect(gates(open, 'inferred')).toBe(false);
  expect(gates(open, 'documented')).toBe(false);
  expect(gates(open, 'strict')).toBe(true);
  expect(gates(open, 'inferred', ['undocumented_status'])).toBe(true);
  expect(gates(open, 'inferred', ['after_delete'])).toBe(false);
  expect(gates(documented(), 'documented')).toBe(true);
  expect(gates(inferred('a sound inference'), 'inferred')).toBe(true);
  expect(gates(inferred('a sound inference'), 'documented')).toBe(false);
});

test('the failure database: saved once, replayed with this run’s ids, and a bad file is one clear UserError', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failure-db-'));
  try {
    const file = path.join(dir, 'failure-db.json');
    const ids = { customerId: 'cust_abc123', deleteCustomerId: 'cust_disposable789' };
    const found: GeneratedCase = {
      operation: 'getCustomerUsage',
      method: 'GET',
      customerSegment: 'cust_abc123',
      query: [['start_date', '2024-02-30']],
      credential: 'primary',
      expect: 'rejected',
      why: 'start_date: impossible date "2024-02-30"',
    };
    const entry = { test: 'getCustomerUsage negative', case: found, seed: 7, finding: 'answered 500' };
    expect(saveFailures(file, [entry, entry], ids), 'an equal case is saved once').toBe(1);
    expect(saveFailures(file, [entry], ids)).toBe(0);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Array<{ case: GeneratedCase }> };
    expect(saved.entries[0]?.case.customerSegment, 'the configured id is saved as a placeholder').toBe('{customer_id}');
    expect(savedCases(file, 'getCustomerUsage negative', { customerId: 'cust_x', deleteCustomerId: undefined })).toEqual([
      { ...found, customerSegment: 'cust_x' },
    ]);
    expect(savedCases(file, 'getCustomer negative', ids)).toEqual([]);
    expect(savedCases(path.join(dir, 'absent.json'), 'getCustomerUsage negative', ids), 'a missing file is an empty database').toEqual([]);

    fs.writeFileSync(file, '{ "format": "contract-failure-db/1", "entries": [ <<<<<<< HEAD');
    expect(() => readFailureDb(file)).toThrow(UserError);
    expect(() => readFailureDb(file)).toThrow(/CONTRACT_FAILURE_DB .* is not JSON .*fix it \(a merge conflict\?\) or delete it/);
    fs.writeFileSync(file, '{"entries": []}');
    expect(() => readFailureDb(file)).toThrow(/is not a failure database/);
    fs.writeFileSync(file, '{"format": "contract-failure-db/1", "entries": [{"test": "x"}]}');
    expect(() => readFailureDb(file)).toThrow(/entry 1 needs "test", "seed" and a generated "case"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure found on a random seed is saved and replayed first by the next default run', async () => {
  test.setTimeout(300_000);
  const db = path.join(runsDir, 'failure-db.json');
  fs.rmSync(db, { force: true });
  const found = await runGate({
    env: { SIMULATOR_MODE: 'impossible-date-500', CONTRACT_SEED: 'random', CONTRACT_FAILURE_DB: db },
    reportsDir: path.join(runsDir, 'db-random'),
    args: ['--grep', 'getCustomerUsage negative'],
  });
  expect(found.exitCode, found.stderr).toBe(1);
  expect(found.stdout, 'the random seed is printed').toMatch(/CONTRACT_SEED=random: this run's seed is \d+/);
  const entries = (JSON.parse(fs.readFileSync(db, 'utf8')) as { entries: Array<{ case: GeneratedCase }> }).entries;
  expect(entries.length).toBeGreaterThan(0);
  // The default seed against the faithful simulator: the saved input is sent first (and passes there).
  const replay = await runGate({
    env: { CONTRACT_FAILURE_DB: db },
    reportsDir: path.join(runsDir, 'db-replay'),
    args: ['--grep', 'getCustomerUsage negative'],
  });
  expect(replay.exitCode, replay.failureText || replay.stderr).toBe(0);
  const first = requestLog(replay.reportsDir)[0] ?? '';
  expect(first).toContain(entries[0]!.case.query.map(([name, value]) => `${name}=${value}`).join('&'));
  // And against the broken mode, the default seed now fails on the saved input.
  const again = await runGate({
    env: { SIMULATOR_MODE: 'impossible-date-500', CONTRACT_FAILURE_DB: db },
    reportsDir: path.join(runsDir, 'db-again'),
    args: ['--grep', 'getCustomerUsage negative'],
  });
  expect(again.exitCode).toBe(1);
  expect(again.failureText).toContain('replayed from the failure database');
});

test('the default seed is derived from the document: two default runs send the same requests', async () => {
  test.setTimeout(240_000);
  const a = await runGate({ reportsDir: path.join(runsDir, 'default-a'), args: ['--grep', 'generated'] });
  const b = await runGate({ reportsDir: path.join(runsDir, 'default-b'), args: ['--grep', 'generated'] });
  expect(a.exitCode, a.failureText || a.stderr).toBe(0);
  expect(requestLog(a.reportsDir).length).toBeGreaterThan(40);
  expect(requestLog(b.reportsDir)).toEqual(requestLog(a.reportsDir));
});

/** A loopback target (the simulator in this process, used as a REMOTE API) that records how many requests it holds at once. */
async function startInFlightRecorder(mode: SimulatorMode): Promise<{
  baseUrl: string;
  state: SimulatorState;
  /** Holds the first usage GET with a query until another request arrives (5 s at most): proof of requests in flight together. */
  holdFirstUsageQuery(): void;
  readings(): { maxInFlight: number; maxDeletes: number; deleteOverlaps: string[]; deletes: number };
  reset(): void;
  stop(): Promise<void>;
}> {
  const state = new SimulatorState({ mode, latencyMs: 20 });
  const app = createSimulatorApp(state);
  let inFlight: string[] = [];
  let readings = { maxInFlight: 0, maxDeletes: 0, deleteOverlaps: [] as string[], deletes: 0 };
  let hold: { armed: boolean; release?: () => void } = { armed: false };
  const server = http.createServer((req, res) => {
    const request = `${req.method ?? ''} ${req.url ?? ''}`;
    inFlight.push(request);
    const deletes = inFlight.filter((r) => r.startsWith('DELETE ')).length;
    if (req.method === 'DELETE') readings.deletes += 1;
    readings.maxInFlight = Math.max(readings.maxInFlight, inFlight.length);
    readings.maxDeletes = Math.max(readings.maxDeletes, deletes);
    if (deletes > 0 && inFlight.length > 1) readings.deleteOverlaps.push(inFlight.join(' + '));
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      inFlight.splice(inFlight.indexOf(request), 1);
    };
    res.on('finish', end);
    res.on('close', end);
    hold.release?.();
    if (hold.armed && req.method === 'GET' && /\/usage\?./.test(req.url ?? '')) {
      hold.armed = false;
      const release = (): void => {
        clearTimeout(timer);
        hold.release = undefined;
        app(req, res);
      };
      const timer = setTimeout(release, 5_000);
      hold.release = release;
      return;
    }
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}${simulatorBasePath}`,
    state,
    holdFirstUsageQuery: () => (hold = { armed: true }),
    readings: () => readings,
    reset() {
      state.reset();
      inFlight = [];
      readings = { maxInFlight: 0, maxDeletes: 0, deleteOverlaps: [], deletes: 0 };
      hold = { armed: false };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        state.cancelDelays();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Each test's outcome and failure messages, by title: what a run's verdict is made of. */
function verdicts(run: GateRun): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (suite: JSONReportSuite): void => {
    for (const spec of suite.specs)
      for (const t of spec.tests) out[spec.title] = `${t.status}: ${stripAnsi(t.results.flatMap((r) => r.errors.map((e) => e.message)).join('\n'))}`;
    suite.suites?.forEach(visit);
  };
  run.results?.suites.forEach(visit);
  return out;
}

test('against a real target: several generated GETs in flight, never two DELETEs nor a DELETE beside anything, and the same requests and verdicts at CONTRACT_CONCURRENCY 1 and 6', async () => {
  test.setTimeout(300_000);
  // A mode with a failing input (shrunk by fast-check) among passing tests: both kinds of verdict are compared.
  for (const mode of ['impossible-date-500'] as const) {
    const target = await startInFlightRecorder(mode);
    try {
      const runs: Array<{ concurrency: string; run: GateRun; readings: ReturnType<typeof target.readings> }> = [];
      for (const concurrency of ['1', '6']) {
        target.reset();
        if (concurrency !== '1') target.holdFirstUsageQuery();
        const run = await runGate({
          env: {
            ...remoteTargetEnv(target.baseUrl, target.state.customers),
            CONTRACT_CONCURRENCY: concurrency,
            CONTRACT_EXAMPLES: '3',
            CONTRACT_FAILURE_DB: '0',
          },
          reportsDir: path.join(runsDir, `concurrency-${mode}-${concurrency}`),
          args: ['--grep', 'generated'],
          timeoutMs: 200_000,
        });
        runs.push({ concurrency, run, readings: target.readings() });
      }
      const [one, many] = runs;
      expect(one!.run.exitCode, `${mode}: ${one!.run.stderr}`).toBe(1);
      expect(one!.run.failureText).toMatch(/impossible date/);
      for (const { concurrency, readings } of runs) {
        expect(readings.deletes, `${mode}, concurrency ${concurrency}: the phase sent DELETEs`).toBeGreaterThan(2);
        expect(readings.maxDeletes, `${mode}, concurrency ${concurrency}: DELETEs in flight at once`).toBe(1);
        expect(readings.deleteOverlaps, `${mode}, concurrency ${concurrency}: requests in flight beside a DELETE`).toEqual([]);
      }
      expect(one!.readings.maxInFlight, 'CONTRACT_CONCURRENCY=1 (one worker): one request at a time').toBe(1);
      expect(many!.readings.maxInFlight, 'CONTRACT_CONCURRENCY=6: several in flight at once').toBeGreaterThan(1);
      expect(many!.readings.maxInFlight).toBeLessThanOrEqual(6);
      expect(many!.run.exitCode).toBe(one!.run.exitCode);
      expect(verdicts(many!.run), `${mode}: the same verdicts at concurrency 1 and 6`).toEqual(verdicts(one!.run));
      expect(requestLog(many!.run.reportsDir), `${mode}: the same requests, in the same order`).toEqual(requestLog(one!.run.reportsDir));
      const traffic = (run: GateRun) => JSON.parse(fs.readFileSync(path.join(run.reportsDir, 'requests.json'), 'utf8')) as { generated: number };
      expect(traffic(many!.run).generated).toBe(traffic(one!.run).generated);
      expect(traffic(one!.run).generated, "requests.json counts the generated phase's requests").toBeGreaterThan(40);
    } finally {
      await target.stop();
    }
  }
});
