// One policy for settings: every known variable in one table, one typo check for all five prefixes, one way to read numbers,
// and CLI mistakes (gate and exporter) that stop with one line and exit code 2 before anything is sent.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import {
  exporterVariables as settingsExporterVariables,
  gateDefaults,
  isKnownVariable,
  knownVariables,
  loadGateSettings,
  numberSetting,
  simulatorVariables,
  unknownVariableProblems,
} from '../config/settings';
import { loadTargetConfig } from '../config/target';
import { exporterVariables, loadExporterSettings, probeSettingsProblems } from '../monitors/exporter/config';
import { runExporterCommand } from './helpers/exporter-cli';
import { repoRoot, runGate } from './helpers/run-gate';
import { userError } from './helpers/user-error';

test.describe('the table of known variables', () => {
  test('every variable the code reads is in the table', () => {
    const files = ['config', 'monitors', 'simulator', 'specs', 'tools', 'reporters']
      .flatMap((dir) => fs.readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)))
      .concat(['playwright.config.ts', 'playwright.merge.config.ts'])
      .filter((f) => f.endsWith('.ts'));
    const read = new Set<string>();
    for (const file of files) {
      const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
      for (const m of text.matchAll(/env(?:\.|\[')((?:API|CONTRACT|MONITOR|PROBE|SIMULATOR)_[A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(15);
    expect(
      [...read].filter((name) => !isKnownVariable(name)),
      'read but not in config/settings.ts',
    ).toEqual([]);
  });

  test('the simulator CLI keeps no table of its own and reads every variable of the shared one', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'simulator/cli.ts'), 'utf8');
    expect(
      [...text.matchAll(/^\s+(SIMULATOR_[A-Z_]+):/gm)].map((m) => m[1]),
      'a variable table in simulator/cli.ts',
    ).toEqual([]);
    const read = new Set([...text.matchAll(/env\.(SIMULATOR_[A-Z_]+)/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual(Object.keys(simulatorVariables).sort());
  });

  test('the exporter table is the shared one, with MONITOR_WEB_CONFIG_FILE', () => {
    expect(exporterVariables).toBe(settingsExporterVariables);
    expect(Object.keys(exporterVariables)).toContain('MONITOR_WEB_CONFIG_FILE');
  });

  test('internal handoff variables are known', () => {
    for (const name of ['CONTRACT_SUITE_SIMULATOR', 'CONTRACT_SUITE_RELAY', 'CONTRACT_SUITE_ANYTHING_NEW']) expect(isKnownVariable(name)).toBe(true);
    expect(unknownVariableProblems({ CONTRACT_SUITE_RELAY: 'x', CONTRACT_SUITE_SIMULATOR: '{}' })).toEqual([]);
  });
});

test.describe('one typo check for every prefix', () => {
  for (const [typo, meant] of [
    ['CONTRACT_READONLY', 'CONTRACT_READ_ONLY'],
    ['CONTRACT_WORKER', 'CONTRACT_WORKERS'],
    ['CONTRACT_REPORT_DIR', 'CONTRACT_REPORTS_DIR'],
    ['API_TOKN', 'API_TOKEN'],
    ['API_ALLOW_DELETES', 'API_ALLOW_DELETE'],
    ['SIMULATOR_MOD', 'SIMULATOR_MODE'],
    ['MONITOR_POR', 'MONITOR_PORT'],
    ['PROBE_INTERVAL_SECOND', 'PROBE_INTERVAL_SECONDS'],
    ['contract_read_only', 'CONTRACT_READ_ONLY'],
  ] as const) {
    test(`${typo} → did you mean ${meant}?`, () => {
      const line = `unknown variable ${typo}: did you mean ${meant}?`;
      expect(unknownVariableProblems({ [typo]: '1' })).toEqual([line]);
      // Everywhere the check runs: the gate's settings, the gate's target, the exporter.
      expect(userError(() => loadGateSettings({ [typo]: '1' }))).toBe(line);
      expect(userError(() => loadTargetConfig({ [typo]: '1' }))).toBe(line);
      expect(userError(() => loadExporterSettings({ [typo]: '1' }))).toBe(line);
    });
  }

  test('a far-off name is left alone by the gate, but the exporter refuses any unknown PROBE_/MONITOR_ variable', () => {
    expect(unknownVariableProblems({ CONTRACT_SOMETHING_ELSE_ENTIRELY: '1', API_KEY_SENTINEL: 'x', MONITOR_FOO_BAR_BAZ: '1', HOME: '/' })).toEqual([]);
    expect(loadGateSettings({ MONITOR_FOO_BAR_BAZ: '1' })).toMatchObject({ workers: 1 });
    const text = userError(() => loadExporterSettings({ MONITOR_FOO_BAR_BAZ: '1' }));
    expect(text).toMatch(
      /^unknown variable MONITOR_FOO_BAR_BAZ: PROBE_\* and MONITOR_\* are the exporter's variables and it is not one \(known: PROBE_INTERVAL_SECONDS, /,
    );
    expect(loadExporterSettings({ CONTRACT_SOMETHING_ELSE_ENTIRELY: '1' })).toMatchObject({ port: 9464 });
  });

  test('every known variable passes', () => {
    const env = Object.fromEntries(Object.keys(knownVariables).map((name) => [name, '']));
    expect(unknownVariableProblems(env)).toEqual([]);
  });
});

test.describe('numbers are read one way', () => {
  test('integers: shape and range, one message', () => {
    const rule = { integer: true, min: 1, max: 16 };
    for (const raw of ['abc', '0', '17', '1.5', '-1', '1e1', '0x2', 'NaN', 'Infinity']) {
      const problems: string[] = [];
      expect(numberSetting(raw, 'CONTRACT_WORKERS', rule, problems)).toBeUndefined();
      expect(problems).toEqual([`CONTRACT_WORKERS must be a whole number from 1 to 16, not ${JSON.stringify(raw)}`]);
    }
    const problems: string[] = [];
    expect(numberSetting(' 4 ', 'CONTRACT_WORKERS', rule, problems)).toBe(4);
    expect(numberSetting('', 'CONTRACT_WORKERS', rule, problems)).toBeUndefined();
    expect(numberSetting(undefined, 'CONTRACT_WORKERS', rule, problems)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  test('the gate: CONTRACT_WORKERS, CONTRACT_BODY_LIMIT_BYTES, CONTRACT_REPORTS_DIR', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-settings-'));
    expect(loadGateSettings({}, root)).toEqual({ workers: 1, reportsDir: path.join(root, 'reports'), bodyLimitBytes: 8_388_608 });
    expect(gateDefaults.bodyLimitBytes).toBe(8 * 1024 * 1024);
    expect(loadGateSettings({ CONTRACT_WORKERS: '16', CONTRACT_BODY_LIMIT_BYTES: '1024', CONTRACT_REPORTS_DIR: 'out/r' }, root)).toEqual({
      workers: 16,
      reportsDir: path.join(root, 'out/r'),
      bodyLimitBytes: 1024,
    });
    expect(loadGateSettings({ CONTRACT_BODY_LIMIT_BYTES: '1073741824' }, root).bodyLimitBytes).toBe(1_073_741_824);
    expect(userError(() => loadGateSettings({ CONTRACT_WORKERS: 'abc' }, root))).toBe('CONTRACT_WORKERS must be a whole number from 1 to 16, not "abc"');
    expect(userError(() => loadGateSettings({ CONTRACT_WORKERS: '0' }, root))).toBe('CONTRACT_WORKERS must be a whole number from 1 to 16, not "0"');
    expect(userError(() => loadGateSettings({ CONTRACT_BODY_LIMIT_BYTES: '1023' }, root))).toBe(
      'CONTRACT_BODY_LIMIT_BYTES must be a whole number from 1024 to 1073741824, not "1023"',
    );
    expect(userError(() => loadGateSettings({ CONTRACT_BODY_LIMIT_BYTES: '8MiB' }, root))).toMatch(/^CONTRACT_BODY_LIMIT_BYTES must be a whole number/);
    expect(userError(() => loadGateSettings({ CONTRACT_REPORTS_DIR: '  ' }, root))).toMatch(/^CONTRACT_REPORTS_DIR is set but empty/);
    expect(userError(() => loadGateSettings({ CONTRACT_REPORTS_DIR: '.' }, root))).toMatch(/^CONTRACT_REPORTS_DIR "\." is the repository/);
    expect(userError(() => loadGateSettings({ CONTRACT_REPORTS_DIR: '..' }, root))).toMatch(/a folder above it/);
    fs.writeFileSync(path.join(root, 'a-file'), '');
    expect(userError(() => loadGateSettings({ CONTRACT_REPORTS_DIR: 'a-file' }, root))).toMatch(/which is a file, not a folder/);
    // Several mistakes: all named in one line.
    expect(userError(() => loadGateSettings({ CONTRACT_WORKERS: '99', CONTRACT_READ_ONLY: 'yes' }, root))).toBe(
      'CONTRACT_WORKERS must be a whole number from 1 to 16, not "99"; CONTRACT_READ_ONLY must be 1/true or 0/false, not "yes"',
    );
  });

  test('the exporter: the same messages, an interval of at most 24 h, MONITOR_WEB_CONFIG_FILE', () => {
    expect(userError(() => loadExporterSettings({ PROBE_INTERVAL_SECONDS: '86401' }))).toBe(
      'PROBE_INTERVAL_SECONDS must be a number greater than 0 and at most 86400, not "86401"',
    );
    expect(loadExporterSettings({ PROBE_INTERVAL_SECONDS: '86400' }).intervalSeconds).toBe(86_400);
    expect(userError(() => loadExporterSettings({ MONITOR_PORT: '1.5' }))).toBe('MONITOR_PORT must be a whole number from 0 to 65535, not "1.5"');
    expect(userError(() => loadExporterSettings({ PROBE_BODY_LIMIT_BYTES: 'lots' }))).toMatch(
      /^PROBE_BODY_LIMIT_BYTES must be a whole number from 1 to 1073741824/,
    );
    expect(loadExporterSettings({}).webConfigFile).toBeUndefined();
    expect(loadExporterSettings({ MONITOR_WEB_CONFIG_FILE: ' /etc/web.yml ' }).webConfigFile).toBe('/etc/web.yml');
    // startExporter's programmatic options go through the same cross-field rules.
    expect(probeSettingsProblems({ intervalSeconds: 90_000, timeoutSeconds: 10, jitterSeconds: 1, bodyLimitBytes: 1024 })).toEqual([
      'PROBE_INTERVAL_SECONDS (90000) must be at most 86400 (24 h): a target probed less often is not monitored',
    ]);
    expect(probeSettingsProblems({ intervalSeconds: 86_400, timeoutSeconds: 10, jitterSeconds: 1, bodyLimitBytes: 1024 })).toEqual([]);
  });
});

/** A server that counts every request: a refused run must send none. */
async function countingServer(): Promise<{ baseUrl: string; requests: () => number; stop: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2/integrations`,
    requests: () => count,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test.describe('the gate refuses a bad setting with one line and exit 2, before any request', () => {
  for (const [name, env, line] of [
    ['a misspelt CONTRACT_READ_ONLY', { CONTRACT_READONLY: '1' }, 'error: unknown variable CONTRACT_READONLY: did you mean CONTRACT_READ_ONLY?'],
    ['CONTRACT_WORKERS=abc', { CONTRACT_WORKERS: 'abc' }, 'error: CONTRACT_WORKERS must be a whole number from 1 to 16, not "abc"'],
    ['CONTRACT_WORKERS=0', { CONTRACT_WORKERS: '0' }, 'error: CONTRACT_WORKERS must be a whole number from 1 to 16, not "0"'],
    [
      'CONTRACT_BODY_LIMIT_BYTES=10',
      { CONTRACT_BODY_LIMIT_BYTES: '10' },
      'error: CONTRACT_BODY_LIMIT_BYTES must be a whole number from 1024 to 1073741824, not "10"',
    ],
  ] as const) {
    test(name, async () => {
      const target = await countingServer();
      try {
        const run = await runGate({
          env: {
            API_BASE_URL: target.baseUrl,
            API_CUSTOMER_ID: 'cust_abc123',
            API_TOKEN: 'tok_settings_canary',
            API_ALLOW_DELETE: '1',
            API_DELETE_CUSTOMER_ID: 'cust_disposable789',
            API_DELETE_TOKEN: 'tok_settings_disposable',
            ...env,
          },
          reportsDir: path.join(repoRoot, 'reports', 'self-test', `settings-${name.replace(/\W+/g, '-')}`),
        });
        expect(run.exitCode, run.stderr).toBe(2);
        expect(run.stderr.trim()).toBe(line);
        expect(run.stdout.trim()).toBe('');
        expect(target.requests(), 'no request reached the target').toBe(0);
        expect(run.results, 'no test ran').toBeUndefined();
      } finally {
        await target.stop();
      }
    });
  }
});

test.describe('the exporter CLI', () => {
  test('--help prints every variable and flag and exits 0 without starting', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runExporterCommand({ args: [flag], env: { MONITOR_PORT: '0' } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^usage: npm run monitor/);
      for (const name of [...Object.keys(exporterVariables), 'API_BASE_URL', 'API_TOKEN_FILE', '--web.config.file', '--help'])
        expect(run.stdout).toContain(name);
      expect(run.stdout).not.toContain('listening');
    }
  });

  for (const [what, args, line] of [
    ['an unknown flag', ['--web.config=x'], 'error: unknown flag --web.config: see `npm run monitor -- --help`'],
    ['a stray argument', ['now'], 'error: unexpected argument "now": see `npm run monitor -- --help`'],
    ['--web.config.file without a path', ['--web.config.file'], 'error: --web.config.file needs a path, e.g. --web.config.file=web-config.yml'],
  ] as const) {
    test(`${what} is one line and exit 2`, async () => {
      const run = await runExporterCommand({ args: [...args], env: { MONITOR_PORT: '0' } });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`${line}\n`);
    });
  }

  test('--web.config.file=PATH and --web.config.file PATH reach the exporter (a missing file is named)', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir-for-settings-test', 'web.yml');
    for (const args of [[`--web.config.file=${missing}`], ['--web.config.file', missing]]) {
      const run = await runExporterCommand({ args, env: { MONITOR_PORT: '0', MONITOR_HOST: '127.0.0.1' } });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^error: /);
      expect(run.stderr).toContain(missing);
    }
    const both = await runExporterCommand({ args: [`--web.config.file=${missing}`], env: { MONITOR_PORT: '0', MONITOR_WEB_CONFIG_FILE: `${missing}.other` } });
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: --web.config.file and MONITOR_WEB_CONFIG_FILE name different files: give one of them\n');
  });

  for (const host of ['10.255.255.1', 'not-a-host.invalid']) {
    test(`MONITOR_HOST=${host} is one line and exit 2, not a stack trace`, async () => {
      const run = await runExporterCommand({ env: { MONITOR_PORT: '0', MONITOR_HOST: host } });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^error: MONITOR_HOST "${host.replace(/\./g, '\\.')}" is not an address of this machine \\(E[A-Z_]+\\): set MONITOR_HOST to one of its addresses`,
        ),
      );
    });
  }

  test('PROBE_INTERVAL_SECONDS over 24 h is refused at start', async () => {
    const run = await runExporterCommand({ env: { MONITOR_PORT: '0', PROBE_INTERVAL_SECONDS: '604800' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: PROBE_INTERVAL_SECONDS must be a number greater than 0 and at most 86400, not "604800"\n');
  });
});
