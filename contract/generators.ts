// fast-check arbitraries drawn from the OpenAPI document's parameter schemas: valid and invalid path ids and query strings, seeded and shrinkable.
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { AdvisoryRule } from './evidence';
import { httpMethods, resolveRef } from './openapi';
import type { GeneratedMethodName } from './records';
import type { BodyValidator, Contract } from './compile';

/** Schemathesis' two generation modes: input the document allows, and input it does not. */
export type GenerationMode = 'positive' | 'negative';

/**
 * What the contract says the answer to a generated input must be:
 * - `accepted`: valid input for an existing customer, a 2xx;
 * - `not-found`: a schema-valid id that does not exist, the documented 404;
 * - `rejected`: invalid input, a documented 4xx;
 * - `either`: the document allows both (an ISO 8601 form the schema's RFC 3339 formats leave out, an unknown
 *   parameter, another letter case of an id): any documented status, never a 5xx;
 * - `unauthorised`: valid input sent without a credential, the documented 401.
 */
export type InputExpectation = 'accepted' | 'not-found' | 'rejected' | 'either' | 'unauthorised';

/** Which credential a generated request carries: the relay adds it; `none` sends no Authorization header. */
export type GeneratedCredential = 'primary' | 'disposable' | 'none';

/** One generated request: what to send, and what the document says about it. */
export interface GeneratedCase {
  operation: string;
  method: GeneratedMethodName;
  /** The customer_id path segment as sent (percent-encoded). */
  customerSegment: string;
  /** The path is sent with a trailing slash. */
  trailingSlash?: boolean;
  /** Query pairs as sent, each already percent-encoded, in order; a name may repeat. */
  query: ReadonlyArray<readonly [string, string]>;
  credential: GeneratedCredential;
  expect: InputExpectation;
  /**
   * Set when `expect` is one plausible reading of something the page leaves open (docs/gate-rules.md): another answer is
   * an advisory under this rule, not a break. A 5xx, or a 2xx without a valid credential, still fails whatever it says.
   */
  advisory?: AdvisoryRule;
  /** Why the input is what it is: `start_date: impossible date "2024-02-30"`. */
  why: string;
}

/** The ids the generated phase may use, by role; generated "missing" ids are never any of these (in any letter case). */
export interface GenerationTarget {
  customerId: string;
  missingCustomerId: string;
  otherCustomerId: string | undefined;
  deleteCustomerId: string | undefined;
  /** Whether the disposable credential exists in this run (the simulator, or API_ALLOW_DELETE). */
  hasDisposableCredential: boolean;
}

/** One parameter of an operation as the document declares it, with its schema's validator (from the contract). */
export interface ParameterModel {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Record<string, unknown>;
  /** The schema's `format`s (through anyOf/oneOf): what the positive values are drawn from. */
  formats: string[];
  validate: BodyValidator;
}

/** An operation of the document with its parameters: the generators are made from these. */
export interface OperationModel {
  operationId: string;
  method: GeneratedMethodName;
  path: string;
  parameters: ParameterModel[];
}

function formatsOf(schema: Record<string, unknown>): string[] {
  const own = typeof schema.format === 'string' ? [schema.format] : [];
  const list = (value: unknown): Array<Record<string, unknown>> => (Array.isArray(value) ? (value as Array<Record<string, unknown>>) : []);
  const branches = [...list(schema.anyOf), ...list(schema.oneOf)];
  return [...own, ...branches.flatMap(formatsOf)];
}

/**
 * Every operation's parameters (path-level and operation-level, `$ref`s resolved) with their schemas' validators, which
 * the contract compiles with the response validators (ahead of time in contract/validators.generated.js).
 */
