// Checks one HTTP response against the compiled contract and names every difference as a drift finding, with its evidence.
import type { ErrorObject } from 'ajv';
import { redactText, type Secret } from '../config/secret';
import { documented, inferred, weakest, type Evidence } from './evidence';
import { clip, terminalText } from './untrusted-text';
import type { Contract, ResponseContract } from './compile';

export type DriftKind =
  | 'undocumented-property'
  | 'missing-required-property'
  | 'type-mismatch'
  | 'format-mismatch'
  | 'enum-value'
  | 'constraint-violation'
  | 'undocumented-status-code'
  | 'content-type-mismatch'
  | 'unparsable-body';

export type DriftSeverity = 'breaking' | 'non-breaking';

/** The JSON type of an observed value; `absent` when there is none, `text` for a body that is not JSON. */
export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'absent' | 'text';

/** One way a live response differs from the contract. */
export interface DriftFinding {
  operation: string;
  status: number;
  /** JSON pointer into the body (`/data/apps_count`); empty for the whole response. */
  pointer: string;
  kind: DriftKind;
  severity: DriftSeverity;
  /** Where the broken rule comes from: the vendor's page (documented), an x-inferred note, or the simulator. */
  evidence: Evidence;
  expected: unknown;
  observed: unknown;
  /** The JSON type of `observed` before any shortening, so `"25"` reads as a string. */
  observedType: JsonType;
  message: string;
}

/** The outcome of checking one response. */
export interface ContractCheck {
  operation: string;
  status: number;
  /** True when the status is one the operation documents. */
  documented: boolean;
  findings: DriftFinding[];
  breaking: DriftFinding[];
  /** The parsed body, when it parsed. */
  body: unknown;
}

export interface ObservedResponse {
  status: number;
  contentType: string | undefined;
  bodyText: string;
}

const maxObservedLength = 200;
/** A JSON pointer is a target's property names: one longer than this is cut (and says so), like any untrusted text. */
const maxPointerLength = 500;
/**
 * At most this many findings of one kind (and weight) per response; the rest become one finding that counts them
 * ("19,980 more undocumented properties under /data"), so a body of 20,000 made-up properties is 21 findings, not 20,000.
 */
export const maxFindingsPerKind = 20;

/**
 * Bounds on a body before it is parsed. JSON.parse itself copes with deep nesting, but everything after it that walks
 * the value recursively (JSON.stringify for a finding, ajv, structured clone) overflows the stack at a few thousand
 * levels: a 10 KB body of `[[[[…` must be a finding, never an exception. No documented response nests beyond ~5.
 */
export interface JsonLimits {
  /** Deepest allowed nesting of arrays and objects; default 64. */
  maxDepth: number;
  /** Longest body (in UTF-16 code units, ~bytes for JSON) that is parsed at all; default 16 MiB. */
  maxLength: number;
}

export const defaultJsonLimits: JsonLimits = { maxDepth: 64, maxLength: 16 * 1024 * 1024 };

