// npm run spec:propose (or npm run drift -- --propose): a run's drift findings turned into a proposed contract, never the real one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Document, isMap, isScalar, parseDocument, visit, type YAMLMap } from 'yaml';
import { UserError } from '../config/errors';
import { contractDocumentPath } from '../config/settings';
import { codeSpan, cell } from './docs-check/markdown';

const repoRoot = path.resolve(__dirname, '..');

const usage = `usage: npm run spec:propose [-- --from DRIFT_JSON] [--openapi FILE] [--out DIR]
       npm run drift -- --propose [<playwright test options>]

Turns the findings of a drift run into a proposed OpenAPI document, never touching the real one:
  - an undocumented property becomes an optional property with the JSON type (and format, when every
    observed value has one) that was observed;
  - an undocumented status becomes a response (the error envelope for a 4xx/5xx: drift.json keeps no body);
  - each addition is marked x-observed with the date, the operation, the status and how many responses showed it.
Breaking findings (a retyped or missing field) are proposals the owner must decide: they are listed, not
applied; DIR/decisions/ holds a document with them applied, only so that spec:diff can show they are breaking.
  --from FILE     the drift.json to read (default: CONTRACT_REPORTS_DIR or reports/, drift.json)
  --openapi FILE  the document to start from (default: CONTRACT_OPENAPI, else openapi/customer-management.yaml)
  --out DIR       where the proposal goes (default: reports/proposed/)
Writes DIR/customer-management.yaml, DIR/customer-management.yaml.diff (unified), DIR/proposal.{json,md}
and DIR/spec-diff.{json,md} (npm run spec:diff on the pair).
Exit 0: a proposal was written (or nothing to propose); 2: usage or input error.`;

type Json = Record<string, unknown>;

/** The part of a drift.json finding a proposal reads (reporters/verdict-reports.ts writes it). */
interface DriftFinding {
  operation: string;
  status: number;
  pointer: string;
  kind: string;
  severity: string;
  expected: unknown;
  observed: unknown;
  observedType: string;
  observedValues?: unknown[];
  count?: number;
  message: string;
}

interface DriftReport {
  target: string;
  generatedAt: string;
  findings: DriftFinding[];
}