export function operationModels(contract: Contract): Map<string, OperationModel> {
  const document = contract.document;
  const models = new Map<string, OperationModel>();
  for (const [path, itemOrRef] of Object.entries(document.paths ?? {})) {
    const item = resolveRef<OpenAPIV3_1.PathItemObject>(document, itemOrRef ?? {});
    for (const method of httpMethods) {
      const operation = item[method] as OpenAPIV3_1.OperationObject | undefined;
      const operationId = operation?.operationId;
      if (!operation || !operationId) continue;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p) => {
        const parameter = resolveRef<OpenAPIV3_1.ParameterObject>(document, p);
        const schema = resolveRef<Record<string, unknown>>(document, (parameter.schema ?? {}) as Record<string, unknown>);
        if (parameter.in !== 'path' && parameter.in !== 'query')
          throw new Error(`${operationId}: the generators know path and query parameters, not ${parameter.in}`);
        return {
          name: parameter.name,
          in: parameter.in,
          required: parameter.required ?? false,
          schema,
          formats: formatsOf(schema),
          validate: contract.parameter(operationId, parameter.in, parameter.name),
        } satisfies ParameterModel;
      });
      models.set(operationId, { operationId, method: method.toUpperCase() as GeneratedMethodName, path, parameters });
    }
  }
  return models;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** A calendar day, biased to the boundaries (the 1st, the month's last day, 29 February of leap years). */
const calendarDay = (years: { min: number; max: number }): fc.Arbitrary<{ year: number; month: number; day: number }> =>
  fc
    .record({
      year: fc.integer(years),
      month: fc.integer({ min: 1, max: 12 }),
      pick: fc.oneof(fc.constantFrom('first', 'last'), fc.integer({ min: 1, max: 31 })),
    })
    .map(({ year, month, pick }) => {
      const last = daysIn(year, month);
      const day = pick === 'first' ? 1 : pick === 'last' ? last : Math.min(pick, last);
      return { year, month, day };
    });

const dateText = ({ year, month, day }: { year: number; month: number; day: number }): string => `${pad(year, 4)}-${pad(month)}-${pad(day)}`;

/** An RFC 3339 date-time: T separator, seconds 00–59, optional fraction, Z or a ±HH:MM offset (every time zone the world uses). */
const dateTimeText = (years: { min: number; max: number }): fc.Arbitrary<string> =>
  fc
    .record({
      day: calendarDay(years),
      hour: fc.oneof(fc.constantFrom(0, 23), fc.integer({ min: 0, max: 23 })),
      minute: fc.oneof(fc.constantFrom(0, 59), fc.integer({ min: 0, max: 59 })),
      second: fc.oneof(fc.constantFrom(0, 59), fc.integer({ min: 0, max: 59 })),
      fraction: fc.option(fc.constantFrom('.0', '.000', '.5', '.123456'), { nil: undefined }),
      zone: fc.oneof(fc.constant('Z'), fc.constantFrom('+00:00', '-00:00', '+05:30', '-03:30', '+14:00', '-12:00', '+09:45', '-09:30', '+01:00')),
    })
    .map(({ day, hour, minute, second, fraction, zone }) => `${dateText(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${fraction ?? ''}${zone}`);

/** A value of a date parameter in one of the document's formats (`date`, `date-time`), checked against the parameter's own schema. */
function validDateValue(parameter: ParameterModel, years: { min: number; max: number }): fc.Arbitrary<string> {
  const byFormat: fc.Arbitrary<string>[] = [];
  if (parameter.formats.includes('date')) byFormat.push(calendarDay(years).map(dateText));
  if (parameter.formats.includes('date-time')) byFormat.push(dateTimeText(years));
  if (byFormat.length === 0)
    throw new Error(`${parameter.name}: the generators know the date and date-time formats, not ${parameter.formats.join(', ') || 'none'}`);
  return fc.oneof(...byFormat).filter((value) => parameter.validate(value));
}

/** The instant a date parameter names, as the page's example reads a date-only range: a start at 00:00:00, an end at 23:59:59. */
export function boundInstant(value: string, bound: 'start' | 'end'): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T${bound === 'start' ? '00:00:00' : '23:59:59'}Z`) : Date.parse(value.toUpperCase());
}

const encode = (value: string): string => encodeURIComponent(value);

/** Years of the page's own form of a range: in the past, before the page's example year (so no API's "future" or retention rule applies). */
const pageFormYears = { min: 2000, max: 2023 } as const;

/** The page's own form of a usage query: a date-only range in the past of at most 31 days, like its example (2024-06-01 to 2024-06-30). */
function pageFormUsageQuery(start: ParameterModel, end: ParameterModel): fc.Arbitrary<{ query: Array<[string, string]>; why: string }> {
  return fc
    .record({ day: calendarDay(pageFormYears), span: fc.integer({ min: 0, max: 30 }) })
    .map(({ day, span }) => {
      const a = dateText(day);
      const b = new Date(Date.UTC(day.year, day.month - 1, day.day + span)).toISOString().slice(0, 10);
      return {
        query: [
          [start.name, encode(a)],
          [end.name, encode(b)],
        ] as Array<[string, string]>,
        why: `${start.name} ${JSON.stringify(a)}, ${end.name} ${JSON.stringify(b)} (the page's own form: a date-only range of ${span + 1} day(s))`,
      };
    })
    .filter(({ query }) => start.validate(decodeURIComponent(query[0]![1])) && end.validate(decodeURIComponent(query[1]![1])));
}