/** Checks a response of `operationId` against its documented response for the observed status. */
export function checkResponse(
  contract: Contract,
  operationId: string,
  response: ObservedResponse,
  secrets: ReadonlyArray<Secret | undefined> = [],
  limits: Partial<JsonLimits> = {},
): ContractCheck {
  const operation = contract.operation(operationId);
  const { status } = response;
  const findings: DriftFinding[] = [];
  const add = (finding: Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'> & { observedType?: JsonType }, message?: string): void => {
    const observedType = finding.observedType ?? jsonType(finding.observed);
    const clean = {
      ...finding,
      pointer: clip(finding.pointer, maxPointerLength),
      observedType,
      expected: redactValue(finding.expected, secrets),
      observed: redactValue(finding.observed, secrets),
    };
    // One line a terminal, a CI log, junit.xml and every report can show: the pointer and the value are the target's bytes.
    findings.push({ operation: operationId, status, ...clean, message: terminalText(message ?? describe(clean)) });
  };

  const described = operation.responses.get(status);
  const maxDepth = limits.maxDepth ?? defaultJsonLimits.maxDepth;
  const maxLength = limits.maxLength ?? defaultJsonLimits.maxLength;
  // Checked before JSON.parse, so nothing downstream ever sees a value it could not walk.
  const refusal =
    response.bodyText.length > maxLength
      ? {
          expected: `a JSON body of at most ${maxLength} characters`,
          observed: `${response.bodyText.length} characters`,
          message: `(response): body is larger than ${maxLength} characters (${response.bodyText.length}): not parsed`,
        }
      : jsonDepthExceeds(response.bodyText, maxDepth)
        ? {
            expected: `JSON nested at most ${maxDepth} levels deep`,
            observed: `deeper than ${maxDepth} levels`,
            message: `(response): body nests deeper than ${maxDepth} levels: not parsed`,
          }
        : undefined;
  let body: unknown;
  let parsed = false;
  if (!refusal) {
    try {
      body = response.bodyText.length > 0 ? JSON.parse(response.bodyText) : undefined;
      parsed = response.bodyText.length > 0;
    } catch {
      parsed = false;
    }
  }

  if (!described) {
    add({
      pointer: '',
      kind: 'undocumented-status-code',
      severity: 'breaking',
      evidence: documented('the status table of the vendor page'),
      expected: [...operation.responses.keys()],
      observed: status,
    });
    return { operation: operationId, status, documented: false, findings, breaking: findings, body };
  }

  const essence = response.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!essence || !described.mediaTypes.includes(essence)) {
    add({
      pointer: '',
      kind: 'content-type-mismatch',
      severity: 'breaking',
      evidence: described.mediaTypeEvidence,
      expected: described.mediaTypes,
      observed: response.contentType ?? '(none)',
    });
  }
  if (refusal) {
    add(
      {
        pointer: '',
        kind: 'unparsable-body',
        severity: 'breaking',
        evidence: described.bodyEvidence,
        expected: refusal.expected,
        observed: refusal.observed,
        observedType: 'text',
      },
      refusal.message,
    );
  } else if (!parsed) {
    add({
      pointer: '',
      kind: 'unparsable-body',
      severity: 'breaking',
      evidence: described.bodyEvidence,
      expected: 'a JSON body',
      observed: response.bodyText,
      observedType: 'text',
    });
  } else {
    for (const { finding, message } of boundPerKind(schemaFindings(described, body))) add(finding, message);
  }
  return { operation: operationId, status, documented: true, findings, breaking: findings.filter((f) => f.severity === 'breaking'), body };
}

/**
 * Whether JSON text nests arrays/objects deeper than `maxDepth`: one linear pass over the characters, skipping string
 * contents (escapes included), with no recursion and no allocation. Malformed text is left to JSON.parse to refuse.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * The body's breaks of the schema, each with its evidence. A break the documented part of the schema (x-inferred parts
 * removed) also finds is documented; one only the whole schema finds is inferred, with the note of the x-inferred node
 * it failed in. At a pointer where the page's own rule already fails, the stricter inferred rule adds nothing.
 */
