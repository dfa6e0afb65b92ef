// The generated phase is reproducible: the same CONTRACT_SEED sends the same requests, in the same order, twice; CONTRACT_EXAMPLES=0 turns it off.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { GeneratedClient, requestLogName } from '../specs/support/generated-client';
import { handoffVariables, type TargetView } from '../specs/support/run-handoff';
import { repoRoot, runGate } from './helpers/run-gate';

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
