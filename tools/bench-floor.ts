// The gate against Playwright's own floor: a bare project of the same size, generated in a temp folder, run interleaved with the gate.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors';
import { loadGateSettings } from '../config/settings';
import { loadAverage, median, repoRoot, round, withLoad, type LoadAverage, type LoadedFigure, type Figure } from './bench-common';

const playwrightCli = require.resolve('@playwright/test/cli');

/** The environment both runs get: the bench's PATH and HOME only, as the gate section runs the gate. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME };
}

/** How many tests and files `playwright test --list` finds in the gate. */
function gateSize(): { tests: number; files: number } {
  const run = spawnSync(process.execPath, [playwrightCli, 'test', '--list', '--reporter=list'], { cwd: repoRoot, env: baseEnv(), encoding: 'utf8' });
  const match = /Total: (\d+) tests? in (\d+) files?/.exec(run.stdout);
  if (run.status !== 0 || !match)
    throw new UserError(`\`playwright test --list\` did not count the gate's tests (exit ${run.status}): ${run.stderr.trim().split('\n')[0] ?? ''}`);
  return { tests: Number(match[1]), files: Number(match[2]) };
}

/**
 * A bare Playwright project with `tests` trivial API tests over `files` files, sending `requests` requests between them
 * (one each, or spread evenly when there are more): one worker, a global setup that starts a loopback server, and the
 * gate's reporter set (list, junit, json, html, and a trivial custom reporter standing in for the contract reporter).
 * Same Playwright (node_modules is linked), same worker count, no fixtures, no contract.
 */
function generateFloorProject(dir: string, tests: number, files: number, workers: number, requests = tests): void {
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'playwright.config.ts'),
    `import { defineConfig } from '@playwright/test';
import path from 'node:path';
const reports = path.join(__dirname, 'reports');
export default defineConfig({
  testDir: path.join(__dirname, 'specs'),
  globalSetup: require.resolve('./global-setup'),
  fullyParallel: false,
  workers: ${workers},
  retries: 0,
  timeout: 30_000,
  outputDir: path.join(reports, 'test-results'),
  reporter: [
    [require.resolve('./count-reporter')],
    ['list'],
    ['junit', { outputFile: path.join(reports, 'junit.xml') }],
    ['json', { outputFile: path.join(reports, 'results.json') }],
    ['html', { outputFolder: path.join(reports, 'html'), open: 'never' }],
  ],
});
`,
  );
  fs.writeFileSync(
    path.join(dir, 'global-setup.ts'),
    `import http from 'node:http';
import type { AddressInfo } from 'node:net';
export default async function globalSetup(): Promise<() => Promise<void>> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, data: { customer_id: req.url } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.FLOOR_BASE_URL = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
`,
  );
  fs.writeFileSync(
    path.join(dir, 'count-reporter.ts'),
    `import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
export default class CountReporter implements Reporter {
  #passed = 0;
  onTestEnd(_test: TestCase, result: TestResult): void {
    if (result.status === 'passed') this.#passed += 1;
  }
  onEnd(): void {
    process.stdout.write(\`floor: \${this.#passed} passed\\n\`);
  }
}
`,
  );
  fs.mkdirSync(path.join(dir, 'specs'));
  for (let f = 0; f < files; f++) {
    const count = Math.floor(tests / files) + (f < tests % files ? 1 : 0);
    const before = f * Math.floor(tests / files) + Math.min(f, tests % files);
    const cases = Array.from({ length: count }, (_, i) => {
      const n = before + i;
      const sends = Math.floor(requests / tests) + (n < requests % tests ? 1 : 0);
      return `test('answers customer ${f}-${i}', async ({ request }) => {
  for (let r = 0; r < ${sends}; r++) {
    const res = await request.get(\`\${process.env.FLOOR_BASE_URL}/c${f}-${i}-\${r}\`);
    expect(res.status(), 'status').toBe(200);
    expect((await res.json()).data.customer_id, 'echoed id').toBe(\`/c${f}-${i}-\${r}\`);
  }
});
`;
    });
    fs.writeFileSync(path.join(dir, 'specs', `floor-${f}.spec.ts`), `import { test, expect } from '@playwright/test';\n\n${cases.join('\n')}`);
  }
}