/** No dates at all, or the page's own form of a range: what every reading of the page serves. */
function pageFormOrNone(start: ParameterModel | undefined, end: ParameterModel | undefined): fc.Arbitrary<{ query: Array<[string, string]>; why: string }> {
  const none = fc.constant({ query: [] as Array<[string, string]>, why: '' });
  return start && end ? fc.oneof(none, pageFormUsageQuery(start, end)) : none;
}

/** An id of the page's own shape (`cust_abc123`): a well-formed id any reading of the page answers 404 for when no customer has it. */
const pageShapedIdPattern = /^cust_[a-z0-9]{3,24}$/;

/** Valid date-range queries: none, a start in the past, an end in the far future, or both in order. */
function validUsageQuery(start: ParameterModel, end: ParameterModel): fc.Arbitrary<{ query: Array<[string, string]>; why: string }> {
  const past = { min: 1970, max: 2023 };
  const any = { min: 1970, max: 2199 };
  const both = fc
    .tuple(validDateValue(start, any), validDateValue(end, any))
    .map(([a, b]) => (boundInstant(a, 'start') <= boundInstant(b, 'end') ? [a, b] : [b, a]))
    .filter(([a, b]) => boundInstant(a!, 'start') <= boundInstant(b!, 'end'));
  return fc.oneof(
    fc.constant({ query: [] as Array<[string, string]>, why: 'no dates (the default period)' }),
    validDateValue(start, past).map((a) => ({ query: [[start.name, encode(a)]] as Array<[string, string]>, why: `${start.name} ${JSON.stringify(a)} alone` })),
    validDateValue(end, { min: 2100, max: 2199 }).map((b) => ({
      query: [[end.name, encode(b)]] as Array<[string, string]>,
      why: `${end.name} ${JSON.stringify(b)} alone`,
    })),
    both.map(([a, b]) => ({
      query: [
        [start.name, encode(a!)],
        [end.name, encode(b!)],
      ] as Array<[string, string]>,
      why: `${start.name} ${JSON.stringify(a)}, ${end.name} ${JSON.stringify(b)}`,
    })),
  );
}

/**
 * Fixed values that break a date parameter's schema, by kind, with what is wrong with each. `open` ones are values some
 * reading of "ISO 8601" accepts (hour 24 ends a day, a local time, an interval): refusing them is one plausible answer,
 * so a 2xx is an advisory. The others are no date under any reading: a 2xx fails the gate.
 */
const fixedBrokenDates: ReadonlyArray<readonly [kind: 'out of range' | 'wrong format' | 'separator' | 'open', raw: string, why: string]> = [
  ['out of range', '2024-13-01', 'month 13'],
  ['out of range', '2024-00-10', 'month 0'],
  ['out of range', '2024-06-00', 'day 0'],
  ['out of range', '2024-06-01T10:60:00Z', 'minute 60'],
  ['wrong format', '06/01/2024', 'US date'],
  ['wrong format', '01-06-2024', 'day first'],
  ['wrong format', '2024/06/01', 'slashes'],
  ['wrong format', '1717200000', 'wrong type: epoch seconds (an integer)'],
  ['wrong format', 'true', 'wrong type: a boolean'],
  ['wrong format', '{"start":"2024-06-01"}', 'wrong type: an object'],
  ['wrong format', 'yesterday', 'words'],
  ['separator', '2024-06-01&end_date=2024-06-02', 'an encoded & inside the value'],
  ['separator', '2024-06-01;2024-06-02', 'a ; list'],
  ['open', '2024-06-01T24:00:00Z', 'hour 24 (ISO 8601 allows 24:00 as the end of a day)'],
  ['open', '2024-06-01T10:00:00+24:00', 'offset +24:00'],
  ['open', '2024-06-01T10:00:00', 'a local date-time (ISO 8601 allows one without a time zone)'],
  ['open', '2024-06-01/../2024-06-02', 'an ISO 8601 interval with a dot segment'],
];

