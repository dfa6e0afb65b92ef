// `npm run docs:check -- PAGE` passes on the vendor's page as the contract describes it (text, HTML, reordered, over http) and
// names every planted change with its place on the page and in the document; a page that is not the vendor's is exit 2.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runDocsCheck } from '../tools/docs-check/run';
import { repoRoot, runProcess, tsxCommand, type ProcessExit } from './helpers/processes';

const pages = path.join(repoRoot, 'tests', 'fixtures', 'docs-pages');

interface Difference {
  kind: string;
  severity: 'breaking' | 'non-breaking';
  operation: string | null;
  message: string;
  page: { section: string; line: number; element?: string; text: string } | null;
  document: { pointer: string; also?: string[] };
}

interface Report {
  page: { operations: string[] };
  notes: string[];
  differences: Difference[];
}

/**
 * How a check runs: `process` is `npm run docs:check` as a user runs it (node + tsx, a clean environment, exit code and
 * output of the process); `in-process` calls the same runDocsCheck the command calls, with a clean environment, and
 * collects what it prints, without a node and tsx start-up per page. The command's own wiring (exit codes, stdout,
 * one stderr line) is proven by the cases marked `process` below, on each exit code.
 */
type How = 'process' | 'in-process';

async function docsCheck(page: string, how: How = 'in-process'): Promise<{ run: ProcessExit; report: Report | undefined; markdown: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-check-'));
  const args = [page, '--out', out];
  let run: ProcessExit;
  if (how === 'process') run = await runProcess(...tsxCommand('tools/docs-check.ts', args), { failAfterMs: 60_000 });
  else {
    const printed = { stdout: '', stderr: '' };
    const code = await runDocsCheck(args, {}, { out: (line) => (printed.stdout += `${line}\n`), err: (line) => (printed.stderr += `${line}\n`) });
    run = { code, signal: null, ...printed };
  }
  const jsonFile = path.join(out, 'docs-check.json');
  const report = fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Report) : undefined;
  const markdown = fs.existsSync(path.join(out, 'docs-check.md')) ? fs.readFileSync(path.join(out, 'docs-check.md'), 'utf8') : '';
  fs.rmSync(out, { recursive: true, force: true });
  return { run, report, markdown };
}

