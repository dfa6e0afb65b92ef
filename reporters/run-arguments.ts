// Whether a run was the whole suite: read from the config and the runner's command line, for the coverage rule (a filtered run is not held to it).
import type { FullConfig } from '@playwright/test/reporter';

/** Playwright CLI options that take a value, so the value is not mistaken for a file filter. */
const cliOptionsWithValue = new Set([
  '-c',
  '--config',
  '--reporter',
  '-j',
  '--workers',
  '--project',
  '--retries',
  '--timeout',
  '--max-failures',
  '--output',
  '--repeat-each',
  '--shard',
  '-g',
  '--grep',
  '--grep-invert',
  '--global-timeout',
  '--trace',
  '--tsconfig',
  '--test-list',
  '--test-list-invert',
  '--last-failed-file',
  '--browser',
  '--ui-host',
  '--ui-port',
  '--update-source-method',
]);
/** Playwright CLI options that run a subset of the suite. */
const cliFilterOptions = new Set([
  '-g',
  '--grep',
  '--grep-invert',
  '--shard',
  '--last-failed',
  '--last-failed-file',
  '--only-changed',
  '--test-list',
  '--test-list-invert',
]);
const updateSnapshotModes = new Set(['all', 'changed', 'missing', 'none']);

/**
 * Why the run was a subset of the suite, from the config and the runner's command line; empty for a full run. The
 * reporter API gives the config's shard and greps, but not a file filter or --last-failed: those come from argv, whose
 * options are Playwright's (the list above, from `playwright test --help`; an option it adds later that takes a value
 * would make its value read as a file filter, which only ever stops enforcing coverage, never enforces it wrongly).
 */
export function filterReasons(config: FullConfig): string[] {
  const reasons: string[] = [];
  if (config.shard) reasons.push(`--shard ${config.shard.current}/${config.shard.total}`);
  for (const project of config.projects) {
    const greps = Array.isArray(project.grep) ? project.grep : [project.grep];
    if (greps.some((g) => g.source !== '.*')) reasons.push('grep in the config');
    // A merged (sharded) run's projects come back from the blobs with grepInvert as [] rather than null.
    const inverts = Array.isArray(project.grepInvert) ? project.grepInvert : project.grepInvert ? [project.grepInvert] : [];
    if (inverts.length > 0) reasons.push('grepInvert in the config');
  }
  const argv = config.argv;
  const start = argv.indexOf('test', 2);
  if (start < 0) return reasons;
  for (let i = start + 1; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    if (!token.startsWith('-')) {
      reasons.push(`file filter ${token}`);
      continue;
    }
    const name = token.split('=')[0]!;
    if (cliFilterOptions.has(name)) reasons.push(name);
    if (token.includes('=')) continue;
    if (cliOptionsWithValue.has(name)) i += 1;
    else if ((name === '-u' || name === '--update-snapshots') && updateSnapshotModes.has(argv[i + 1] ?? '')) i += 1;
  }
  return [...new Set(reasons)];
}
