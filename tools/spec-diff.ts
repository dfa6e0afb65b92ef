// npm run spec:diff -- OLD NEW: Optic's breaking-changes ruleset between two versions of the contract, written as spec-diff.{json,md}.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  checkOpenAPIVersion,
  denormalize,
  parseOpenAPIFromRepoWithSourcemap,
  parseOpenAPIWithSourcemap,
  validateOpenApiV3Document,
} from '@useoptic/openapi-io';
import { compareSpecs, groupDiffsByEndpoint, Severity, type FlatOpenAPIV3, type FlatOpenAPIV3_1, type RuleResult } from '@useoptic/openapi-utilities';
import { RuleRunner } from '@useoptic/rulesets-base';
import { BreakingChangesRuleset } from '@useoptic/standard-rulesets';
import { UserError } from '../config/errors';

const repoRoot = path.resolve(__dirname, '..');
const contractPath = 'openapi/customer-management.yaml';
const defaultOutDir = 'reports/spec-diff';

const usage = `usage: npm run spec:diff -- OLD NEW [--out DIR]

Compares two versions of the OpenAPI contract with Optic's breaking-changes ruleset.
OLD and NEW are each a file path, a git ref (HEAD~1, main, origin/main, a sha: the file is
${contractPath} at that ref), or REF:path (path from the repository root).
Writes DIR/spec-diff.json and DIR/spec-diff.md (DIR defaults to ${defaultOutDir}).
Exit 0: nothing breaking; 1: at least one breaking change; 2: usage or input error.`;

type OpenApiDocument = FlatOpenAPIV3.Document | FlatOpenAPIV3_1.Document;

/** Where one side of the comparison came from, as recorded in the report. */
export type SpecSource = { input: string; kind: 'file'; path: string } | { input: string; kind: 'git'; ref: string; commit: string; path: string };

export type SpecChange = {
  severity: 'breaking' | 'non-breaking';
  /** operationId when the change is inside an operation that has one, else `METHOD /path`; null outside operations. */
  operation: string | null;
  /** JSON pointer into the spec named by `spec` (Optic dereferences $refs, so pointers run through the operation). */
  location: string;
  spec: 'old' | 'new';
  /** The Optic rule that failed (breaking) or passed (non-breaking); null when no rule of the ruleset covers the change. */
  rule: string | null;
  message: string;
};

export type SpecDiffReport = {
  old: SpecSource;
  new: SpecSource;
  engine: { name: string; ruleset: string };
  summary: { breaking: number; nonBreaking: number };
  changes: SpecChange[];
};

type ParsedSpec = { source: SpecSource; jsonLike: OpenApiDocument; sourcemap: Awaited<ReturnType<typeof parseOpenAPIWithSourcemap>>['sourcemap'] };

/** Where the command-line entry point writes its lines: the console for `npm run spec:diff`, a buffer in tests. */
export interface SpecDiffOutput {
  log(line: string): void;
  error(line: string): void;
}

/**
 * The whole command in-process: the same arguments, files, lines and exit code (0, 1 or 2) as `npm run spec:diff -- ARGS`,
 * with file paths taken from the working directory. Never throws: a user's mistake is one line on `error` and 2.
 */
export async function runSpecDiff(args: readonly string[], output: SpecDiffOutput = console): Promise<number> {
  try {
    return await specDiffCommand(args, output);
  } catch (error) {
    // A user's mistake (an input that cannot be compared) is one sentence and exit 2, like a usage error.
    if (error instanceof UserError) output.error(`spec-diff: ${error.message}`);
    else output.error(`spec-diff: unexpected failure: ${oneLine(error)}`);
    return 2;
  }
}