/** The 1-based line of the first line of `file` containing `text`. */
function lineOf(file: string, text: string, occurrence = 1): number {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  let seen = 0;
  const index = lines.findIndex((line) => line.includes(text) && ++seen === occurrence);
  expect(index, `${path.basename(file)} contains ${text}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

function expectAgreement(run: ProcessExit, report: Report | undefined): void {
  expect(run.code, `exit code; stdout: ${run.stdout} stderr: ${run.stderr}`).toBe(0);
  expect(report?.differences, 'no differences').toEqual([]);
  expect(report?.page.operations.sort(), 'all three operations read').toEqual(['DELETE /{customer_id}', 'GET /{customer_id}', 'GET /{customer_id}/usage']);
  expect(report?.notes, 'every operation has its example and the page its status table and base URL').toEqual([]);
}

test.describe('docs:check on the page as the contract describes it', () => {
  for (const file of ['current.txt', 'current.html', 'reordered.txt']) {
    test(`${file}: the page and the contract agree, exit 0`, async () => {
      const { run, report, markdown } = await docsCheck(path.join(pages, file), file === 'current.txt' ? 'process' : 'in-process');
      expectAgreement(run, report);
      expect(markdown).toContain('The page and the contract agree');
    });
  }

  test('the current page with CRLF line ends, tabs and trailing spaces still agrees', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docs-page-')), 'crlf.txt');
    fs.writeFileSync(file, fs.readFileSync(path.join(pages, 'current.txt'), 'utf8').replace(/\n/g, ' \t\r\n'));
    const { run, report } = await docsCheck(file);
    expectAgreement(run, report);
  });

  test("the vendor's page verbatim (../shared/api-docs) agrees", async () => {
    const shared = [path.resolve(repoRoot, '..', 'shared', 'api-docs', 'customer-management.txt'), '/work/shared/api-docs/customer-management.txt'].find((f) =>
      fs.existsSync(f),
    );
    // On a clone without the shared folder this is skipped, except in CI (CI=true), where the folder must be there.
    test.skip(shared === undefined && process.env.CI !== 'true', "the vendor's page is not beside this clone (../shared/api-docs/customer-management.txt)");
    expect(shared, "CI=true: the vendor's page must be at ../shared/api-docs/customer-management.txt").toBeDefined();
    const { run, report } = await docsCheck(shared!);
    expectAgreement(run, report);
  });

  test('over http from a loopback server: the HTML page agrees; a changed page is exit 1; a 404 or a PDF is exit 2', async () => {
    const bodies: Record<string, { type: string; status: number; body: string }> = {
      '/docs/customer-management': { type: 'text/html; charset=utf-8', status: 200, body: fs.readFileSync(path.join(pages, 'current.html'), 'utf8') },
      '/docs/changed.txt': { type: 'text/plain', status: 200, body: fs.readFileSync(path.join(pages, 'status-removed.txt'), 'utf8') },
      '/docs/manual.pdf': { type: 'application/pdf', status: 200, body: '%PDF-1.4' },
    };
    const server = http.createServer((req, res) => {
      const page = bodies[req.url ?? ''];
      res.writeHead(page?.status ?? 404, { 'content-type': page?.type ?? 'text/plain' }).end(page?.body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const served = await docsCheck(`${base}/docs/customer-management`);
      expectAgreement(served.run, served.report);
      const changed = await docsCheck(`${base}/docs/changed.txt`);
      expect(changed.run.code, changed.run.stderr).toBe(1);
      expect(changed.report?.differences.map((d) => d.kind)).toEqual(['status-removed']);
      const missing = await docsCheck(`${base}/docs/gone`);
      expect(missing.run.code).toBe(2);
      expect(missing.run.stderr).toMatch(/^error: PAGE http:\/\/127\.0\.0\.1:\d+\/docs\/gone answered HTTP 404, not the page\.\n$/);
      const pdf = await docsCheck(`${base}/docs/manual.pdf`);
      expect(pdf.run.code).toBe(2);
      expect(pdf.run.stderr).toMatch(/is application\/pdf, not an HTML or text page/);
    } finally {
      server.close();
    }
  });
});

/** One planted change: the page, and what docs:check must say about it, exactly. */
interface PlantedChange {
  file: string;
  kind: string;
  severity: 'breaking' | 'non-breaking';
  section: string | null;
  /** The text on the page's line it must point at; null when the page does not have it. */
  pageText: string | null;
  pointer: string;
  /** How many differences of this kind (one per operation for a per-operation change). */
  count?: number;
}

const planted: PlantedChange[] = [
  {
    file: 'field-added.txt',
    kind: 'example-property-added',
    severity: 'non-breaking',
    section: 'Get Customer Details',
    pageText: '"region"',
    pointer: '/components/schemas/Customer/properties',
  },
  {
    file: 'field-removed.txt',
    kind: 'example-property-removed',
    severity: 'breaking',
    section: 'Get Customer Details',
    pageText: '"data": {',
    pointer: '/components/schemas/Customer/properties/users_count',
  },
  {
    file: 'field-retyped.txt',
    kind: 'example-property-retyped',
    severity: 'breaking',
    section: 'Get Customer Details',
    pageText: '"apps_count": "3"',
    pointer: '/components/schemas/Customer/properties/apps_count',
  },
  {
    file: 'query-parameter-added.txt',
    kind: 'query-parameter-added',
    severity: 'non-breaking',
    section: 'Get Customer Usage',
    pageText: 'granularityStringNo',
    pointer: '/paths/~1{customer_id}~1usage/get/parameters',
  },
  {
    file: 'query-parameter-required.txt',
    kind: 'query-parameter-required-changed',
    severity: 'breaking',
    section: 'Get Customer Usage',
    pageText: 'start_dateStringYes',
    pointer: '/paths/~1{customer_id}~1usage/get/parameters/0/required',
  },
  {
    file: 'status-added.txt',
    kind: 'status-added',
    severity: 'non-breaking',
    section: 'HTTP Status Codes',
    pageText: '409Conflict',
    pointer: '/paths/~1{customer_id}/get/responses',
  },
  {
    file: 'status-removed.txt',
    kind: 'status-removed',
    severity: 'breaking',
    section: 'HTTP Status Codes',
    pageText: 'HTTP Status Codes',
    pointer: '/paths/~1{customer_id}/get/responses/404',
  },
  {
    file: 'base-url-changed.txt',
    kind: 'base-url-changed',
    severity: 'breaking',
    section: 'Base URL',
    pageText: 'https://integrations.api.exotel.com/v2/integrations',
    pointer: '/servers/0/url',
  },
  {
    file: 'operation-added.txt',
    kind: 'operation-added',
    severity: 'non-breaking',
    section: 'Update Customer',
    pageText: 'PATCH /{customer_id}',
    pointer: '/paths/~1{customer_id}/patch',
  },
  {
    file: 'operation-removed.txt',
    kind: 'operation-removed',
    severity: 'breaking',
    section: null,
    pageText: null,
    pointer: '/paths/~1{customer_id}~1usage/get',
  },
  {
    file: 'auth-scheme-changed.txt',
    kind: 'auth-scheme-changed',
    severity: 'breaking',
    section: 'Get Customer Details',
    pageText: 'Authorization<customer_token>',
    pointer: '/components/securitySchemes/bearerAuth/scheme',
    count: 3,
  },
];

test.describe('docs:check names each planted change on the page and in the document', () => {
  for (const change of planted) {
    test(`${change.file}: ${change.kind} (${change.severity}), exit 1`, async () => {
      const file = path.join(pages, change.file);
      const { run, report, markdown } = await docsCheck(file, change.file === 'status-removed.txt' ? 'process' : 'in-process');
      expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(1);
      // Precision: the planted change and nothing else.
      expect(
        report?.differences.map((d) => d.kind),
        'only the planted change is reported',
      ).toEqual(Array.from({ length: change.count ?? 1 }, () => change.kind));
      const first = report!.differences[0]!;
      expect(first.severity).toBe(change.severity);
      expect(first.document.pointer).toBe(change.pointer);
      if (change.pageText === null) expect(first.page, 'not on the page').toBeNull();
      else {
        expect(first.page?.section).toBe(change.section);
        expect(first.page?.line, `the page line holding ${change.pageText}`).toBe(lineOf(file, change.pageText));
      }
      expect(markdown, 'the Markdown report names the document pointer').toContain(change.pointer);
      expect(run.stdout).toContain(change.severity === 'breaking' ? 'BREAKING' : 'non-breaking');
    });
  }

  test('the HTML page with a retyped field and a status row removed: both named, with the element and source line', async () => {
    const source = path.join(pages, 'current.html');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docs-page-')), 'changed.html');
    const html = fs.readFileSync(source, 'utf8');
    fs.writeFileSync(
      file,
      html.replace('"apps_count": 3,', '"apps_count": "3",').replace("<tr><td>404</td><td>Not Found — Customer doesn't exist</td></tr>", ''),
    );
    const { run, report } = await docsCheck(file);
    expect(run.code, run.stderr).toBe(1);
    const retyped = report?.differences.find((d) => d.kind === 'example-property-retyped');
    expect(retyped?.page).toMatchObject({ section: 'Get Customer Details', element: 'pre', line: lineOf(file, '"apps_count": "3"') });
    const removed = report?.differences.find((d) => d.kind === 'status-removed');
    expect(removed?.document).toEqual({
      pointer: '/paths/~1{customer_id}/get/responses/404',
      also: ['/paths/~1{customer_id}/delete/responses/404', '/paths/~1{customer_id}~1usage/get/responses/404'],
    });
    expect(report?.differences).toHaveLength(2);
  });

  test('a status the document holds as x-inferred (429) is reported as now documented, not as new', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docs-page-')), 'with-429.txt');
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(pages, 'current.txt'), 'utf8').replace('500Internal Server Error', '429Too Many Requests\n500Internal Server Error'),
    );
    const { report } = await docsCheck(file);
    expect(report?.differences.map((d) => [d.kind, d.severity])).toEqual([['status-now-documented', 'non-breaking']]);
  });

  test('hostile page text stays inside code spans and cells in the Markdown report', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docs-page-')), 'hostile.txt');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(path.join(pages, 'current.txt'), 'utf8')
        .replace('"status": "active",', '"status": "active",\n"a|b``<img src=x onerror=alert(1)>\\u0007": 1,'),
    );
    const { run, markdown } = await docsCheck(file);
    expect(run.code).toBe(1);
    const row = markdown.split('\n').find((line) => line.includes('img src'));
    expect(row, 'the difference row').toBeDefined();
    // Five cells: six unescaped pipes, the page's `|` escaped.
    expect(row!.match(/(?<!\\)\|/g)).toHaveLength(6);
    expect(row).toContain('a\\|b');
    // The code span's fence is longer than the page's run of two backticks, and the control character is shown, not sent.
    expect(row).toMatch(/(^|[^`])```[^`]/);
    expect(row).toContain('\\u{7}');
    expect(markdown).not.toContain('\u0007');
  });
});

