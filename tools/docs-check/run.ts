// npm run docs:check -- PAGE: the vendor's docs page against the contract's documented parts, written as docs-check.{json,md}.
// The command itself (tools/docs-check.ts) only wires runDocsCheck to the process; the self-tests call it in-process too.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../../config/errors';
import { contractDocumentPath } from '../../config/settings';
import { readOpenApiDocument } from '../../contract';
import { compareWithDocument, type Difference } from './compare';
import { extractFacts, type PageFacts, type PageLocation } from './extract';
import { cell, codeSpan } from './markdown';
import { readPage, type Page } from './read-page';

const repoRoot = path.resolve(__dirname, '..', '..');

const usage = `usage: npm run docs:check -- PAGE [--openapi FILE] [--out DIR]

Reads the vendor's Customer Management docs page and compares what it states (base URL, operations,
headers and auth scheme, query parameters, example requests, example responses, the status table)
with the documented parts of the OpenAPI contract; the parts marked x-inferred are the project's own
and are not expected on the page.
PAGE is the page's http(s) URL, an HTML file (as the docs site serves it) or a text file.
  --openapi FILE  the contract to compare with (default: CONTRACT_OPENAPI, else openapi/customer-management.yaml)
  --out DIR       where docs-check.json and docs-check.md go (default: reports/)
Exit 0: the page and the contract agree; 1: at least one difference; 2: usage or input error
(an unreadable page, or a page that is not the vendor's: no operations found).`;

export interface DocsCheckReport {
  page: { source: string; form: Page['form']; title?: string; operations: string[]; baseUrl?: string };
  document: string;
  generatedAt: string;
  summary: { differences: number; breaking: number; nonBreaking: number };
  /** What was not compared because the page is silent on it. */
  notes: string[];
  differences: Difference[];
}

/** Where the command's lines go: the process' stdout and stderr, or a test's buffers. */
export interface DocsCheckOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `npm run docs:check -- ARGS` without the process around it: writes the reports, prints what the command prints and
 * resolves with its exit code (0 agree, 1 differences, 2 usage or input error, printed as one `error: …` line).
 */
export async function runDocsCheck(args: string[], env: NodeJS.ProcessEnv, output: DocsCheckOutput): Promise<number> {
  try {
    return await check(args, env, output);
  } catch (error) {
    if (error instanceof UserError) output.err(`error: ${error.message}`);
    else output.err(`error: docs-check failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

async function check(args: string[], env: NodeJS.ProcessEnv, output: DocsCheckOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, openapi: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UserError(`${(error instanceof Error ? error.message : String(error)).split('. ')[0]?.replace(/\.$/, '')}; see --help.`);
  }
  if (parsed.values.help) {
    output.out(usage);
    return 0;
  }
  const [pageInput, ...extra] = parsed.positionals;
  if (pageInput === undefined || extra.length > 0)
    throw new UserError(`expected exactly one PAGE (a URL, an HTML file or a text file), got ${parsed.positionals.length}; see --help.`);
  if (parsed.values.out === '') throw new UserError('--out is empty: give a folder, or leave it out for reports/.');
  const documentFile = parsed.values.openapi ?? contractDocumentPath(env);
  const outDir = path.resolve(parsed.values.out ?? path.join(repoRoot, 'reports'));

  const page = await readPage(pageInput);
  const facts = extractFacts(page.lines);
  const document = readOpenApiDocument(path.resolve(documentFile));
  assertVendorPage(page, facts, document);
  const differences = compareWithDocument(facts, document);
  const report: DocsCheckReport = {
    page: {
      source: redactUrl(page.source),
      form: page.form,
      ...(facts.title ? { title: facts.title } : {}),
      operations: facts.operations.map((o) => `${o.method} ${o.path}`),
      ...(facts.baseUrl ? { baseUrl: facts.baseUrl.url } : {}),
    },
    document: path.relative(process.cwd(), path.resolve(documentFile)) || documentFile,
    generatedAt: new Date().toISOString(),
    summary: {
      differences: differences.length,
      breaking: differences.filter((d) => d.severity === 'breaking').length,
      nonBreaking: differences.filter((d) => d.severity === 'non-breaking').length,
    },
    notes: notes(facts),
    differences,
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'docs-check.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'docs-check.md'), renderMarkdown(report));
  const where = path.relative(process.cwd(), path.join(outDir, 'docs-check.md')) || 'docs-check.md';
  if (differences.length === 0) {
    output.out(`docs-check: the page and the contract agree (${facts.operations.length} operations compared); see ${where}`);
    return 0;
  }
  output.out(`docs-check: ${summaryLine(report)}; see ${where}`);
  for (const difference of differences) output.out(`  ${difference.severity === 'breaking' ? 'BREAKING' : 'non-breaking'} ${terminalSafe(difference.message)}`);
  return 1;
}

/** A page with no operation, or none of the contract's and another base URL, is not the vendor's page: say so rather than diff it. */
function assertVendorPage(page: Page, facts: PageFacts, document: ReturnType<typeof readOpenApiDocument>): void {
  const source = redactUrl(page.source);
  if (facts.operations.length === 0) {
    throw new UserError(`PAGE ${source} is not the vendor's Customer Management page: no operation (a line like "GET /{customer_id}") was found on it.`);
  }
  const documentPaths = Object.keys(document.paths ?? {}).map((p) => p.replace(/\{[^}]*\}/g, '{}'));
  const shared = facts.operations.some((o) => documentPaths.includes(o.path.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '') || '/'));
  const host = (url: string | undefined) => (url ? /^https?:\/\/([^/]+)/i.exec(url)?.[1]?.toLowerCase() : undefined);
  const documentHost = host(document.servers?.[0]?.url.replace(/\{([^}]+)\}/g, (w, n: string) => document.servers?.[0]?.variables?.[n]?.default ?? w));
  if (!shared && host(facts.baseUrl?.url) !== documentHost) {
    throw new UserError(
      `PAGE ${source} is not the vendor's Customer Management page: none of its ${facts.operations.length} operation(s) is a path of the contract and its base URL is ${facts.baseUrl?.url ?? 'not stated'}.`,
    );
  }
}