async function specDiffCommand(args: readonly string[], output: SpecDiffOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    // node's message goes on to explain `--`; its first sentence names the problem.
    output.error(`spec-diff: ${firstLine(error).split('. ')[0]?.replace(/\.$/, '')}.\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    output.log(usage);
    return 0;
  }
  const [oldInput, newInput, ...extra] = parsed.positionals;
  if (oldInput === undefined || newInput === undefined || extra.length > 0) {
    output.error(`spec-diff: expected exactly two specs, OLD and NEW, got ${parsed.positionals.length}.\n\n${usage}`);
    return 2;
  }
  const outDir = path.resolve(parsed.values.out ?? path.join(repoRoot, defaultOutDir));

  const started = performance.now();
  const oldSpec = await loadSpec(oldInput, 'OLD');
  const newSpec = await loadSpec(newInput, 'NEW');
  const report = await diffSpecs(oldSpec, newSpec);
  const seconds = (performance.now() - started) / 1000;

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'spec-diff.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'spec-diff.md'), renderMarkdown(report));
  output.log(
    `spec-diff: ${summaryLine(report)} (${seconds.toFixed(2)} s); see ${path.relative(process.cwd(), path.join(outDir, 'spec-diff.md')) || 'spec-diff.md'}`,
  );
  return report.summary.breaking > 0 ? 1 : 0;
}

/** Resolves OLD or NEW (file, git ref, or REF:path), checks it is YAML/JSON and OpenAPI 3.x, and parses it with Optic. */
async function loadSpec(input: string, role: 'OLD' | 'NEW'): Promise<ParsedSpec> {
  const source = resolveSource(input, role);
  const label = describeSource(source);
  const text = source.kind === 'file' ? fs.readFileSync(source.path, 'utf8') : gitShow(source.commit, source.path);
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UserError(`${role} ${label} is not valid YAML or JSON: ${firstLine(error).replace(/:$/, '')}.`);
  }
  assertOpenApi3(document, `${role} ${label}`);

  let result;
  try {
    result =
      source.kind === 'file'
        ? await parseOpenAPIWithSourcemap<OpenApiDocument>(source.path)
        : // The ref is handed to Optic as the resolved sha: its resolver runs `git show` through a shell.
          await parseOpenAPIFromRepoWithSourcemap<OpenApiDocument>(source.path, gitTopLevel(), source.commit);
  } catch (error) {
    throw new UserError(`${role} ${label} could not be read as OpenAPI (a $ref may not resolve): ${oneLine(error)}`);
  }
  const version = checkOpenAPIVersion(result.jsonLike);
  if (version === '2.x.x') throw new UserError(`${role} ${label} is not an OpenAPI 3.x document.`);
  try {
    validateOpenApiV3Document(result.jsonLike, result.sourcemap, { strictOpenAPI: true });
  } catch (error) {
    // Optic's message is the first failing rule, then a code frame of the document: keep the rule.
    throw new UserError(`${role} ${label} is not a valid OpenAPI ${version} document: ${firstLine(error).replace(/^invalid openapi: /, '')}.`);
  }
  // As `optic diff` does: path-level parameters are pushed into each operation so that rules see them per operation.
  const denormalized = denormalize(result, version);
  return { source, jsonLike: denormalized.jsonLike, sourcemap: denormalized.sourcemap };
}

function resolveSource(input: string, role: 'OLD' | 'NEW'): SpecSource {
  if (fs.existsSync(input)) {
    if (!fs.statSync(input).isFile()) throw new UserError(`${role} ${input} is a directory, not a spec file.`);
    return { input, kind: 'file', path: path.resolve(input) };
  }
  const separator = input.indexOf(':');
  const looksLikeFile = /\.(ya?ml|json)$/i.test(input);
  if (looksLikeFile && separator === -1) throw new UserError(`${role} file not found: ${input}`);
  const ref = separator === -1 ? input : input.slice(0, separator);
  const specPath = separator === -1 ? contractPath : input.slice(separator + 1).replace(/^\/+/, '');
  if (ref === '' || specPath === '') throw new UserError(`${role} ${input} is neither a file nor REF:path.`);
  // Optic's git resolver quotes the path into a shell command, so refuse anything a shell would interpret.
  if (/["`$\\]/.test(specPath)) throw new UserError(`${role} path ${specPath} contains a character (" \` $ \\) that spec:diff does not accept.`);
  const commit = resolveGitRef(ref, role);
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}:${specPath}`], { cwd: gitTopLevel(), stdio: 'ignore' });
  } catch {
    throw new UserError(`${role} ${specPath} does not exist at git ref ${ref}.`);
  }
  return { input, kind: 'git', ref, commit, path: specPath };
}

function resolveGitRef(ref: string, role: 'OLD' | 'NEW'): string {
  gitTopLevel();
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw new UserError(`${role} ${ref} is neither a file nor a git ref of this repository.`);
  }
}

let topLevel: string | undefined;
function gitTopLevel(): string {
  if (topLevel === undefined) {
    try {
      topLevel = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      throw new UserError(`git refs need ${repoRoot} to be a git repository with git on PATH.`);
    }
  }
  return topLevel;
}

function gitShow(commit: string, specPath: string): string {
  return execFileSync('git', ['show', `${commit}:${specPath}`], { cwd: gitTopLevel(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function assertOpenApi3(document: unknown, label: string): void {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new UserError(`${label} is not an OpenAPI 3.x document: it is not a YAML/JSON object.`);
  }
  const { openapi, swagger } = document as { openapi?: unknown; swagger?: unknown };
  if (swagger !== undefined) throw new UserError(`${label} is a Swagger ${JSON.stringify(swagger)} document; spec:diff compares OpenAPI 3.x documents.`);
  if (typeof openapi !== 'string' || !/^3\.[01]\.\d+$/.test(openapi)) {
    throw new UserError(
      `${label} is not an OpenAPI 3.x document: its \`openapi\` field is ${openapi === undefined ? 'missing' : JSON.stringify(openapi)}, expected 3.0.x or 3.1.x.`,
    );
  }
}