/** One change the proposal makes, or asks the owner to decide. */
export interface Proposal {
  kind: 'add-property' | 'add-response' | 'retype-property' | 'make-optional' | 'decide';
  applied: boolean;
  operation: string;
  status: number;
  /** The drift finding's pointer into the body. */
  finding: string;
  /** JSON pointer into the document: where the change goes. */
  pointer: string;
  /** What would be written there. */
  schema?: Json;
  message: string;
}

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: { from: { type: 'string' }, openapi: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UserError(`${(error instanceof Error ? error.message : String(error)).split('. ')[0]?.replace(/\.$/, '')}; see --help.`);
  }
  if (parsed.values.help) {
    console.log(usage);
    return 0;
  }
  for (const name of ['from', 'openapi', 'out'] as const) {
    if (parsed.values[name] !== undefined && parsed.values[name].trim() === '') throw new UserError(`--${name} is empty: give a path, or leave it out.`);
  }
  const reportsDir = path.resolve(repoRoot, process.env.CONTRACT_REPORTS_DIR || 'reports');
  const driftFile = path.resolve(parsed.values.from ?? path.join(reportsDir, 'drift.json'));
  const documentFile = path.resolve(parsed.values.openapi ?? contractDocumentPath(process.env));
  const outDir = path.resolve(parsed.values.out ?? path.join(reportsDir, 'proposed'));
  if (path.resolve(outDir, 'customer-management.yaml') === documentFile || path.resolve(outDir, 'decisions', 'customer-management.yaml') === documentFile) {
    throw new UserError(`--out ${outDir} would overwrite the document it starts from: give another folder.`);
  }

  const drift = readDrift(driftFile);
  const originalText = fs.readFileSync(documentFile, 'utf8');
  const document = parseDocument(originalText);
  if (document.errors.length > 0) throw new UserError(`${documentFile} is not valid YAML: ${document.errors[0]?.message.split('\n')[0] ?? ''}`);
  const spec = document.toJS() as Json;

  const date = /^\d{4}-\d{2}-\d{2}/.exec(drift.generatedAt)?.[0] ?? new Date().toISOString().slice(0, 10);
  const proposals = planProposals(spec, drift, date);
  const applied = proposals.filter((p) => p.applied);
  const decisions = proposals.filter((p) => !p.applied);

  fs.mkdirSync(outDir, { recursive: true });
  const proposedFile = path.join(outDir, 'customer-management.yaml');
  const proposedText = insertAdditions(originalText, document, applied);
  fs.writeFileSync(proposedFile, proposedText);
  fs.writeFileSync(`${proposedFile}.diff`, unifiedDiff(documentFile, proposedFile));
  const specDiff = runSpecDiff(documentFile, proposedFile, outDir);

  let decisionsDiff: number | undefined;
  const decidable = decisions.filter((p) => p.kind === 'retype-property' || p.kind === 'make-optional');
  const decisionsDir = path.join(outDir, 'decisions');
  fs.rmSync(decisionsDir, { recursive: true, force: true });
  if (decidable.length > 0) {
    fs.mkdirSync(decisionsDir, { recursive: true });
    const decisionsFile = path.join(decisionsDir, 'customer-management.yaml');
    fs.writeFileSync(decisionsFile, applyDecisions(proposedText, decidable));
    fs.writeFileSync(`${decisionsFile}.diff`, unifiedDiff(documentFile, decisionsFile));
    decisionsDiff = runSpecDiff(documentFile, decisionsFile, decisionsDir);
  }

  const report = {
    from: path.relative(process.cwd(), driftFile) || driftFile,
    document: path.relative(process.cwd(), documentFile) || documentFile,
    proposed: path.relative(process.cwd(), proposedFile) || proposedFile,
    target: drift.target,
    date,
    specDiff: specDiff === 0 ? 'non-breaking' : specDiff === 1 ? 'breaking' : 'failed',
    ...(decisionsDiff !== undefined ? { decisionsSpecDiff: decisionsDiff === 0 ? 'non-breaking' : decisionsDiff === 1 ? 'breaking' : 'failed' } : {}),
    applied,
    decisions,
  };
  fs.writeFileSync(path.join(outDir, 'proposal.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'proposal.md'), renderMarkdown(report));
  const where = path.relative(process.cwd(), path.join(outDir, 'proposal.md')) || 'proposal.md';
  console.log(
    `propose: ${applied.length} addition(s) applied to ${path.relative(process.cwd(), proposedFile)} (spec:diff: ${report.specDiff}); ${decisions.length} proposal(s) for the owner to decide; see ${where}`,
  );
  if (specDiff === 2 || decisionsDiff === 2) {
    console.error('propose: spec:diff could not compare the proposal (see above)');
    return 2;
  }
  return 0;
}

function readDrift(file: string): DriftReport {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `${file} does not exist: run \`npm run drift\` first, or give a saved drift.json with --from.`
        : `${file} is not a readable drift.json (${code ?? 'not JSON'}).`,
    );
  }
  const report = raw as { findings?: unknown; generatedAt?: unknown; target?: unknown } | null;
  if (typeof report !== 'object' || report === null || !Array.isArray(report.findings) || typeof report.generatedAt !== 'string') {
    throw new UserError(`${file} is not a drift.json written by \`npm run drift\` (no findings list or generatedAt).`);
  }
  const findings = (report.findings as unknown[]).filter((f): f is DriftFinding => {
    const finding = f as Partial<Record<keyof DriftFinding, unknown>> | null;
    return (
      typeof finding === 'object' &&
      finding !== null &&
      typeof finding.operation === 'string' &&
      typeof finding.status === 'number' &&
      typeof finding.pointer === 'string' &&
      typeof finding.kind === 'string'
    );
  });
  if (findings.length !== report.findings.length) throw new UserError(`${file} holds findings without operation, status, pointer or kind: not a drift.json.`);
  return { target: typeof report.target === 'string' ? report.target : 'unknown', generatedAt: report.generatedAt, findings };
}

const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointerOf(pathSegments: readonly (string | number)[]): string {
  return pathSegments.map((s) => `/${escapePointer(String(s))}`).join('');
}