function timeRun(args: string[], cwd: string, env: NodeJS.ProcessEnv, expectedExit: number, what: string): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [playwrightCli, ...args], { cwd, env, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (run.status !== expectedExit) {
    throw new UserError(
      `${what} exited ${run.status} during the benchmark, not ${expectedExit}: ${(run.stdout + run.stderr).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return elapsed;
}

/** The gate and the bare floor project, interleaved `runs` times each (cold: a new Playwright process every run). */
export function benchFloor(runs: number): Figure[] {
  const section = 'floor';
  const { tests, files } = gateSize();
  const workers = loadGateSettings(process.env, repoRoot).workers;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-'));
  const sameWorkDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-requests-'));
  try {
    const timeGate = (): { ms: number; requests: number } => {
      const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-gate-'));
      try {
        const ms = timeRun(
          ['test'],
          repoRoot,
          { ...baseEnv(), CONTRACT_REPORTS_DIR: reports },
          0,
          'the gate (`npm run contract` against the faithful simulator)',
        );
        const traffic = JSON.parse(fs.readFileSync(path.join(reports, 'requests.json'), 'utf8')) as { requests: number };
        return { ms, requests: traffic.requests };
      } finally {
        fs.rmSync(reports, { recursive: true, force: true });
      }
    };
    // One untimed gate run counts the requests it sends (reports/requests.json): the second floor sends as many.
    const requests = timeGate().requests;
    generateFloorProject(dir, tests, files, workers);
    generateFloorProject(sameWorkDir, tests, files, workers, requests);
    const gate: number[] = [];
    const floor: number[] = [];
    const sameWork: number[] = [];
    const loads: LoadAverage[] = [];
    for (let i = 0; i < runs; i++) {
      floor.push(timeRun(['test', '-c', path.join(dir, 'playwright.config.ts')], dir, baseEnv(), 0, 'the floor project'));
      sameWork.push(timeRun(['test', '-c', path.join(sameWorkDir, 'playwright.config.ts')], sameWorkDir, baseEnv(), 0, 'the request-matched floor project'));
      gate.push(timeGate().ms);
      loads.push(loadAverage());
    }
    const listFloor = timeRun(['test', '--list', '-c', path.join(dir, 'playwright.config.ts')], dir, baseEnv(), 0, 'the floor project --list');
    const listGate = timeRun(['test', '--list', '--reporter=list'], repoRoot, baseEnv(), 0, 'the gate --list');
    const load = loadAverage();
    const g = median(gate);
    const f = median(floor);
    const w = median(sameWork);
    const ratio = g / f;
    const workRatio = g / w;
    const runsText = (values: number[]): string => values.map((v) => (v / 1000).toFixed(2)).join(', ');
    const loadsText = loads.map((l) => l.load1.toFixed(2)).join(', ');
    const figures: LoadedFigure[] = [
      withLoad(
        {
          section,
          name: `bare Playwright project, ${tests} API tests in ${files} files, ${workers} worker(s), the gate's reporter set, median of ${runs} (${runsText(floor)} s)`,
          value: round(f / 1000, 2),
          unit: 's',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `the gate (npm run contract, faithful simulator), the same runs interleaved, median of ${runs} (${runsText(gate)} s; load1 after each pair ${loadsText})`,
          value: round(g / 1000, 2),
          unit: 's',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `gate / Playwright floor: ${round(g / 1000, 2)} s / ${round(f / 1000, 2)} s`,
          value: round(ratio, 2),
          unit: '×',
          goal: '≤ 1.1×',
          met: ratio <= 1.1,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `the same bare project sending the gate's ${requests} requests (reports/requests.json) instead of ${tests}, median of ${runs} (${runsText(sameWork)} s)`,
          value: round(w / 1000, 2),
          unit: 's',
        },
        load,
      ),
      withLoad(
        {
          section,
          name: `gate / Playwright floor for the same tests and requests: ${round(g / 1000, 2)} s / ${round(w / 1000, 2)} s`,
          value: round(workRatio, 2),
          unit: '×',
          goal: '≤ 1.1×',
          met: workRatio <= 1.1,
        },
        load,
      ),
      withLoad(
        {
          section,
          name: 'playwright test --list: gate / floor',
          value: round(listGate / listFloor, 2),
          unit: `× (${round(listGate / 1000, 2)} s / ${round(listFloor / 1000, 2)} s)`,
        },
        load,
      ),
    ];
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(sameWorkDir, { recursive: true, force: true });
  }
}