/** A value that breaks a date parameter's schema, with what is wrong; every one is checked to fail the parameter's own validator. */
function invalidDateValues(parameter: ParameterModel): Array<fc.Arbitrary<{ raw: string; why: string; open?: boolean }>> {
  const impossible = fc
    .record({ year: fc.integer({ min: 1970, max: 2199 }), month: fc.integer({ min: 1, max: 12 }), over: fc.integer({ min: 1, max: 31 - 28 }) })
    .map(({ year, month, over }) => ({ year, month, day: Math.min(31, daysIn(year, month) + over) }))
    .filter(({ year, month, day }) => day > daysIn(year, month))
    .map((d) => ({ raw: dateText(d), why: 'impossible date' }));
  const fixed = (kind: (typeof fixedBrokenDates)[number][0]): fc.Arbitrary<{ raw: string; why: string }> =>
    fc.constantFrom(...fixedBrokenDates.filter(([k]) => k === kind).map(([, raw, why]) => ({ raw, why })));
  const open = fc.constantFrom(...fixedBrokenDates.filter(([k]) => k === 'open').map(([, raw, why]) => ({ raw, why, open: true })));
  // An empty value may be read as the parameter left out; surrounding whitespace may be trimmed: both are open questions.
  const empty = fc.constant({ raw: '', why: 'empty value (may be read as absent)', open: true });
  const padded = fc.tuple(fc.constantFrom(' ', '\t', '\n', '\r', '  '), fc.constantFrom('2024-06-01'), fc.boolean()).map(([c, date, before]) => ({
    raw: before ? `${c}${date}` : `${date}${c}`,
    why: `surrounding whitespace ${JSON.stringify(c)} (may be trimmed)`,
    open: true,
  }));
  const overlong = fc.integer({ min: 2000, max: 4000 }).map((n) => ({ raw: `2024-06-01${'9'.repeat(n)}`, why: `overlong (${n + 10} characters)` }));
  const control = fc
    .tuple(fc.constantFrom('\u0000', '\u001f', '\u007f'), fc.constantFrom('2024-06-01'), fc.boolean())
    .map(([c, date, before]) => ({ raw: before ? `${c}${date}` : `${date}${c}`, why: `control character ${JSON.stringify(c)}` }));
  return [impossible, fixed('out of range'), fixed('wrong format'), overlong, control, fixed('separator'), open, empty, padded].map((arbitrary) =>
    arbitrary.filter(({ raw }) => !parameter.validate(raw)),
  );
}

/** ISO 8601 forms the schema's RFC 3339 formats leave out: the page says "ISO 8601", so accepting or rejecting them both keep the contract. */
const otherIso8601 = fc.constantFrom('20240601', '2024-W22-6', '2024-153', '2024-06-01T10:00Z', '20240601T100000Z', '2024-06');

