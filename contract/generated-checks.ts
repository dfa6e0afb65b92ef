// The checks run on every generated response, each a named function (Schemathesis' checks are the model); each returns findings with their evidence.
// In code a check is a camelCase function; reports, messages and the accepted-findings file name it by its wire name, the
// snake_case string it is registered under (`['not_a_server_error', notAServerError]`), which stays as it was.
import type { OpenAPIV3_1 } from 'openapi-types';
import { checkResponse } from './check-response';
import { advisory, documented, inferred, type Evidence } from './evidence';
import type { GeneratedCase } from './generators';
import { resolveRef } from './openapi';
import { completeFinding, draftFromDrift, findingsOutcome, noAnswerFinding, type FindingDraft, type ObservedExchange } from './findings';
import type { ContractRecord, Finding, FindingKind, RunFacts } from './records';
import type { Contract } from './compile';

/** A generated exchange: the judge's exchange plus the response headers the header checks read. */
export interface GeneratedExchange extends ObservedExchange {
  /** Response headers, names lower-cased. */
  headers: Readonly<Record<string, string>>;
}

/** What a check is asked to judge: the exchange and what the request was meant to be. */
export interface CheckInput {
  contract: Contract;
  exchange: GeneratedExchange;
  /** The generated case, for the data checks; absent for method, negotiation and stateful requests. */
  generated?: GeneratedCase;
  /** Whether a declared header the page does not document fails the gate when missing (CONTRACT_ENFORCE_HEADERS). */
  enforceHeaders: boolean;
}

/** One named check: the findings it makes on one exchange (none when it holds or does not apply). */
export type Check = (input: CheckInput) => FindingDraft[];

const isSuccess = (status: number): boolean => status >= 200 && status < 300;
const isClientError = (status: number): boolean => status >= 400 && status < 500;

function statusDraft(check: string, kind: FindingKind, status: number, expected: string, text: string, evidence: Evidence, security = false): FindingDraft {
  return {
    pointer: '',
    kind,
    severity: 'breaking',
    evidence,
    ...(security ? { security: true } : {}),
    expected,
    observed: status,
    observedType: 'number',
    message: `(status): answered ${status}, expected ${expected} [${check}]: ${text}`,
  };
}

const serverErrorEvidence = inferred(
  "No input may make the server fail: the page's 500 is an internal error, not an answer to a request (Schemathesis' not_a_server_error). A provoked 500 (Prefer: code=500) is the hand-written specs' business.",
);

/** notAServerError (`not_a_server_error`): no generated request ever gets a 5xx. */
export const notAServerError: Check = ({ exchange, generated }) =>
  exchange.status >= 500 && exchange.noAnswer === undefined
    ? [
        statusDraft(
          'not_a_server_error',
          'server-error',
          exchange.status,
          'no 5xx',
          generated ? `the input: ${generated.why}` : 'a request the API must answer without failing',
          serverErrorEvidence,
        ),
      ]
    : [];

/** The statuses the vendor's page lists for an operation (its status table), as text: `200, 401, 404, 500`. */
function pageStatuses(contract: Contract, operationId: string): string {
  return [...contract.operation(operationId).responses.values()]
    .filter((r) => r.statusEvidence.level === 'documented')
    .map((r) => r.status)
    .join(', ');
}

/**
 * statusCodeConformance (`status_code_conformance`): the status is one the contract lists (5xx are
 * not_a_server_error's). A status neither the page nor the contract lists (400 on getCustomer, 405, 406, 410, 414, 422, a 3xx) is an advisory: the page does not say it is
 * never answered, and a wrong *kind* of answer (a 2xx where a refusal was due, a refusal where service was due) is the
 * data and auth checks' business, with the page's own evidence.
 */
export const statusCodeConformance: Check = ({ contract, exchange }) => {
  const operation = contract.operation(exchange.operation);
  if (exchange.noAnswer !== undefined || exchange.status >= 500 || operation.responses.has(exchange.status)) return [];
  return [
    statusDraft(
      'status_code_conformance',
      'undocumented-status-code',
      exchange.status,
      [...operation.responses.keys()].join(', '),
      `${exchange.status} is not a status the page lists for ${exchange.operation} (${pageStatuses(contract, exchange.operation)})`,
      advisory(
        'undocumented_status',
        `The page's status table lists ${pageStatuses(contract, exchange.operation)} and the contract infers ${[...operation.responses.values()]
          .filter((r) => r.statusEvidence.level !== 'documented')
          .map((r) => r.status)
          .join(', ')}; the page does not say no other status is answered, so another is reported, not failed.`,
      ),
    ),
  ];
};

/**
 * responseSchemaConformance (`response_schema_conformance`, and `content_type_conformance` for the media type): the body
 * of a documented status is JSON of the documented media type and matches that status's schema (contract/check-response.ts
 * does both, with each rule's evidence). A charset other than UTF-8 on JSON is an advisory (RFC 8259 §8.1: JSON exchanged
 * between systems is UTF-8).
 */