/** Runs Optic's comparison and classifies every change: a failed breaking-changes rule is breaking, everything else Optic diffed is not. */
async function diffSpecs(oldSpec: ParsedSpec, newSpec: ParsedSpec): Promise<SpecDiffReport> {
  const runner = new RuleRunner([new BreakingChangesRuleset()]);
  const results = await compareSpecs(
    { jsonLike: oldSpec.jsonLike, sourcemap: oldSpec.sourcemap, isEmptySpec: false },
    { jsonLike: newSpec.jsonLike, sourcemap: newSpec.sourcemap, isEmptySpec: false },
    runner,
    {},
  );
  const specs = { old: oldSpec.jsonLike, new: newSpec.jsonLike };
  const failed = (rule: RuleResult) => !rule.passed && !rule.exempted && rule.severity === Severity.Error;

  const breakingRules = results.results.filter(failed);
  const breaking = breakingRules
    // Removing a response or an operation also fails the rules for everything inside it; the removal itself says it all.
    .filter(
      (rule) =>
        !breakingRules.some(
          (outer) =>
            outer !== rule &&
            outer.type === 'removed' &&
            outer.location.spec === rule.location.spec &&
            rule.location.jsonPath.startsWith(`${outer.location.jsonPath}/`),
        ),
    )
    .map((rule): SpecChange => {
      const spec = rule.location.spec === 'before' ? 'old' : 'new';
      return {
        severity: 'breaking',
        operation: operationAt(specs[spec], rule.location.jsonPath),
        location: rule.location.jsonPath,
        spec,
        rule: rule.name,
        message: rule.error ?? rule.where,
      };
    });

  const nonBreaking: SpecChange[] = [];
  const grouped = groupDiffsByEndpoint({ from: oldSpec.jsonLike, to: newSpec.jsonLike }, results.diffs, results.results);
  for (const group of changeGroups(grouped)) {
    if (group.rules.some(failed)) continue;
    const passedRules = [...new Set(group.rules.filter((rule) => rule.passed || rule.exempted || rule.severity !== Severity.Error).map((rule) => rule.name))];
    for (const diff of group.diffs) {
      const spec = diff.after !== undefined ? 'new' : 'old';
      const location = diff.after ?? diff.before;
      // $refs are dereferenced, so a changed component also shows up under every operation that uses it; only unused ones would be left here.
      if (group.unmatched && /^\/components\/(schemas|responses|parameters|examples|requestBodies|headers|links|callbacks|pathItems)\//.test(location))
        continue;
      nonBreaking.push({
        severity: 'non-breaking',
        operation: operationAt(specs[spec], location),
        location,
        spec,
        rule: passedRules.length > 0 ? passedRules.join(', ') : null,
        message: `${group.where}${diff.trail ? ` ${diff.trail.replace(/^\//, '')}` : ''}: ${diff.change}`,
      });
    }
  }

  return {
    old: reportedSource(oldSpec.source),
    new: reportedSource(newSpec.source),
    engine: { name: 'Optic (@useoptic/openapi-utilities compareSpecs)', ruleset: 'breaking-changes' },
    summary: { breaking: breaking.length, nonBreaking: nonBreaking.length },
    changes: [...breaking, ...nonBreaking],
  };
}

type GroupedDiffs = ReturnType<typeof groupDiffsByEndpoint>;
type ChangeGroup = { diffs: GroupedDiffs['unmatched']['diffs']; rules: RuleResult[]; where: string; unmatched: boolean };

/** Flattens Optic's per-endpoint grouping into the units its rules judge: a parameter, a body field, a response, an operation. */
function* changeGroups(grouped: GroupedDiffs): Generator<ChangeGroup> {
  yield { ...grouped.specification, where: 'document', unmatched: false };
  yield { ...grouped.unmatched, where: 'document', unmatched: true };
  for (const endpoint of Object.values(grouped.endpoints)) {
    const operation = `${endpoint.method.toUpperCase()} ${endpoint.path}`;
    yield { diffs: endpoint.diffs, rules: endpoint.rules, where: operation, unmatched: false };
    const parameters = { query: endpoint.queryParameters, path: endpoint.pathParameters, header: endpoint.headerParameters, cookie: endpoint.cookieParameters };
    for (const [kind, byName] of Object.entries(parameters)) {
      for (const [name, group] of Object.entries(byName)) yield { ...group, where: `${operation} ${kind} parameter ${name}`, unmatched: false };
    }
    yield { diffs: endpoint.request.diffs, rules: endpoint.request.rules, where: `${operation} request`, unmatched: false };
    yield* bodyGroups(endpoint.request.contents, `${operation} request body`);
    for (const [status, response] of Object.entries(endpoint.responses)) {
      yield { diffs: response.diffs, rules: response.rules, where: `${operation} response ${status}`, unmatched: false };
      for (const [name, group] of Object.entries(response.headers))
        yield { ...group, where: `${operation} response ${status} header ${name}`, unmatched: false };
      yield* bodyGroups(response.contents, `${operation} response ${status} body`);
    }
  }
}

function* bodyGroups(contents: GroupedDiffs['endpoints'][string]['request']['contents'], where: string): Generator<ChangeGroup> {
  for (const [contentType, body] of Object.entries(contents)) {
    yield { ...body.examples, where: `${where} ${contentType} examples`, unmatched: false };
    for (const [field, group] of Object.entries(body.fields))
      yield { ...group, where: `${where} ${contentType} property ${propertyName(field)}`, unmatched: false };
  }
}

/** `/schema/properties/data/properties/region` → `data.region`, as a reader of the API would name the property. */
function propertyName(fieldPointer: string): string {
  const segments = fieldPointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const names: string[] = [];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (segment === 'schema' && index === 0) continue;
    if (segment === 'properties' && index + 1 < segments.length) names.push(segments[++index] ?? '');
    else if (segment === 'items') names.push('[]');
    else names.push(segment ?? '');
  }
  return names.join('.').replace(/\.\[\]/g, '[]') || '(body)';
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The operation a pointer falls in: its operationId, or `METHOD /path`; null for pointers outside /paths/{path}/{method}. */
function operationAt(spec: OpenApiDocument, pointer: string): string | null {
  const [, root, rawPath, method] = pointer.split('/');
  if (root !== 'paths' || rawPath === undefined || method === undefined || !httpMethods.has(method)) return null;
  const apiPath = rawPath.replace(/~1/g, '/').replace(/~0/g, '~');
  const pathItem = spec.paths?.[apiPath] as Record<string, { operationId?: string } | undefined> | undefined;
  return pathItem?.[method]?.operationId ?? `${method.toUpperCase()} ${apiPath}`;
}

/** File paths are recorded relative to the working directory, so reports do not carry the machine's layout. */
function reportedSource(source: SpecSource): SpecSource {
  return source.kind === 'file' ? { ...source, path: path.relative(process.cwd(), source.path) || source.path } : source;
}

function describeSource(source: SpecSource): string {
  return source.kind === 'file' ? path.relative(process.cwd(), source.path) || source.path : `${source.ref}:${source.path}`;
}

function summaryLine(report: SpecDiffReport): string {
  return `${report.summary.breaking} breaking, ${report.summary.nonBreaking} non-breaking changes between ${describeSource(report.old)} and ${describeSource(report.new)}`;
}

function renderMarkdown(report: SpecDiffReport): string {
  const lines = ['## OpenAPI contract diff', '', `**${summaryLine(report)}**`, ''];
  if (report.changes.length > 0) {
    lines.push('| Severity | Operation | Change | Location | Optic rule |', '| --- | --- | --- | --- | --- |');
    for (const change of report.changes) {
      const severity = change.severity === 'breaking' ? ':x: breaking' : 'non-breaking';
      const location = `${change.spec === 'old' ? 'OLD' : 'NEW'} \`${change.location}\``;
      lines.push(
        `| ${severity} | ${change.operation ? `\`${change.operation}\`` : '—'} | ${markdownCell(change.message)} | ${markdownCell(location)} | ${change.rule ? markdownCell(change.rule) : '—'} |`,
      );
    }
    lines.push('');
  }
  lines.push(`Engine: ${report.engine.name}, ruleset \`${report.engine.ruleset}\`.`, '');
  return lines.join('\n');
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').trim();
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

// Run as a command (npm run spec:diff); imported (tests, other tools), it only exports runSpecDiff.
if (require.main === module) {
  void runSpecDiff(process.argv.slice(2)).then((code) => process.exit(code));
}
