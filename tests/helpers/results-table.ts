// A Markdown table written by many tests, one row each, possibly in different workers: each test saves its row, then
// rewrites the table from every row of this invocation (under a lock), so the file is whole once the last row is in.
import fs from 'node:fs';
import path from 'node:path';
import { withFileLock } from './file-lock';
import { selfTestRunId } from './self-test-run';

interface SavedRow {
  runId: string;
  /** Where the row goes in the table (the order the test file lists them in). */
  position: number;
  row: string;
}

/**
 * Saves `row` (a Markdown table row) as row `id` of `tableFile` and rewrites the table: `header` (its first lines), then this
 * invocation's rows by `position`. Resolves with the table and whether it now holds `expectedRows` rows.
 */
export async function writeTableRow(options: {
  tableFile: string;
  header: readonly string[];
  id: string;
  position: number;
  row: string;
  expectedRows: number;
}): Promise<{ markdown: string; complete: boolean }> {
  const rowsDir = `${options.tableFile}.rows`;
  fs.mkdirSync(rowsDir, { recursive: true });
  const runId = selfTestRunId();
  const saved: SavedRow = { runId, position: options.position, row: options.row };
  return withFileLock(`${options.tableFile}.lock`, () => {
    fs.writeFileSync(path.join(rowsDir, `${options.id.replace(/[^\w.-]+/g, '_')}.json`), JSON.stringify(saved));
    const rows = fs
      .readdirSync(rowsDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(fs.readFileSync(path.join(rowsDir, file), 'utf8')) as SavedRow)
      .filter((r) => r.runId === runId)
      .sort((a, b) => a.position - b.position);
    const markdown = [...options.header, ...rows.map((r) => r.row)].join('\n');
    fs.writeFileSync(`${options.tableFile}.tmp`, `${markdown}\n`);
    fs.renameSync(`${options.tableFile}.tmp`, options.tableFile);
    return { markdown, complete: rows.length === options.expectedRows };
  });
}