export const responseSchemaConformance: Check = ({ contract, exchange }) => {
  const expected = contract.operation(exchange.operation).responses.get(exchange.status);
  if (!expected || exchange.noAnswer !== undefined || exchange.operation === '' || exchange.request.method === 'HEAD') return [];
  const check = checkResponse(contract, exchange.operation, { status: exchange.status, contentType: exchange.contentType, bodyText: exchange.bodyText });
  return check.findings.map((finding) => ({
    ...draftFromDrift(finding, expected.statusEvidence),
    message: `${finding.message} [${finding.kind === 'content-type-mismatch' || finding.kind === 'unparsable-body' ? 'content_type_conformance' : 'response_schema_conformance'}]`,
  }));
};

/** contentTypeCharset (`content_type_conformance`'s advisory half): JSON served with a charset other than UTF-8. */
export const contentTypeCharset: Check = ({ exchange }) => {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(exchange.contentType ?? '')?.[1];
  if (!charset || /^utf-?8$/i.test(charset) || !/json/i.test(exchange.contentType ?? '')) return [];
  return [
    {
      pointer: '',
      kind: 'header',
      severity: 'non-breaking',
      evidence: inferred('RFC 8259 §8.1: JSON exchanged between systems that are not part of a closed ecosystem MUST be UTF-8.'),
      expected: 'charset=utf-8 or none',
      observed: exchange.contentType,
      observedType: 'string',
      message: `(header) Content-Type: advisory: JSON served as charset ${charset}, expected utf-8 or none [content_type_conformance]`,
    },
  ];
};

/** The response headers the document declares for this operation and status, with whether they are required and their evidence. */
export function declaredHeaders(contract: Contract, operationId: string, status: number): Array<{ name: string; required: boolean; evidence: Evidence }> {
  const operation = contract.operation(operationId);
  const item = resolveRef<OpenAPIV3_1.PathItemObject>(contract.document, contract.document.paths?.[operation.path] ?? {});
  const responses = (item[operation.method] as OpenAPIV3_1.OperationObject | undefined)?.responses ?? {};
  const ref = responses[String(status)];
  if (!ref) return [];
  const response = resolveRef<OpenAPIV3_1.ResponseObject>(contract.document, ref);
  return Object.entries(response.headers ?? {}).map(([name, headerOrRef]) => {
    const header = resolveRef<OpenAPIV3_1.HeaderObject & { 'x-inferred'?: string }>(contract.document, headerOrRef);
    const note = header['x-inferred'];
    return { name, required: header.required ?? false, evidence: typeof note === 'string' ? inferred(note) : documented() };
  });
}

/**
 * responseHeadersConformance (`response_headers_conformance`): every header the document requires for the answered
 * status is present. A header the page itself does not document (x-inferred) is an advisory, non-breaking, unless CONTRACT_ENFORCE_HEADERS=1.
 */
export const responseHeadersConformance: Check = ({ contract, exchange, enforceHeaders }) => {
  if (exchange.noAnswer !== undefined || !contract.operation(exchange.operation).responses.has(exchange.status)) return [];
  return declaredHeaders(contract, exchange.operation, exchange.status)
    .filter((header) => header.required && !(header.name.toLowerCase() in exchange.headers))
    .map((header) => {
      const advisory = header.evidence.level !== 'documented' && !enforceHeaders;
      return {
        pointer: '',
        kind: 'header' as const,
        severity: advisory ? ('non-breaking' as const) : ('breaking' as const),
        evidence: header.evidence,
        expected: `a ${header.name} header`,
        observed: undefined,
        observedType: 'absent' as const,
        message: `(header) ${header.name}: ${advisory ? 'advisory: ' : ''}missing on ${exchange.status} [response_headers_conformance]${advisory ? ' (set CONTRACT_ENFORCE_HEADERS=1 to enforce it)' : ''}`,
      };
    });
};

/** Why a case's expected answer holds: the page's own words, or (for an advisory case) why the page leaves it open. */
const openNotes: Record<string, string> = {
  negative_data_rejection:
    'The page types start_date/end_date as ISO 8601 and says nothing of repeated, empty or padded values, hour 24, local times or intervals: refusing them is one reading, serving them another.',
  positive_data_acceptance:
    'The page shows only a date-only range (its example); other ISO 8601 forms (date-times, offsets, fractions, far or future years, one bound alone, long ranges) are valid ISO 8601 but the page promises none of them.',
  unknown_id_status:
    "The page answers 404 for a customer that doesn't exist; for an id not shaped like its ids (cust_abc123) a 400, 404, 414 or 422 are all plausible. Serving it is never right.",
  auth_order:
    "The page lists 401 (invalid or expired token) and 404 (customer doesn't exist) but not which is checked first, nor how input it does not define is ordered against the credential check.",
};