function getAt(spec: unknown, segments: readonly (string | number)[]): unknown {
  let node = spec;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

/** Follows a schema's `$ref` to its own place in the document. */
function derefPath(spec: Json, segments: (string | number)[]): (string | number)[] {
  let at = segments;
  for (let hops = 0; hops < 16; hops++) {
    const node = getAt(spec, at) as Json | undefined;
    const ref = node?.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return at;
    at = ref.slice(2).split('/').map(unescapePointer);
  }
  return at;
}

function findOperation(spec: Json, operationId: string): (string | number)[] | undefined {
  for (const [apiPath, item] of Object.entries((spec.paths ?? {}) as Record<string, Json>)) {
    for (const method of httpMethods) {
      if ((item[method] as Json | undefined)?.operationId === operationId) return ['paths', apiPath, method];
    }
  }
  return undefined;
}

/** The document path of the schema a body pointer falls in (through $refs, properties and items), or undefined. */
function schemaPathFor(spec: Json, responseSchema: (string | number)[], bodyPointer: string[]): (string | number)[] | undefined {
  let at = derefPath(spec, responseSchema);
  for (const segment of bodyPointer) {
    const node = getAt(spec, at) as Json | undefined;
    if (!node) return undefined;
    const properties = node.properties as Json | undefined;
    if (properties && Object.prototype.hasOwnProperty.call(properties, segment)) at = derefPath(spec, [...at, 'properties', segment]);
    else if (node.items && /^\d+$/.test(segment)) at = derefPath(spec, [...at, 'items']);
    else return undefined;
  }
  return at;
}

const candidateFormats = ['date-time', 'date', 'uuid', 'email', 'uri'];
let formatAjv: Ajv2020 | undefined;

/** The JSON Schema of what was observed: its JSON type, and a format when every value has it. */
export function observedSchema(values: readonly unknown[]): Json {
  const types = [...new Set(values.map(jsonType))];
  if (types.length !== 1) return { type: types };
  const type = types[0]!;
  if (type === 'string') {
    formatAjv ??= (() => {
      const ajv = new Ajv2020({ strict: true });
      addFormats(ajv);
      return ajv;
    })();
    const ajv = formatAjv;
    const format = candidateFormats.find((f) => values.every((v) => ajv.validate({ type: 'string', format: f }, v)));
    return format ? { type, format } : { type };
  }
  if (type === 'object') {
    const properties: Json = {};
    const keys = [...new Set(values.flatMap((v) => Object.keys(v as Json)))];
    for (const key of keys) properties[key] = observedSchema(values.filter((v) => key in (v as Json)).map((v) => (v as Json)[key]));
    return { type, properties };
  }
  if (type === 'array') {
    const items = values.flatMap((v) => v as unknown[]);
    return items.length > 0 ? { type, items: observedSchema(items) } : { type };
  }
  return { type };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** A property name a proposal may write: from a hostile target, so plain text only. */
function acceptableName(name: string): boolean {
  return name.length > 0 && name.length <= 200 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name);
}

/** Decides what each finding becomes: an applied addition, or a proposal the owner must decide. */
function planProposals(spec: Json, drift: DriftReport, date: string): Proposal[] {
  const proposals: Proposal[] = [];
  const marker = (finding: DriftFinding) => ({
    date,
    operation: finding.operation,
    status: finding.status,
    responses: finding.count ?? 1,
    source: `npm run drift against ${drift.target === 'remote' ? 'the real target' : drift.target === 'simulator' ? 'the simulator' : drift.target}`,
  });
  const byPlace = new Map<string, Proposal>();
  for (const finding of drift.findings) {
    const operationPath = findOperation(spec, finding.operation);
    const decide = (message: string, kind: Proposal['kind'] = 'decide', pointer = operationPath ? pointerOf(operationPath) : '', schema?: Json) =>
      proposals.push({
        kind,
        applied: false,
        operation: finding.operation,
        status: finding.status,
        finding: finding.pointer,
        pointer,
        ...(schema ? { schema } : {}),
        message,
      });
    if (!operationPath) {
      decide(`${finding.message}: the document has no operation ${finding.operation}`);
      continue;
    }
    const responses = [...operationPath, 'responses'];
    if (finding.kind === 'undocumented-status-code') {
      const key = pointerOf([...responses, String(finding.status)]);
      if (byPlace.has(key) || finding.status < 100 || finding.status > 599) continue;
      if (finding.status < 400) {
        decide(`${finding.operation} answered an undocumented ${finding.status}: drift.json keeps no body to derive its schema from; document it by hand`);
        continue;
      }
      const hasEnvelope = getAt(spec, ['components', 'schemas', 'ErrorResponse']) !== undefined;
      const response: Json = {
        description: `Observed: the target answered ${finding.status}, which the vendor's page does not document.`,
        'x-observed': { ...marker(finding), body: 'not kept by drift.json; the error envelope is assumed' },
        ...(hasEnvelope ? { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } } : {}),
      };
      const proposal: Proposal = {
        kind: 'add-response',
        applied: true,
        operation: finding.operation,
        status: finding.status,
        finding: '',
        pointer: key,
        schema: response,
        message: `${finding.operation} answered ${finding.status} (${finding.count ?? 1} response(s)): added as a response`,
      };
      byPlace.set(key, proposal);
      proposals.push(proposal);
      continue;
    }
    const responsePath = derefPath(spec, [...responses, String(finding.status)]);
    const schemaRoot = [...responsePath, 'content', 'application/json', 'schema'];
    if (getAt(spec, schemaRoot) === undefined) {
      decide(`${finding.message}: the document has no JSON schema for ${finding.operation} ${finding.status}`);
      continue;
    }
    const segments = finding.pointer.split('/').slice(1).map(unescapePointer);
    const name = segments.at(-1) ?? '';
    if (finding.kind === 'undocumented-property' && finding.severity === 'non-breaking') {
      const parent = schemaPathFor(spec, schemaRoot, segments.slice(0, -1));
      if (!parent || !acceptableName(name)) {
        decide(`${finding.message}: could not place it in the document (a name of control characters, or a parent the document does not describe)`);
        continue;
      }
      const key = pointerOf([...parent, 'properties', name]);
      const values = finding.observedValues ?? [finding.observed];
      const existing = byPlace.get(key);
      if (existing?.schema) {
        const observed = existing.schema['x-observed'] as Json;
        observed.responses = Number(observed.responses) + (finding.count ?? 1);
        continue;
      }
      const schema: Json = { ...observedSchema(values), 'x-observed': marker(finding) };
      const proposal: Proposal = {
        kind: 'add-property',
        applied: true,
        operation: finding.operation,
        status: finding.status,
        finding: finding.pointer,
        pointer: key,
        schema,
        message: `${finding.pointer} (${String(schema.type)}${typeof schema.format === 'string' ? `, ${schema.format}` : ''}) in ${finding.operation} ${finding.status}: added as an optional property`,
      };
      byPlace.set(key, proposal);
      proposals.push(proposal);
      continue;
    }
    const place = schemaPathFor(spec, schemaRoot, segments.slice(0, -1));
    const propertyPath = place ? [...place, 'properties', name] : undefined;
    if (finding.kind === 'type-mismatch' && propertyPath && getAt(spec, propertyPath) !== undefined) {
      const values = finding.observedValues ?? [finding.observed];
      const schema = { ...observedSchema(values), 'x-observed': { ...marker(finding), decision: 'breaking: retyped by the target' } };
      decide(
        `${finding.pointer} in ${finding.operation} ${finding.status} is ${finding.observedType}, the document says ${String(finding.expected)}: retype it only if the vendor confirms (breaking for clients)`,
        'retype-property',
        pointerOf(propertyPath),
        schema,
      );
      continue;
    }
    if (finding.kind === 'missing-required-property' && place) {
      decide(
        `${finding.pointer} in ${finding.operation} ${finding.status} was missing, the document requires it: make it optional only if the vendor confirms (breaking for clients)`,
        'make-optional',
        pointerOf([...place, 'required']),
        { remove: name },
      );
      continue;
    }
    decide(`${finding.message}: not something a proposal can write; decide by hand`);
  }
  return proposals;
}