/** A query that breaks a date parameter: a broken value, the parameter repeated, or in array or object syntax. */
function invalidUsageQueries(
  start: ParameterModel,
  end: ParameterModel,
): Array<fc.Arbitrary<{ query: Array<[string, string]>; expect: InputExpectation; advisory?: AdvisoryRule; why: string }>> {
  const parameter = fc.constantFrom(start, end);
  const broken = invalidDateValues(start).map((values) =>
    fc.tuple(parameter, values).map(([p, v]) => ({
      query: [[p.name, encode(v.raw)]] as Array<[string, string]>,
      expect: 'rejected' as const,
      ...(v.open ? { advisory: 'negative_data_rejection' as const } : {}),
      why: `${p.name}: ${v.why} ${JSON.stringify(v.raw.length > 60 ? `${v.raw.slice(0, 60)}…` : v.raw)}`,
    })),
  );
  // A repeated parameter: the schema is one string, but the page does not say what two values mean (most frameworks take
  // the first or the last; some refuse): refusing is one reading, so a 2xx is an advisory. The values are distinct
  // instants (two spellings of one instant are not a conflict), starts in the past and ends in the far future.
  const repeatedValues = (p: ParameterModel): fc.Arbitrary<string[]> =>
    fc.uniqueArray(validDateValue(p, p === end ? { min: 2100, max: 2199 } : { min: 1970, max: 2023 }), {
      minLength: 2,
      maxLength: 3,
      selector: (v) => boundInstant(v, p === end ? 'end' : 'start'),
    });
  const repeated = parameter
    .chain((p) => repeatedValues(p).map((values) => [p, values] as const))
    .map(([p, values]) => ({
      query: values.map((v): [string, string] => [p.name, encode(v)]),
      expect: 'rejected' as const,
      advisory: 'negative_data_rejection' as const,
      why: `${p.name} repeated with ${values.length} different instants (${values.map((v) => JSON.stringify(v)).join(', ')}): the page does not say which one counts`,
    }));
  const otherForms = fc.tuple(parameter, otherIso8601).map(([p, v]) => ({
    query: [[p.name, encode(v)]] as Array<[string, string]>,
    expect: 'either' as const,
    why: `${p.name}: ISO 8601 but not RFC 3339 ${JSON.stringify(v)} (the page says ISO 8601, the schema RFC 3339: either answer keeps the contract)`,
  }));
  const unknown = fc
    .tuple(fc.constantFrom('foo', 'start', 'startDate', 'start_date[]', 'end_date[from]', 'page'), fc.constantFrom('1', '2024-06-01', ''))
    .map(([name, value]) => ({
      query: [[encode(name), encode(value)]] as Array<[string, string]>,
      expect: 'either' as const,
      why: `unknown parameter ${JSON.stringify(name)} (the document neither allows nor forbids others: either answer keeps the contract)`,
    }));
  return [...broken, repeated, otherForms, unknown];
}

/** Ids no run configures: drawn from the id's schema (any non-empty string), never one of the target's ids in any letter case. */
let idArbitrariesMade: { plain: fc.Arbitrary<string>; anyText: fc.Arbitrary<string>; seed: fc.Arbitrary<string> } | undefined;

/** The id arbitraries every operation's categories share, made once per process (each costs fast-check ~5–15 ms to build). */
function idArbitraries(): NonNullable<typeof idArbitrariesMade> {
  return (idArbitrariesMade ??= {
    plain: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    anyText: fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' }),
    seed: fc.stringMatching(/^[a-z0-9_]{1,12}$/),
  });
}

function missingId(parameter: ParameterModel, target: GenerationTarget): fc.Arbitrary<string> {
  const known = new Set(
    [target.customerId, target.missingCustomerId, target.otherCustomerId, target.deleteCustomerId]
      .filter((id): id is string => !!id)
      .map((id) => id.toLowerCase()),
  );
  const { plain, anyText } = idArbitraries();
  return fc
    .oneof({ arbitrary: plain, weight: 3 }, { arbitrary: anyText, weight: 1 })
    .filter((id) => parameter.validate(id) && !known.has(id.toLowerCase()) && !/[/\\\u0000-\u001f\u007f]/.test(id) && id !== '.' && id !== '..');
}

