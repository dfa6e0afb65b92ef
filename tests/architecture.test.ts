// The import graph has layers: no module imports one above it, or a sibling beside it, except the edges listed here with their reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import ts from 'typescript';
import { repoRoot } from './helpers/processes';

/**
 * The layers, lowest first. A module may import its own unit and any unit of a lower layer; never a higher one, and
 * never another unit of its own layer (the simulator, the specs and the monitors do not know each other; nor do the
 * reporters and the tools).
 *
 *   config     settings, credentials, Secret, UserError: what everything reads, knowing nothing of the rest
 *   contract   the OpenAPI document, its validators, checks, judge and records (the generated types are contract too)
 *   relay      the credential relay: runner-side server code (policy, upstream exchange, budget) on config alone, and its
 *              wire protocol (relay/protocol.ts: header names, the credential-header parser), the only part worker code uses
 *   simulator / specs / monitors     each built on the contract alone
 *   reporters / tools / the root configs (playwright.config.ts …)     what runs or reports the layers below
 *   tests      may import anything; nothing imports them
 *
 * Inside specs, specs/support/ sits below the spec files and fixtures.ts: support code never imports a spec.
 * The specs reach the relay only through relay/protocol.ts; only global setup, which runs in the runner, starts the relay.
 * The reporters run in Playwright's runner and know a run only by its records: of the layers below, they import config
 * and contract alone, never the specs' support (which is worker code), the simulator or the monitors.
 * Outside contract/, the contract is imported through its door, contract/index.ts, alone (tests excepted: they test its
 * parts), but for the files listed in contractDoorExceptions.
 */
const layers: ReadonlyArray<readonly string[]> = [
  ['config'],
  ['contract'],
  ['relay'],
  ['simulator', 'specs', 'monitors'],
  ['reporters', 'tools', '(root)'],
  ['tests'],
];

/** Lower units a unit must still not import, with the reason. */
const alsoForbidden: Readonly<Record<string, { units: readonly string[]; because: string }>> = {
  reporters: { units: ['simulator', 'specs', 'specs/support', 'monitors', 'relay'], because: 'a reporter knows a run only by its records (contract/)' },
};

/** The one relay file worker code may import, and the one runner-side file of specs/ that starts the relay itself. */
const relayProtocol = 'relay/protocol.ts';
const relayStarter = 'specs/support/global-setup.ts';

/** Imports that cross the rule on purpose: each names the one file on each side and why. */
const allowedEdges: ReadonlyArray<{ from: string; to: string; because: string }> = [
  ...['simulator/server.ts', 'simulator/modes.ts'].map((to) => ({
    from: 'specs/support/global-setup.ts',
    to,
    because: 'with API_BASE_URL unset, the gate runs against an embedded simulator that global setup starts (in the runner, never in a worker)',
  })),
  ...['simulator/server.ts', 'simulator/modes.ts'].map((to) => ({
    from: 'monitors/exporter/cli.ts',
    to,
    because: 'with API_BASE_URL unset, `npm run monitor` probes an embedded simulator that its CLI starts (the exporter itself does not know it)',
  })),
];

/** The contract's door: every unit but contract and tests imports the contract through this file. */
const contractDoor = 'contract/index.ts';

/** Contract files imported around the door on purpose: each names the file, who may import it, and why. */
const contractDoorExceptions: ReadonlyArray<{ to: string; from: readonly string[]; because: string }> = [
  {
    to: 'contract/generators.ts',
    from: ['specs/generated.spec.ts', 'tools/sweep.ts', 'tools/generated-replay.ts', 'tools/mutation-score.ts'],
    because:
      'its values load fast-check, a devDependency, and the door is what the production exporter loads (deploy/container/Dockerfile prunes devDependencies): the door re-exports only its types',
  },
  {
    to: 'contract/failure-db.ts',
    from: ['playwright.config.ts'],
    because:
      'the gate config loads in the runner and again in every worker before any test: the failure database is 2 modules, the door ~22 (ajv, the compiled contract) (docs/benchmarks.md, the gate’s own work)',
  },
];

/** One import: the importing file and the file it names, both relative to the repository root with `/`. */
interface ImportEdge {
  from: string;
  to: string;
  /** The specifier as written, for the message. */
  specifier: string;
}