function notes(facts: PageFacts): string[] {
  const out: string[] = [];
  if (!facts.baseUrl) out.push('The page states no base URL: the base URL was not compared.');
  if (facts.statuses.length === 0 && facts.operations.every((o) => o.statuses.length === 0))
    out.push('The page has no status table: statuses were not compared.');
  for (const operation of facts.operations) {
    if (operation.examples.length === 0) out.push(`${operation.method} ${operation.path} shows no example response: its body was not compared.`);
  }
  return out;
}

/** A URL as reports may carry it: no user info, no query (a docs URL may hold a preview token). */
function redactUrl(source: string): string {
  try {
    const url = new URL(source);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return source;
    return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return source;
  }
}

function summaryLine(report: DocsCheckReport): string {
  return `${report.summary.differences} difference(s) between the page and the contract: ${report.summary.breaking} breaking, ${report.summary.nonBreaking} non-breaking`;
}

function pageWhere(at: PageLocation | null): string {
  if (!at) return 'not on the page';
  return `${codeSpan(at.section)}, line ${at.line}${at.element ? ` (${codeSpan(at.element)})` : ''}`;
}

function renderMarkdown(report: DocsCheckReport): string {
  const lines = ['## Vendor docs page vs contract', '', `Page ${codeSpan(report.page.source)} (${report.page.form}) against ${codeSpan(report.document)}.`, ''];
  lines.push(report.differences.length === 0 ? '**The page and the contract agree.**' : `**${summaryLine(report)}**`, '');
  if (report.differences.length > 0) {
    lines.push('| Severity | Operation | Difference | On the page | In the document |', '| --- | --- | --- | --- | --- |');
    for (const d of report.differences) {
      const document = [d.document.pointer, ...(d.document.also ?? [])].map(codeSpan).join(', ');
      lines.push(
        `| ${d.severity === 'breaking' ? 'breaking' : 'non-breaking'} | ${d.operation ? cell(codeSpan(d.operation)) : '—'} | ${cell(codeSpan(d.message))} | ${cell(pageWhere(d.page))} | ${cell(document)} |`,
      );
    }
    lines.push('');
  }
  if (report.notes.length > 0) lines.push('Not compared:', '', ...report.notes.map((n) => `- ${codeSpan(n)}`), '');
  return lines.join('\n');
}

/** Page text on the terminal: control characters shown, never interpreted. */
function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