/** Hostile ids for a GET: encoded separators, control characters, 4,000 characters, another letter case, a trailing slash. */
function hostileIds(
  target: GenerationTarget,
): Array<fc.Arbitrary<{ segment: string; credential: GeneratedCredential; expect: InputExpectation; why: string; trailingSlash?: boolean }>> {
  // The trailing-slash probe goes to a customer its credential may read (the disposable one, with its own token), so the
  // answer shows how the API treats the slash, not a cross-tenant refusal; without a disposable credential it goes unauthenticated.
  const slashed =
    target.hasDisposableCredential && target.deleteCustomerId
      ? { id: target.deleteCustomerId, credential: 'disposable' as const, whose: "the disposable customer's own id, with its own token" }
      : { id: target.customerId, credential: 'none' as const, whose: "the customer's id without a credential (no disposable credential in this run)" };
  // Encoded separators and control characters go through the relay only without the primary credential.
  const safe: GeneratedCredential = target.hasDisposableCredential ? 'disposable' : 'none';
  const { seed } = idArbitraries();
  return [
    fc
      .tuple(seed, fc.constantFrom('%2F', '%2f', '%2F%2F'))
      .map(([id, sep]) => ({ segment: `${encode(id)}${sep}x`, credential: safe, expect: 'rejected' as const, why: `encoded separator ${sep} in the id` })),
    fc
      .tuple(seed, fc.constant('%5C'))
      .map(([id, sep]) => ({ segment: `${encode(id)}${sep}x`, credential: safe, expect: 'rejected' as const, why: `encoded backslash ${sep} in the id` })),
    fc
      .tuple(seed, fc.constantFrom('%00', '%0A', '%0D', '%1F', '%7F'))
      .map(([id, c]) => ({ segment: `${encode(id)}${c}`, credential: safe, expect: 'rejected' as const, why: `control character ${c} in the id` })),
    fc
      .integer({ min: 3000, max: 4000 })
      .map((n) => ({ segment: 'c'.repeat(n), credential: 'primary' as const, expect: 'rejected' as const, why: `a ${n}-character id` })),
    fc.constantFrom('upper', 'title').map((how) => ({
      segment: encode(how === 'upper' ? target.customerId.toUpperCase() : target.customerId.charAt(0).toUpperCase() + target.customerId.slice(1)),
      credential: 'primary' as const,
      expect: 'either' as const,
      why: `the customer's id in another letter case (the page does not say whether ids are case-sensitive)`,
    })),
    fc.constant({
      segment: encode(slashed.id),
      trailingSlash: true,
      credential: slashed.credential,
      expect: 'either' as const,
      why: `a trailing slash on ${slashed.whose} (the page does not say whether /{id}/ is /{id})`,
    }),
  ];
}

/** The generated cases of one operation in one mode, as one arbitrary drawing from every category. */
export function caseArbitrary(model: OperationModel, mode: GenerationMode, target: GenerationTarget): fc.Arbitrary<GeneratedCase> {
  const categories = caseCategories(model, mode, target);
  return categories.length === 1 ? categories[0]! : fc.oneof(...categories);
}

/**
 * The generated cases of one operation in one mode, one arbitrary per category of input (an impossible date, a repeated
 * parameter, an encoded separator, …): the generated phase spreads its budget over them, so every category is tried at
 * least once per run and a rare one cannot slip through a small budget; fast-check seeds and shrinks within each.
 */