/** The unit a file belongs to: its top folder, `(root)` for a file at the top, and specs/support apart from specs. */
function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts.length === 1) return '(root)';
  if (parts[0] === 'specs' && parts[1] === 'support' && parts.length > 2) return 'specs/support';
  return parts[0]!;
}

function layerOf(unit: string): number {
  const top = unit === 'specs/support' ? 'specs' : unit;
  return layers.findIndex((layer) => layer.includes(top));
}

/** Every rule an edge breaks, in words naming the file and the import; empty when it keeps them all. */
function layerViolations(edges: readonly ImportEdge[], allowed = allowedEdges): string[] {
  const problems: string[] = [];
  for (const edge of edges) {
    const from = unitOf(edge.from);
    const to = unitOf(edge.to);
    const where = `${edge.from} imports '${edge.specifier}' (${edge.to})`;
    if (layerOf(from) === -1 || layerOf(to) === -1) {
      problems.push(`${where}: ${layerOf(from) === -1 ? from : to} is in no layer; add it to the layers in tests/architecture.test.ts`);
      continue;
    }
    if (from === to || allowed.some((a) => a.from === edge.from && a.to === edge.to)) continue;
    if (
      to === 'contract' &&
      from !== 'tests' &&
      edge.to !== contractDoor &&
      !contractDoorExceptions.some((e) => e.to === edge.to && e.from.includes(edge.from))
    ) {
      problems.push(`${where}: outside contract/, the contract is imported through its door, ${contractDoor} (or '…/contract'), alone`);
      continue;
    }
    if ((from === 'specs' || from === 'specs/support') && to === 'relay' && edge.to !== relayProtocol && edge.from !== relayStarter) {
      problems.push(`${where}: worker code reaches the relay only through ${relayProtocol}; the relay runs in the runner (${relayStarter} starts it)`);
      continue;
    }
    if (from === 'specs/support' && to === 'specs') {
      problems.push(`${where}: specs/support is below the specs and fixtures.ts, and must not import them`);
    } else if (from === 'specs' && to === 'specs/support') {
      continue;
    } else if (alsoForbidden[from]?.units.includes(to)) {
      problems.push(`${where}: ${from} must not import ${to}: ${alsoForbidden[from].because}`);
    } else if (layerOf(to) > layerOf(from)) {
      problems.push(`${where}: ${from} must not import ${to}, a higher layer`);
    } else if (layerOf(to) === layerOf(from)) {
      problems.push(`${where}: ${from} must not import ${to}, a sibling in the same layer`);
    }
  }
  return problems;
}

/** The relative specifiers a TypeScript source imports: import and export … from, import type, import(), require(). */
function importSpecifiers(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

/** The repository file a relative specifier names: the path as written, or with .ts or /index.ts added. */
function resolveImport(fromFile: string, specifier: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (fs.existsSync(path.join(repoRoot, candidate)) && fs.statSync(path.join(repoRoot, candidate)).isFile()) return candidate;
  }
  return base;
}

/** Every .ts file of the repository (outside node_modules, reports and test output), relative to its root. */
function sourceFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return ['node_modules', 'reports', 'test-results', '.git'].includes(entry.name) ? [] : sourceFiles(relative);
    return entry.isFile() && entry.name.endsWith('.ts') ? [relative] : [];
  });
}

function repositoryEdges(): ImportEdge[] {
  return sourceFiles().flatMap((file) =>
    importSpecifiers(fs.readFileSync(path.join(repoRoot, file), 'utf8')).map((specifier) => ({ from: file, to: resolveImport(file, specifier), specifier })),
  );
}

/** The import loops among files (each as the files around it, first file repeated at the end); empty when there are none. */
function importLoops(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const loops: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') loops.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (!state.has(file)) visit(file);
  return loops;
}