function caseEvidence(generated: GeneratedCase, pageEvidence: Evidence): Evidence {
  const rule = generated.advisory;
  return rule ? advisory(rule, openNotes[rule] ?? 'The page leaves this open.') : pageEvidence;
}

/** The page's ground for refusing a date no reading of ISO 8601 accepts: a 2xx would serve a range the parameter cannot name. */
const notADateEvidence = documented(
  'the page: start_date/end_date are "Start/End of date range (ISO 8601)"; this value is no ISO 8601 date or date-time in any form, so no answer may serve it as a range',
);
const statusNotFound = documented("the status table: 404 Not Found — Customer doesn't exist");

/**
 * negativeDataRejection (`negative_data_rejection`): input no reading of the page accepts is refused with a 4xx, never
 * served; an id the page's 404 covers (its shape, a valid token, a plain query) answers exactly 404. Input the page leaves open (`advisory` cases) makes
 * an advisory instead.
 */
export const negativeDataRejection: Check = ({ contract, exchange, generated }) => {
  if (!generated || exchange.noAnswer !== undefined || exchange.status === 429) return [];
  if (generated.expect !== 'rejected' && generated.expect !== 'not-found') return [];
  if (exchange.status >= 500) return [];
  const allowed = [...contract.operation(exchange.operation).responses.keys()].filter((s) => isClientError(s) && s !== 429);
  if (isClientError(exchange.status)) {
    // The page's 404, for a well-formed id of its shape that no customer has, asked with a valid token and a plain query.
    if (generated.expect === 'not-found' && !generated.advisory && exchange.status !== 404 && exchange.request.method === 'GET') {
      return [
        statusDraft(
          'negative_data_rejection',
          'status-mismatch',
          exchange.status,
          '404',
          `a well-formed id no customer has, with a valid token: ${generated.why}`,
          statusNotFound,
        ),
      ];
    }
    return [];
  }
  const query = generated.query.length > 0;
  const served = generated.expect === 'not-found' && isSuccess(exchange.status);
  const text = generated.advisory
    ? `the page does not say how this input is answered (refusing it is one reading): ${generated.why}`
    : served
      ? `the customer does not exist, yet the API served it: ${generated.why}`
      : query
        ? `no reading of the page accepts this input: ${generated.why}`
        : `the input names no customer: ${generated.why}`;
  return [
    statusDraft(
      'negative_data_rejection',
      served ? 'use-after-free' : 'negative-data-accepted',
      exchange.status,
      `a 4xx (${allowed.join(', ')})`,
      text,
      caseEvidence(generated, query ? notADateEvidence : statusNotFound),
    ),
  ];
};

/** positiveDataAcceptance (`positive_data_acceptance`): the page's own form of input for the configured customer is served with a 2xx; other valid forms are advisories. */
export const positiveDataAcceptance: Check = ({ exchange, generated }) => {
  if (!generated || generated.expect !== 'accepted' || exchange.noAnswer !== undefined || exchange.status === 429 || exchange.status >= 500) return [];
  if (isSuccess(exchange.status)) return [];
  const evidence = caseEvidence(
    generated,
    generated.query.length > 0
      ? documented("the page's example request: a date-only range (start_date=2024-06-01&end_date=2024-06-30) is answered 200")
      : documented('the page: the configured customer with its token answers 200 (both dates are optional)'),
  );
  const text = generated.advisory
    ? `a valid ISO 8601 form the page does not show was refused: ${generated.why}`
    : `the page's own form of input: ${generated.why}`;
  return [statusDraft('positive_data_acceptance', 'positive-data-rejected', exchange.status, '2xx', text, evidence)];
};

const unauthorisedEvidence = documented('the status table: 401 Unauthorized — Invalid or expired token');

/** ignoredAuth (`ignored_auth`): a request without a valid credential is never served, and the page's valid input without one answers 401. */
export const ignoredAuth: Check = ({ exchange, generated }) => {
  if (exchange.noAnswer !== undefined || exchange.status === 429 || exchange.status >= 500) return [];
  if (isSuccess(exchange.status) && exchange.request.credential.kind !== 'token') {
    return [
      statusDraft('ignored_auth', 'auth', exchange.status, '401', 'the request carried no valid credential, yet the API served it', unauthorisedEvidence, true),
    ];
  }
  if (generated?.expect === 'unauthorised' && exchange.status !== 401) {
    return [
      statusDraft(
        'ignored_auth',
        'status-mismatch',
        exchange.status,
        '401',
        generated.advisory
          ? `no Authorization header, on input the page leaves open (which check comes first is the API's choice): ${generated.why}`
          : `the page's own input without an Authorization header: ${generated.why}`,
        caseEvidence(generated, unauthorisedEvidence),
      ),
    ];
  }
  return [];
};

