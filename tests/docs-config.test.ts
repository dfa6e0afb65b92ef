// The README configuration tables are generated from config/settings.ts (`npm run docs:config`) and must not go stale.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { UserError } from '../config/errors';
import { exporterDefaults, exporterVariableDocs, gateVariableDocs, targetVariableDocs } from '../config/settings';
import { configTables, renderConfigTable, staleConfigTables, withConfigTable } from '../tools/docs-config';
import { repoRoot } from './helpers/processes';

test('the README configuration tables are what config/settings.ts declares (run `npm run docs:config` when this fails)', () => {
  expect(staleConfigTables(), 'stale tables').toEqual([]);
});

test('every gate and exporter variable is in a generated table, each once', () => {
  const tabled = configTables.flatMap((table) => table.variables);
  expect(new Set(tabled).size, 'no variable twice').toBe(tabled.length);
  for (const name of [...Object.keys(targetVariableDocs), ...Object.keys(gateVariableDocs), ...Object.keys(exporterVariableDocs), 'SIMULATOR_MODE']) {
    expect(tabled, `${name} is documented in a README table`).toContain(name);
  }
});

test('a hand-edited or missing table is found, and regenerating restores it', () => {
  const gate = configTables.find((table) => table.name === 'gate')!;
  const text = fs.readFileSync(path.join(repoRoot, gate.file), 'utf8');
  const edited = text.replace('| `CONTRACT_WORKERS` | 1 |', '| `CONTRACT_WORKERS` | 4 |');
  expect(edited, 'the edit applied').not.toBe(text);
  expect(withConfigTable(edited, gate), 'regenerated').toBe(text);
  const rendered = renderConfigTable(['CONTRACT_WORKERS', 'PROBE_INTERVAL_SECONDS']);
  expect(rendered).toBe(
    [
      '| variable | default | meaning |',
      '|---|---|---|',
      '| `CONTRACT_WORKERS` | 1 | Playwright workers, a whole number from 1 to 16 (the fastest for ~30 quick requests) |',
      '| `PROBE_INTERVAL_SECONDS` | 30 | seconds between probes of one target×operation, a number greater than 0 and at most 86400 (24 h) |',
    ].join('\n'),
  );
  expect(() => withConfigTable('# no markers here\n', gate)).toThrow(UserError);
  expect(() => renderConfigTable(['API_NOT_DECLARED'])).toThrow(/API_NOT_DECLARED is not declared in config\/settings.ts/);
});

test("the exporter's defaults are stated only in the generated table: the READMEs link it", () => {
  const generated = /<!-- config:\w+:start -->[\s\S]*?<!-- config:\w+:end -->/g;
  for (const file of ['README.md', 'monitors/exporter/README.md']) {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8').replace(generated, '');
    for (const value of [String(exporterDefaults.port), String(exporterDefaults.bodyLimitBytes), `${exporterDefaults.bodyLimitBytes / 2 ** 20} MiB`]) {
      expect(new RegExp(`(^|[^\\d.])${value}(?![\\d.])`).test(text), `${file} repeats ${value} by hand`).toBe(false);
    }
  }
  expect(fs.readFileSync(path.join(repoRoot, 'monitors/exporter/README.md'), 'utf8')).toContain('docs/configuration.md#the-exporter');
});