/**
 * Writes each addition into the original text at the end of the YAML map it belongs to, found through the yaml
 * Document's node ranges: every other byte, comment and key order stays as it was.
 */
function insertAdditions(text: string, document: Document, additions: readonly Proposal[]): string {
  const inserts: { offset: number; text: string }[] = [];
  const byMap = new Map<string, { mapPath: string[]; entries: [string, Json][] }>();
  for (const addition of additions) {
    const segments = addition.pointer.split('/').slice(1).map(unescapePointer);
    const key = segments.pop()!;
    const mapKey = JSON.stringify(segments);
    const group = byMap.get(mapKey) ?? { mapPath: segments, entries: [] };
    group.entries.push([key, addition.schema ?? {}]);
    byMap.set(mapKey, group);
  }
  for (const { mapPath, entries } of byMap.values()) {
    // The innermost existing map on the way: a missing `properties` is written with the first entry.
    let existing = mapPath.length;
    while (existing > 0 && !isMap(document.getIn(mapPath.slice(0, existing), true))) existing--;
    const map = document.getIn(mapPath.slice(0, existing), true) as YAMLMap | undefined;
    if (!map || !isMap(map) || !map.range) throw new Error(`cannot place additions at ${pointerOf(mapPath)}`);
    let value: Json = Object.fromEntries(entries);
    for (const missing of mapPath.slice(existing).reverse()) value = { [missing]: value };
    const offset = lineEnd(text, map.range[1]);
    const firstKey = map.items[0]?.key as { range?: [number, number, number] } | undefined;
    const indent = firstKey?.range ? firstKey.range[0] - text.lastIndexOf('\n', firstKey.range[0] - 1) - 1 : 0;
    const yaml = yamlText(value);
    inserts.push({ offset, text: yaml.replace(/^(?=.)/gm, ' '.repeat(indent)) });
  }
  let out = text;
  for (const insert of inserts.sort((a, b) => b.offset - a.offset)) {
    const before = out.slice(0, insert.offset);
    out = `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${insert.text}${out.slice(insert.offset)}`;
  }
  return out;
}