export function caseCategories(model: OperationModel, mode: GenerationMode, target: GenerationTarget): Array<fc.Arbitrary<GeneratedCase>> {
  const idParameter = model.parameters.find((p) => p.in === 'path' && p.name === 'customer_id');
  if (!idParameter) throw new Error(`${model.operationId}: the generators expect the customer_id path parameter`);
  const dates = model.parameters.filter((p) => p.in === 'query');
  const start = dates.find((p) => p.name === 'start_date');
  const end = dates.find((p) => p.name === 'end_date');
  const base = { operation: model.operationId, method: model.method };
  const own = encode(target.customerId);

  if (model.method === 'DELETE') {
    // DELETE only ever reaches an id that does not exist: with the disposable credential (the relay refuses the primary).
    const credential: GeneratedCredential = 'disposable';
    return [
      missingId(idParameter, target).map((id) => ({
        ...base,
        customerSegment: encode(id),
        query: [],
        credential,
        expect: 'not-found' as const,
        why: `customer_id ${JSON.stringify(id)} does not exist`,
      })),
    ];
  }
  if (mode === 'positive') {
    const known = new Set([target.customerId, target.missingCustomerId, target.otherCustomerId, target.deleteCustomerId].filter(Boolean));
    const pageShapedMissing = fc
      .stringMatching(pageShapedIdPattern)
      .filter((id) => !known.has(id) && idParameter.validate(id))
      .map((id) => ({ segment: encode(id), why: `customer_id ${JSON.stringify(id)} (the page's id shape) does not exist` }));
    const otherMissing = missingId(idParameter, target)
      .filter((id) => !pageShapedIdPattern.test(id))
      .map((id) => ({ segment: encode(id), why: `customer_id ${JSON.stringify(id)} does not exist` }));
    const plainQuery = pageFormOrNone(start, end);
    const anyValidQuery = start && end ? fc.oneof(plainQuery, validUsageQuery(start, end)) : plainQuery;
    const make = (
      segment: string,
      q: { query: Array<[string, string]>; why: string },
      credential: GeneratedCredential,
      expect: InputExpectation,
      why: string,
      open?: AdvisoryRule,
    ): GeneratedCase => ({
      ...base,
      customerSegment: segment,
      query: q.query,
      credential,
      expect,
      ...(open ? { advisory: open } : {}),
      why: [why, q.why || (start ? 'no dates (the default period)' : ''), credential === 'none' ? 'no Authorization header' : ''].filter(Boolean).join('; '),
    });
    const categories: Array<fc.Arbitrary<GeneratedCase>> = [
      // What every reading of the page serves: the configured customer, no dates or the page's own form of a range.
      plainQuery.map((q) => make(own, q, 'primary', 'accepted', 'the configured customer')),
      // A well-formed id no customer has, with a valid token: the page's 404.
      fc.tuple(pageShapedMissing, plainQuery).map(([id, q]) => make(id.segment, q, 'primary', 'not-found', id.why)),
      // Valid input without a credential: the page's 401.
      plainQuery.map((q) => make(own, q, 'none', 'unauthorised', 'the configured customer')),
      // Ids of other shapes: a 2xx is a break, which 4xx (400, 404, 414, 422) is an advisory.
      fc.tuple(otherMissing, anyValidQuery).map(([id, q]) => make(id.segment, q, 'primary', 'not-found', id.why, 'unknown_id_status')),
      // An unknown id without a credential: 401 or 404 first is the API's choice.
      fc.tuple(fc.oneof(pageShapedMissing, otherMissing), anyValidQuery).map(([id, q]) => make(id.segment, q, 'none', 'unauthorised', id.why, 'auth_order')),
    ];
    if (start && end) {
      // Other valid ISO 8601 forms: date-times, offsets, fractions, far years, one bound alone, long ranges.
      const other = validUsageQuery(start, end);
      categories.push(other.map((q) => make(own, q, 'primary', 'accepted', 'the configured customer', 'positive_data_acceptance')));
      categories.push(other.map((q) => make(own, q, 'none', 'unauthorised', 'the configured customer', 'auth_order')));
    }
    return categories;
  }
  const hostile = hostileIds(target).map((arbitrary) =>
    arbitrary.map((h) => ({
      ...base,
      customerSegment: h.segment,
      ...(h.trailingSlash ? { trailingSlash: true } : {}),
      query: [] as Array<[string, string]>,
      credential: h.credential,
      expect: h.expect,
      why: h.why,
    })),
  );
  if (!start || !end) return hostile;
  const badQueries = invalidUsageQueries(start, end).map((arbitrary) =>
    arbitrary.map((q) => ({
      ...base,
      customerSegment: own,
      query: q.query,
      credential: 'primary' as const,
      expect: q.expect,
      ...(q.advisory ? { advisory: q.advisory } : {}),
      why: q.why,
    })),
  );
  return [...badQueries, ...hostile];
}

/** The request path of a case, relative to the base URL: `cust_abc123/usage?start_date=…`. */
export function casePath(model: Pick<OperationModel, 'path'>, generated: Pick<GeneratedCase, 'customerSegment' | 'query' | 'trailingSlash'>): string {
  const path = `${model.path.replace('{customer_id}', generated.customerSegment).replace(/^\/+/, '')}${generated.trailingSlash ? '/' : ''}`;
  const search = generated.query.map(([name, value]) => `${name}=${value}`).join('&');
  return `${path}${search ? `?${search}` : ''}`;
}

/** The default run seed: derived from the document, so the same document sends the same requests (and the same API gets the same verdict). */
export function defaultRunSeed(document: unknown): number {
  return crypto.createHash('sha256').update(JSON.stringify(document)).digest().readUInt32BE(0) & 0x7fffffff;
}

/** How a test spreads its examples over its categories: each category's own seed and number of examples (at least one). */
export function categoryRuns(categoryCount: number, testSeedValue: number, examples: number): Array<{ seed: number; numRuns: number }> {
  return Array.from({ length: categoryCount }, (_, index) => ({
    seed: testSeed(testSeedValue, String(index)),
    numRuns: Math.max(1, Math.floor(examples / categoryCount) + (index < examples % categoryCount ? 1 : 0)),
  }));
}

/** A seed for one test from the run's seed and the test's name, so a test replays alone (--grep) as in the whole run. */
export function testSeed(runSeed: number, name: string): number {
  let hash = runSeed >>> 0;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash & 0x7fffffff;
}