function schemaFindings(response: ResponseContract, body: unknown): Array<Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'>> {
  const out: Array<Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'>> = [];
  const seen = new Set<string>();
  const push = (finding: Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'>): void => {
    const key = `${finding.pointer}\u0000${finding.kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(finding);
  };
  const documentedAt = new Set<string>();
  if (!response.validateDocumented(body)) {
    for (const error of response.validateDocumented.errors ?? []) {
      documentedAt.add(error.instancePath);
      push(fromAjvError(error, body, 'breaking', weakest(response.bodyEvidence, documented())));
    }
  }
  if (!response.validate(body)) {
    for (const error of response.validate.errors ?? []) {
      if (documentedAt.has(error.instancePath)) continue;
      push(fromAjvError(error, body, 'breaking', weakest(response.bodyEvidence, ruleEvidence(error))));
    }
  }
  if (!response.validateClosed(body)) {
    const evidence = weakest(response.bodyEvidence, documented("the page's Response does not show it"));
    let undocumented = 0;
    for (const error of response.validateClosed.errors ?? []) {
      if (error.keyword !== 'additionalProperties') continue;
      // Beyond the listed ones only the pointer counts (boundPerKind): their values are not looked up.
      undocumented += 1;
      const finding = fromAjvError(error, undocumented <= maxFindingsPerKind ? body : undefined, 'non-breaking', evidence);
      push(finding);
    }
  }
  return out;
}

type SchemaFinding = Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'>;

/** The findings with at most maxFindingsPerKind of each kind and weight; the others counted in one finding each, at the pointer they share. */
function boundPerKind(findings: readonly SchemaFinding[]): Array<{ finding: SchemaFinding & { observedType?: JsonType }; message?: string }> {
  const kept: Array<{ finding: SchemaFinding & { observedType?: JsonType }; message?: string }> = [];
  const overflow = new Map<string, SchemaFinding[]>();
  const seen = new Map<string, number>();
  for (const finding of findings) {
    const key = `${finding.kind}\u0000${finding.severity}\u0000${finding.evidence.level}`;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count <= maxFindingsPerKind) kept.push({ finding });
    else {
      const rest = overflow.get(key) ?? [];
      if (rest.length === 0) overflow.set(key, rest);
      rest.push(finding);
    }
  }
  for (const rest of overflow.values()) {
    const first = rest[0]!;
    const under = commonPointer(rest.map((f) => f.pointer));
    const more = `${rest.length.toLocaleString('en-US')} more ${kindPlural[first.kind]}`;
    kept.push({
      finding: {
        pointer: under,
        kind: first.kind,
        severity: first.severity,
        evidence: first.evidence,
        expected: `at most ${maxFindingsPerKind} ${kindPlural[first.kind]} listed per response`,
        observed: `${more}, not listed`,
        observedType: 'text',
      },
      message: `${under || '(response)'}: ${more} under ${under || 'the body'} (not listed: at most ${maxFindingsPerKind} of a kind per response)`,
    });
  }
  return kept;
}

/** The longest pointer every one of `pointers` starts with, segment by segment (`/data` for `/data/a` and `/data/b`). */
function commonPointer(pointers: readonly string[]): string {
  const split = pointers.map((p) => p.split('/'));
  const first = split[0] ?? [''];
  let shared = 0;
  while (shared < first.length - 1 && split.every((parts) => parts.length - 1 > shared && parts[shared] === first[shared])) shared += 1;
  return first.slice(0, shared).join('/');
}

/** The evidence of a rule ajv found broken: the x-inferred note of the schema node it failed in (notes are inherited down). */
function ruleEvidence(error: ErrorObject): Evidence {
  const parent = error.parentSchema;
  const note: unknown = parent?.['x-inferred'];
  return typeof note === 'string' ? inferred(note) : inferred('stricter than the documented part of the schema');
}

function fromAjvError(
  error: ErrorObject,
  body: unknown,
  severity: 'breaking' | 'non-breaking',
  evidence: Evidence,
): Omit<DriftFinding, 'operation' | 'status' | 'message' | 'observedType'> {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const pointer = `${at}/${escapePointer(name)}`;
      return { pointer, kind: 'undocumented-property', severity, evidence, expected: 'absent (not in the contract)', observed: valueAt(body, pointer) };
    }
    case 'required': {
      const pointer = `${at}/${escapePointer(String(params.missingProperty))}`;
      return { pointer, kind: 'missing-required-property', severity, evidence, expected: 'present (required)', observed: undefined };
    }
    case 'type':
      return {
        pointer: at,
        kind: 'type-mismatch',
        severity,
        evidence,
        expected: Array.isArray(params.type) ? params.type.join(' or ') : params.type,
        observed: valueAt(body, at),
      };
    case 'format':
      return { pointer: at, kind: 'format-mismatch', severity, evidence, expected: `format ${String(params.format)}`, observed: valueAt(body, at) };
    case 'pattern':
      return { pointer: at, kind: 'format-mismatch', severity, evidence, expected: `pattern ${String(params.pattern)}`, observed: valueAt(body, at) };
    case 'enum':
      return { pointer: at, kind: 'enum-value', severity, evidence, expected: params.allowedValues, observed: valueAt(body, at) };
    case 'const':
      return { pointer: at, kind: 'enum-value', severity, evidence, expected: params.allowedValue, observed: valueAt(body, at) };
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
      return {
        pointer: at,
        kind: 'constraint-violation',
        severity,
        evidence,
        expected: `${error.keyword} ${String(params.limit)}`,
        observed: valueAt(body, at),
      };
    default:
      return {
        pointer: at,
        kind: 'constraint-violation',
        severity,
        evidence,
        expected: `${error.keyword} ${error.message ?? ''}`.trim(),
        observed: valueAt(body, at),
      };
  }
}

const kindText: Record<DriftKind, string> = {
  'undocumented-property': 'undocumented property',
  'missing-required-property': 'missing required property',
  'type-mismatch': 'type mismatch',
  'format-mismatch': 'format mismatch',
  'enum-value': 'value not allowed',
  'constraint-violation': 'constraint violated',
  'undocumented-status-code': 'undocumented status code',
  'content-type-mismatch': 'content type mismatch',
  'unparsable-body': 'body is not JSON',
};

const kindPlural: Record<DriftKind, string> = {
  'undocumented-property': 'undocumented properties',
  'missing-required-property': 'missing required properties',
  'type-mismatch': 'type mismatches',
  'format-mismatch': 'format mismatches',
  'enum-value': 'values not allowed',
  'constraint-violation': 'constraints violated',
  'undocumented-status-code': 'undocumented status codes',
  'content-type-mismatch': 'content type mismatches',
  'unparsable-body': 'bodies that are not JSON',
};

const describedExpectations = new Set<DriftKind>([
  'type-mismatch',
  'missing-required-property',
  'format-mismatch',
  'constraint-violation',
  'undocumented-property',
  'unparsable-body',
]);

/** One line: `/data/users_count: type mismatch: expected number, observed "25" (string)`. */
function describe(finding: Pick<DriftFinding, 'pointer' | 'kind' | 'expected' | 'observed' | 'observedType'>): string {
  // A description ("number", "pattern ^…$", "present (required)") reads as is; a value or a list is shown as JSON.
  const expected = typeof finding.expected === 'string' && describedExpectations.has(finding.kind) ? finding.expected : show(finding.expected);
  return `${finding.pointer || '(response)'}: ${kindText[finding.kind]}: expected ${expected}, observed ${showObserved(finding.observed, finding.observedType)}`;
}

/** An observed value with its JSON type, so `"25"` is not mistaken for a number: `"25" (string)`, `absent`, `null`. */
export function showObserved(value: unknown, type: JsonType): string {
  if (type === 'absent') return 'absent';
  if (type === 'null') return 'null';
  return `${show(value)} (${type})`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify answers undefined for functions and symbols, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? `<${typeof value}>`;
  return clip(text, maxObservedLength);
}

/** The JSON type of a value as a body holds it. */
export function jsonType(value: unknown): JsonType {
  if (value === undefined) return 'absent';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

function redactValue(value: unknown, secrets: ReadonlyArray<Secret | undefined>): unknown {
  if (typeof value === 'string') {
    return clip(redactText(value, secrets), maxObservedLength);
  }
  if (typeof value === 'object' && value !== null) {
    const text = redactText(JSON.stringify(value), secrets);
    return text.length > maxObservedLength ? clip(text, maxObservedLength) : JSON.parse(text);
  }
  return value;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function valueAt(body: unknown, pointer: string): unknown {
  if (!pointer) return body;
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), body);
}