/** The checks every generated data request gets, in order. */
export const dataChecks: ReadonlyArray<readonly [string, Check]> = [
  ['not_a_server_error', notAServerError],
  ['status_code_conformance', statusCodeConformance],
  ['negative_data_rejection', negativeDataRejection],
  ['positive_data_acceptance', positiveDataAcceptance],
  ['response_schema_conformance', responseSchemaConformance],
  ['content_type_conformance', contentTypeCharset],
  ['response_headers_conformance', responseHeadersConformance],
  ['ignored_auth', ignoredAuth],
];

/** Methods HEAD and OPTIONS may succeed (HEAD mirrors GET, OPTIONS answers a CORS preflight); the others must not. */
const safeToSucceed = new Set(['HEAD', 'OPTIONS']);

/**
 * undocumentedMethod (`undocumented_method`): a method the path does not document never succeeds (PUT, POST, PATCH,
 * DELETE on /usage) and never fails the server; a 405 names the allowed methods in Allow (RFC 9110 §15.5.6: an advisory, as the page documents no 405).
 */
export const undocumentedMethod: Check = ({ exchange }) => {
  const drafts: FindingDraft[] = [];
  const method = exchange.request.method;
  if (exchange.noAnswer !== undefined) return drafts;
  if (isSuccess(exchange.status) && !safeToSucceed.has(method)) {
    drafts.push(
      statusDraft(
        'undocumented_method',
        'undocumented-method',
        exchange.status,
        'no 2xx (405, 404 or 401)',
        `${method} is not a documented method of this path, yet the API served it`,
        documented(`the page documents only ${exchange.operation === 'getCustomerUsage' ? 'GET' : 'GET and DELETE'} on this path`),
        true,
      ),
    );
  }
  if (exchange.status === 405 && !('allow' in exchange.headers)) {
    drafts.push({
      pointer: '',
      kind: 'header',
      severity: 'non-breaking',
      evidence: inferred('RFC 9110 §15.5.6: a 405 MUST carry an Allow header listing the methods the resource supports; the page documents no 405.'),
      expected: 'an Allow header',
      observed: undefined,
      observedType: 'absent',
      message: '(header) Allow: advisory: missing on 405 [undocumented_method]',
    });
  }
  return drafts;
};

/** negotiationConformance (`negotiation_conformance`): an Accept the document does not offer gets a documented answer or 406, never a 5xx. */
export const negotiationConformance: Check = ({ contract, exchange }) => {
  if (exchange.noAnswer !== undefined || exchange.status >= 500 || exchange.status === 406) return [];
  return contract.operation(exchange.operation).responses.has(exchange.status)
    ? []
    : [
        statusDraft(
          'negotiation_conformance',
          'undocumented-status-code',
          exchange.status,
          'a documented status or 406',
          'an Accept the document does not offer',
          advisory(
            'negotiation',
            "The page documents no Accept handling: which status an unoffered Accept gets (406, 415, a documented one) is the API's choice.",
          ),
        ),
      ];
};

/** useAfterFree (`use_after_free`): a link from a successful DELETE to the same customer must answer the link's status (404), never a 2xx. */
export function useAfterFree(expectedStatus: number, evidence: Evidence, link: string): Check {
  return ({ exchange }) => {
    if (exchange.noAnswer !== undefined || exchange.status === expectedStatus || exchange.status === 429) return [];
    const served = isSuccess(exchange.status);
    return [
      statusDraft(
        'use_after_free',
        served ? 'use-after-free' : 'status-mismatch',
        exchange.status,
        String(expectedStatus),
        served
          ? `the customer is still served after its DELETE answered 200 (link ${link}: use after free)`
          : `link ${link} expects ${expectedStatus} after the DELETE`,
        served
          ? documented('the page: "This action is irreversible. All apps, users, and settings under this customer will be permanently deleted."')
          : { ...evidence, advisory: evidence.advisory ?? 'after_delete' },
      ),
    ];
  };
}

/** Runs checks on one exchange and makes the record every report is built from. */
export function judgeGenerated(input: CheckInput, checks: ReadonlyArray<readonly [string, Check]>, claim: string, run: RunFacts): ContractRecord {
  const { exchange } = input;
  const findings: Finding[] = exchange.noAnswer !== undefined ? [noAnswerFinding(exchange, run)] : [];
  for (const [, check] of checks) for (const draft of check(input)) findings.push(completeFinding(exchange, draft, run));
  const outcome = findingsOutcome(findings);
  return {
    format: 'contract-record/1',
    role: 'claim',
    claim,
    operation: exchange.operation,
    request: exchange.request,
    expectedStatus: undefined,
    status: exchange.status,
    outcome,
    findings,
    run,
  };
}
