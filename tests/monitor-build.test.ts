// The production build: `npm run build` compiles the exporter to dist/, plain `node` runs it with the same flags, and it
// stops gracefully on SIGTERM and SIGINT, also when npm's own PID is the one signalled.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { eventually, repoRoot, sampleValue, scrape } from './helpers/monitor-harness';
import { startProcess } from './helpers/processes';

const cli = path.join(repoRoot, 'dist', 'monitors', 'exporter', 'cli.js');
const listening = /listening on [\d.]+:(\d+)/;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // Once per run of this file; tsc on a loaded 2-core machine takes a while, hence the generous limit.
  test.setTimeout(300_000);
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: repoRoot, timeout: 280_000 });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm run build: dist/ holds the exporter, the bin entry points at it, and it starts with plain node', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  expect(manifest.bin?.['customer-api-exporter']).toBe('dist/monitors/exporter/cli.js');
  expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n'), 'a bin needs a shebang').toBe(true);
  const help = startProcess(process.execPath, [cli, '--help']);
  const helped = await help.exit;
  expect(helped.code).toBe(0);
  expect(helped.stdout).toContain('--web.config.file=PATH');
  expect(helped.stdout).toContain('--log.failures=json');
  const bad = await startProcess(process.execPath, [cli, '--nope']).exit;
  expect(bad.code, 'a user mistake exits 2').toBe(2);
  expect(bad.stderr).toContain('unknown flag --nope');
  expect(bad.stderr).not.toMatch(/\n\s+at /);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`node dist/…/cli.js probes, and exits 0 on ${signal}`, async () => {
    const exporter = startProcess(process.execPath, [cli], { env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1', PROBE_INTERVAL_SECONDS: '0.5' } });
    try {
      const port = (await exporter.waitFor(listening, 'stderr'))[1]!;
      await eventually(
        'a successful probe',
        async () =>
          sampleValue((await scrape({ url: `http://127.0.0.1:${port}` })).text, 'probe_success', { operation: 'getCustomer', target: 'default' }) === 1,
      );
    } finally {
      const exit = await exporter.stop(signal);
      expect(exit.code, `clean exit; stderr: ${exit.stderr}`).toBe(0);
      expect(exit.stderr).toContain(`${signal}: stopping`);
    }
  });
}

for (const script of ['monitor', 'start']) {
  test(`npm run ${script}: signalling npm's PID stops the exporter too (no orphaned node)`, async () => {
    const npm = startProcess('npm', ['run', script, '--silent'], { env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1' } });
    let exporterPid: number | undefined;
    try {
      await npm.waitFor(listening, 'stderr');
      // The node process npm runs: npm's child (the script is exec'ed, so no shell stays in between).
      exporterPid = await eventually('the exporter process', () => {
        const children = fs.readFileSync(`/proc/${npm.child.pid}/task/${npm.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        return children.find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('exporter/cli'));
      });
      await npm.stop('SIGTERM');
      await eventually('the exporter gone after npm was stopped', () => !alive(exporterPid!), 20_000);
    } finally {
      if (exporterPid !== undefined && alive(exporterPid)) process.kill(exporterPid, 'SIGKILL');
      await npm.stop('SIGKILL');
    }
  });
}

test('killing npm with SIGKILL still stops the exporter: it watches its parent', async () => {
  const npm = startProcess('npm', ['run', 'start', '--silent'], { env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1' } });
  let exporterPid: number | undefined;
  try {
    await npm.waitFor(listening, 'stderr');
    exporterPid = await eventually('the exporter process', () => {
      const children = fs.readFileSync(`/proc/${npm.child.pid}/task/${npm.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return children.find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('exporter/cli'));
    });
    await npm.stop('SIGKILL');
    await eventually('the orphaned exporter stopped itself', () => !alive(exporterPid!), 20_000);
  } finally {
    if (exporterPid !== undefined && alive(exporterPid)) process.kill(exporterPid, 'SIGKILL');
  }
});