test.describe('docs:check refuses what is not the vendor page, exit 2 with one line', () => {
  const expectRefusal = (run: ProcessExit, says: RegExp) => {
    expect(run.code, `exit code; stdout: ${run.stdout}`).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines, 'one line, no stack').toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(says);
  };

  test("a web server welcome page (no operation) and another API's docs page (none of the contract's paths, another base URL)", async () => {
    expectRefusal((await docsCheck(path.join(pages, 'not-vendor.html'))).run, /not the vendor's Customer Management page: no operation/);
    expectRefusal((await docsCheck(path.join(pages, 'not-vendor.txt'))).run, /not the vendor's Customer Management page: none of its 2 operation\(s\)/);
  });

  test('an empty file, a binary file, a missing file, a directory, a non-http URL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-page-'));
    fs.writeFileSync(path.join(dir, 'empty.txt'), '');
    fs.writeFileSync(path.join(dir, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    expectRefusal((await docsCheck(path.join(dir, 'empty.txt'))).run, /is empty/);
    expectRefusal((await docsCheck(path.join(dir, 'binary.txt'))).run, /is binary/);
    expectRefusal((await docsCheck(path.join(dir, 'missing.txt'), 'process')).run, /cannot be read \(ENOENT\)/);
    expectRefusal((await docsCheck(dir)).run, /is not a file/);
    expectRefusal((await docsCheck('ftp://example.org/page')).run, /only http and https URLs/);
  });

  test('--help explains PAGE and the options; a bad option or no PAGE is one error line', async () => {
    const help = await runProcess(...tsxCommand('tools/docs-check.ts', ['--help']));
    expect(help.code).toBe(0);
    for (const text of ['npm run docs:check -- PAGE', '--openapi', '--out', 'x-inferred', 'Exit 0']) expect(help.stdout).toContain(text);
    expectRefusal(await runProcess(...tsxCommand('tools/docs-check.ts', ['--bogus'])), /Unknown option '--bogus'; see --help/);
    expectRefusal(await runProcess(...tsxCommand('tools/docs-check.ts', [])), /expected exactly one PAGE/);
  });
});
