// Tokens only where they are needed: the runner (global setup and the relay) reads API_TOKEN and API_DELETE_TOKEN, and
// takes every token variable out of the environment before a worker starts, so no worker, and nothing a spec spawns,
// inherits one. Checked from outside: while a worker's request is being answered, its /proc/<pid>/environ is read.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { simulatorBasePath, startSimulator } from '../simulator/server';
import { tokenVariables } from '../specs/support/global-setup';
import { remoteTargetEnv, repoRoot, runGate } from './helpers/run-gate';

const tokens = { cust_abc123: 'EnvCanary_primary_4c1e9a', cust_disposable789: 'EnvCanary_disposable_77d0b2' };

interface WorkerEnvironment {
  pid: number;
  /** Token variables and variables holding a token's text: names only. */
  holding: string[];
}

/** The Playwright workers (their command line runs workerProcessEntry) of the gate whose environment carries `marker`. */
function workerEnvironments(marker: string): WorkerEnvironment[] {
  const found: WorkerEnvironment[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string[];
    let cmdline: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.includes(marker) || !cmdline.includes('workerProcessEntry')) continue;
    const holding = environ
      .filter((line) => (tokenVariables as readonly string[]).includes(line.split('=')[0]!) || Object.values(tokens).some((t) => line.includes(t)))
      .map((line) => line.split('=')[0]!);
    found.push({ pid: Number(entry), holding });
  }
  return found;
}

test('no worker of the gate holds a token variable or a token in its environment', async () => {
  test.skip(!fs.existsSync('/proc/self/environ'), 'needs /proc (Linux)');
  const simulator = await startSimulator({ tokens });
  const reportsDir = path.join(repoRoot, 'reports', 'self-test', 'worker-environment');
  const marker = `CONTRACT_REPORTS_DIR=${reportsDir}`;
  const seen: WorkerEnvironment[] = [];
  // In front of the simulator: every request a worker sends (through the relay) is a moment a worker is alive.
  const upstream = new URL(simulator.baseUrl);
  const proxy = http.createServer((req, res) => {
    seen.push(...workerEnvironments(marker));
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = proxy.address() as AddressInfo;
    const env = { ...remoteTargetEnv(`http://127.0.0.1:${port}${simulatorBasePath}`, simulator.customers) };
    const run = await runGate({ reportsDir, env, args: ['get-customer.spec'] });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(seen.length, 'workers were seen while they sent requests').toBeGreaterThan(0);
    expect(
      seen.filter((w) => w.holding.length > 0),
      'workers holding a token variable or a token',
    ).toEqual([]);
  } finally {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await simulator.stop();
  }
});