/** YAML for new entries, dates quoted so that no YAML 1.1 reader takes them for timestamps. */
function yamlText(value: unknown): string {
  const document = new Document(value);
  visit(document, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(node.value)) node.type = 'QUOTE_SINGLE';
    },
  });
  return document.toString({ lineWidth: 0 });
}

/** The offset just after the line that holds `offset - 1` (a map's value ends there). */
function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', Math.max(0, offset - 1));
  return newline === -1 ? text.length : newline + 1;
}

/** The document with the owner's decisions applied, only for spec:diff to judge: each decided pair rewritten in place. */
function applyDecisions(text: string, decisions: readonly Proposal[]): string {
  const document = parseDocument(text);
  const edits: { from: number; to: number; text: string }[] = [];
  for (const decision of decisions) {
    const segments = decision.pointer.split('/').slice(1).map(unescapePointer);
    const key = segments.at(-1)!;
    const parent = document.getIn(segments.slice(0, -1), true);
    if (!isMap(parent)) continue;
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    const keyRange = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    const valueRange = (pair?.value as { range?: [number, number, number] } | null | undefined)?.range;
    if (!keyRange || !valueRange) continue;
    let value: unknown = decision.schema;
    if (decision.kind === 'make-optional') {
      const required = document.getIn(segments) as { toJSON(): unknown } | undefined;
      const list = required?.toJSON();
      const name = (decision.schema as { remove?: string } | undefined)?.remove;
      if (!Array.isArray(list) || !name) continue;
      value = list.filter((entry) => entry !== name);
    }
    const lineStart = text.lastIndexOf('\n', keyRange[0] - 1) + 1;
    edits.push({
      from: lineStart,
      to: lineEnd(text, valueRange[1]),
      text: yamlText({ [key]: value }).replace(/^(?=.)/gm, ' '.repeat(keyRange[0] - lineStart)),
    });
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.from - a.from)) out = `${out.slice(0, edit.from)}${edit.text}${out.slice(edit.to)}`;
  return out;
}

function unifiedDiff(from: string, to: string): string {
  const result = spawnSync('git', ['diff', '--no-index', '--no-color', '--', path.relative(repoRoot, from), path.relative(repoRoot, to)], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (result.error || (result.status !== 0 && result.status !== 1))
    throw new UserError(`git diff --no-index failed (is git on PATH?): ${result.stderr.trim()}`);
  return result.stdout;
}

/** npm run spec:diff OLD NEW --out DIR; its exit code (0 non-breaking, 1 breaking, 2 failed). */
function runSpecDiff(from: string, to: string, outDir: string): number {
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(repoRoot, 'tools', 'spec-diff.ts'), from, to, '--out', outDir], {
    cwd: process.cwd(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.status ?? 2;
}

function renderMarkdown(report: {
  from: string;
  document: string;
  proposed: string;
  specDiff: string;
  decisionsSpecDiff?: string;
  applied: Proposal[];
  decisions: Proposal[];
}): string {
  const lines = [
    '## Proposed contract changes from drift',
    '',
    `From ${codeSpan(report.from)}, starting from ${codeSpan(report.document)}: proposal in ${codeSpan(report.proposed)} (the real document is untouched).`,
    '',
    `**${report.applied.length} addition(s) applied; spec:diff calls them ${report.specDiff}.** ${report.decisions.length} proposal(s) for the owner to decide${report.decisionsSpecDiff ? `; applied together (decisions/), spec:diff calls them ${report.decisionsSpecDiff}` : ''}.`,
    '',
  ];
  const table = (title: string, proposals: Proposal[]) => {
    if (proposals.length === 0) return;
    lines.push(`### ${title}`, '', '| Operation | Status | Proposal | In the document |', '| --- | --- | --- | --- |');
    for (const p of proposals)
      lines.push(`| ${cell(codeSpan(p.operation))} | ${p.status} | ${cell(codeSpan(p.message))} | ${p.pointer ? cell(codeSpan(p.pointer)) : '—'} |`);
    lines.push('');
  };
  table('Applied (non-breaking)', report.applied);
  table('For the owner to decide (not applied)', report.decisions);
  return lines.join('\n');
}

try {
  process.exitCode = main();
} catch (error) {
  if (error instanceof UserError) console.error(`error: ${error.message}`);
  else console.error(`error: propose failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