test.describe('import layers', () => {
  test('no file imports a higher layer or a sibling, except the listed edges', () => {
    const edges = repositoryEdges();
    expect(edges.length, 'the imports were found').toBeGreaterThan(100);
    expect(layerViolations(edges)).toEqual([]);
  });

  test('no import loop: no file reaches itself through its imports (type-only imports included)', () => {
    expect(importLoops(repositoryEdges()).map((loop) => loop.join(' → '))).toEqual([]);
  });

  test('the loop check finds a loop of two and of three files, and passes a diamond', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: to });
    expect(importLoops([edge('tools/a.ts', 'tools/b.ts'), edge('tools/b.ts', 'tools/a.ts')])).toEqual([['tools/a.ts', 'tools/b.ts', 'tools/a.ts']]);
    expect(importLoops([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts')])).toHaveLength(1);
    expect(importLoops([edge('a.ts', 'b.ts'), edge('a.ts', 'c.ts'), edge('b.ts', 'd.ts'), edge('c.ts', 'd.ts')])).toEqual([]);
  });

  test('every allowed edge is still an import of the tree (none is kept after the need is gone)', () => {
    const edges = repositoryEdges();
    for (const allowed of [...allowedEdges, ...contractDoorExceptions.flatMap((e) => e.from.map((from) => ({ from, to: e.to })))]) {
      expect(
        edges.some((e) => e.from === allowed.from && e.to === allowed.to),
        `${allowed.from} → ${allowed.to}`,
      ).toBe(true);
    }
  });

  test("the contract's door loads no devDependency (the production exporter loads it after devDependencies are pruned)", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const script = [
      `require(${JSON.stringify(path.join(repoRoot, contractDoor))});`,
      'const packages = Object.keys(require.cache).flatMap((file) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file); return m ? [m[1]] : []; });',
      'process.stdout.write(JSON.stringify([...new Set(packages)]));',
    ].join('\n');
    const loaded = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(loaded.status, loaded.stderr).toBe(0);
    const packages = JSON.parse(loaded.stdout) as string[];
    expect(packages, 'ajv, its standalone validators, are loaded: the check sees real modules').toContain('ajv');
    const devOnly = packages.filter((name) => name in (manifest.devDependencies ?? {}) && name !== 'tsx' && name !== 'esbuild');
    expect(devOnly, 'devDependencies loaded through contract/index.ts').toEqual([]);
  });

  test('the rule fails, naming the file and the import, on a backward, a sibling and an unlisted edge', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: path.posix.relative(path.posix.dirname(from), to).replace(/\.ts$/, '') });
    expect(
      layerViolations([
        edge('config/settings.ts', 'contract/index.ts'),
        edge('contract/check-response.ts', 'simulator/server.ts'),
        edge('reporters/contract-reporter.ts', 'specs/support/contract-matcher.ts'),
        edge('monitors/exporter/probers.ts', 'specs/support/verdicts.ts'),
        edge('monitors/exporter/server.ts', 'simulator/server.ts'),
        edge('specs/support/verdicts.ts', 'specs/fixtures.ts'),
        edge('tools/drift.ts', 'reporters/contract-reporter.ts'),
        edge('simulator/server.ts', 'tests/helpers/processes.ts'),
        edge('newfolder/thing.ts', 'config/errors.ts'),
        edge('relay/policy.ts', 'specs/support/run-handoff.ts'),
        edge('specs/support/verdicts.ts', 'relay/server.ts'),
        edge('reporters/contract-reporter.ts', 'relay/protocol.ts'),
        edge('monitors/exporter/probers.ts', 'contract/check-response.ts'),
        edge('reporters/contract-reporter.ts', 'contract/generators.ts'),
        edge('playwright.config.ts', 'contract/records.ts'),
      ]),
    ).toEqual([
      "config/settings.ts imports '../contract/index' (contract/index.ts): config must not import contract, a higher layer",
      "contract/check-response.ts imports '../simulator/server' (simulator/server.ts): contract must not import simulator, a higher layer",
      "reporters/contract-reporter.ts imports '../specs/support/contract-matcher' (specs/support/contract-matcher.ts): " +
        'reporters must not import specs/support: a reporter knows a run only by its records (contract/)',
      "monitors/exporter/probers.ts imports '../../specs/support/verdicts' (specs/support/verdicts.ts): monitors must not import specs/support, a sibling in the same layer",
      "monitors/exporter/server.ts imports '../../simulator/server' (simulator/server.ts): monitors must not import simulator, a sibling in the same layer",
      "specs/support/verdicts.ts imports '../fixtures' (specs/fixtures.ts): specs/support is below the specs and fixtures.ts, and must not import them",
      "tools/drift.ts imports '../reporters/contract-reporter' (reporters/contract-reporter.ts): tools must not import reporters, a sibling in the same layer",
      "simulator/server.ts imports '../tests/helpers/processes' (tests/helpers/processes.ts): simulator must not import tests, a higher layer",
      "newfolder/thing.ts imports '../config/errors' (config/errors.ts): newfolder is in no layer; add it to the layers in tests/architecture.test.ts",
      "relay/policy.ts imports '../specs/support/run-handoff' (specs/support/run-handoff.ts): relay must not import specs/support, a higher layer",
      "specs/support/verdicts.ts imports '../../relay/server' (relay/server.ts): worker code reaches the relay only through relay/protocol.ts; the relay runs in the runner (specs/support/global-setup.ts starts it)",
      "reporters/contract-reporter.ts imports '../relay/protocol' (relay/protocol.ts): reporters must not import relay: a reporter knows a run only by its records (contract/)",
      "monitors/exporter/probers.ts imports '../../contract/check-response' (contract/check-response.ts): outside contract/, the contract is imported through its door, contract/index.ts (or '…/contract'), alone",
      "reporters/contract-reporter.ts imports '../contract/generators' (contract/generators.ts): outside contract/, the contract is imported through its door, contract/index.ts (or '…/contract'), alone",
      "playwright.config.ts imports 'contract/records' (contract/records.ts): outside contract/, the contract is imported through its door, contract/index.ts (or '…/contract'), alone",
    ]);
    expect(
      layerViolations([
        edge('contract/judge.ts', 'config/secret.ts'),
        edge('specs/fixtures.ts', 'specs/support/exchanges.ts'),
        edge('tests/simulator.test.ts', 'simulator/server.ts'),
        edge('monitors/exporter/cli.ts', 'simulator/server.ts'),
        edge('playwright.config.ts', 'config/settings.ts'),
        edge('relay/policy.ts', 'config/target.ts'),
        edge('specs/fixtures.ts', 'relay/protocol.ts'),
        edge('specs/support/exchanges.ts', 'relay/protocol.ts'),
        edge('specs/support/global-setup.ts', 'relay/server.ts'),
        edge('monitors/exporter/probers.ts', 'contract/index.ts'),
        edge('contract/judge.ts', 'contract/findings.ts'),
        edge('tests/openapi.test.ts', 'contract/openapi.ts'),
        edge('tools/sweep.ts', 'contract/generators.ts'),
      ]),
      'downward imports, a unit importing its own support, tests, the contract through its door or a listed exception, and a listed edge keep the rule',
    ).toEqual([]);
    expect(layerViolations([edge('monitors/exporter/cli.ts', 'simulator/server.ts')], []), 'an edge is allowed only while it is listed').toHaveLength(1);
  });

  test('every kind of import statement is read, across lines', () => {
    const source = [
      "import fs from 'node:fs';",
      'import {',
      '  a,',
      '  b,',
      "} from '../contract/index';",
      "import type { C } from '../config/target';",
      "export { d } from './support/claims';",
      "export * from '../contract/records';",
      "const lazy = () => import('../simulator/server');",
      "const old = require('../tools/exposition');",
      "import '../config/errors';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      '../contract/index',
      '../config/target',
      './support/claims',
      '../contract/records',
      '../simulator/server',
      '../tools/exposition',
      '../config/errors',
    ]);
  });
});

test.describe('what runs write', () => {
  test('no tracked file lives in a folder that runs write and empty (reports/, test-results/, blob-report/, playwright-report/)', () => {
    const listed = spawnSync('git', ['ls-files', '--', 'reports', 'test-results', 'blob-report', 'playwright-report'], { cwd: repoRoot, encoding: 'utf8' });
    test.skip(listed.status !== 0, 'not a git checkout');
    expect(listed.stdout.split('\n').filter(Boolean), 'tracked files a cleaned reports folder would delete').toEqual([]);
  });
});
