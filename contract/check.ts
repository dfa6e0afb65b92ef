// Checks one HTTP response against the compiled contract and names every difference as a drift finding.
import type { ErrorObject } from 'ajv';
import { redactText, type Secret } from '../config/secret';
import type { Contract } from './validators';

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

/** One way a live response differs from the contract. */
export interface DriftFinding {
  operation: string;
  status: number;
  /** JSON pointer into the body (`/data/apps_count`); empty for the whole response. */
  path: string;
  kind: DriftKind;
  severity: DriftSeverity;
  expected: unknown;
  observed: unknown;
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

/** Checks a response of `operationId` against its documented response for the observed status. */
export function checkResponse(contract: Contract, operationId: string, response: ObservedResponse, secrets: ReadonlyArray<Secret | undefined> = []): ContractCheck {
  const operation = contract.operation(operationId);
  const { status } = response;
  const findings: DriftFinding[] = [];
  const add = (finding: Omit<DriftFinding, 'operation' | 'status' | 'message'>): void => {
    const clean = { ...finding, expected: redactValue(finding.expected, secrets), observed: redactValue(finding.observed, secrets) };
    findings.push({ operation: operationId, status, ...clean, message: describe(clean) });
  };

  const documented = operation.responses.get(status);
  let body: unknown;
  let parsed = false;
  try {
    body = response.bodyText.length > 0 ? JSON.parse(response.bodyText) : undefined;
    parsed = response.bodyText.length > 0;
  } catch {
    parsed = false;
  }

  if (!documented) {
    add({ path: '', kind: 'undocumented-status-code', severity: 'breaking', expected: [...operation.responses.keys()], observed: status });
    return { operation: operationId, status, documented: false, findings, breaking: findings, body };
  }

  const essence = response.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!essence || !documented.mediaTypes.includes(essence)) {
    add({ path: '', kind: 'content-type-mismatch', severity: 'breaking', expected: documented.mediaTypes, observed: response.contentType ?? '(none)' });
  }
  if (!parsed) {
    add({ path: '', kind: 'unparsable-body', severity: 'breaking', expected: 'a JSON body', observed: response.bodyText });
  } else {
    if (!documented.validate(body)) {
      for (const error of documented.validate.errors ?? []) add(fromAjvError(error, body, 'breaking'));
    }
    if (!documented.validateClosed(body)) {
      for (const error of documented.validateClosed.errors ?? []) {
        if (error.keyword === 'additionalProperties') add(fromAjvError(error, body, 'non-breaking'));
      }
    }
  }
  return { operation: operationId, status, documented: true, findings, breaking: findings.filter((f) => f.severity === 'breaking'), body };
}

function fromAjvError(error: ErrorObject, body: unknown, severity: 'breaking' | 'non-breaking'): Omit<DriftFinding, 'operation' | 'status' | 'message'> {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const path = `${at}/${escapePointer(name)}`;
      return { path, kind: 'undocumented-property', severity, expected: 'absent (not in the contract)', observed: valueAt(body, path) };
    }
    case 'required': {
      const path = `${at}/${escapePointer(String(params.missingProperty))}`;
      return { path, kind: 'missing-required-property', severity, expected: 'present (required)', observed: 'absent' };
    }
    case 'type':
      return { path: at, kind: 'type-mismatch', severity, expected: params.type, observed: valueAt(body, at) };
    case 'format':
      return { path: at, kind: 'format-mismatch', severity, expected: `format ${String(params.format)}`, observed: valueAt(body, at) };
    case 'enum':
      return { path: at, kind: 'enum-value', severity, expected: params.allowedValues, observed: valueAt(body, at) };
    case 'const':
      return { path: at, kind: 'enum-value', severity, expected: params.allowedValue, observed: valueAt(body, at) };
    default:
      return { path: at, kind: 'constraint-violation', severity, expected: `${error.keyword} ${error.message ?? ''}`.trim(), observed: valueAt(body, at) };
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

function describe(finding: Pick<DriftFinding, 'path' | 'kind' | 'expected' | 'observed'>): string {
  return `${finding.path || '(response)'}: ${kindText[finding.kind]}: expected ${show(finding.expected)}, observed ${show(finding.observed)}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > maxObservedLength ? `${text.slice(0, maxObservedLength)}… (${text.length} chars)` : text;
}

function redactValue(value: unknown, secrets: ReadonlyArray<Secret | undefined>): unknown {
  if (typeof value === 'string') {
    const clean = redactText(value, secrets);
    return clean.length > maxObservedLength ? `${clean.slice(0, maxObservedLength)}… (${clean.length} chars)` : clean;
  }
  if (typeof value === 'object' && value !== null) {
    const text = redactText(JSON.stringify(value), secrets);
    return text.length > maxObservedLength ? `${text.slice(0, maxObservedLength)}… (${text.length} chars)` : JSON.parse(text);
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
