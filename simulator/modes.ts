// The simulator's behaviour modes: faithful, plus one deliberate drift or fault each, and whether the contract gate must catch it.

/** What a mode is for, and how the mutation table treats it. */
export interface SimulatorModeSpec {
  /** One sentence: how this mode deviates from the documented API. */
  readonly description: string;
  /** Whether the contract gate must FAIL against this mode. */
  readonly breaking: boolean;
  /** Whether the mutation table runs the contract suite against this mode at all. */
  readonly gate: boolean;
  /** Latency applied to every response when the simulator was started without `latencyMs`. */
  readonly latencyMs?: number;
  /** Fraction of requests answering 500 when the simulator was started without `errorRate`. */
  readonly errorRate?: number;
}

export const simulatorModes = {
  faithful: {
    description: 'Implements the documented API exactly.',
    breaking: false,
    gate: true,
  },
  'renamed-field': {
    description: 'Renames data.apps_count to app_count (getCustomer) and usage.total_calls to total_call (getCustomerUsage).',
    breaking: true,
    gate: true,
  },
  'retyped-field': {
    description: 'Serves data.users_count (getCustomer) and usage.total_minutes (getCustomerUsage) as strings.',
    breaking: true,
    gate: true,
  },
  'missing-required-field': {
    description: 'Drops data.account_sid (getCustomer) and usage.sip_calls (getCustomerUsage).',
    breaking: true,
    gate: true,
  },
  'non-iso-date': {
    description: 'Serves created_at, updated_at and period start/end as "DD/MM/YYYY HH:mm:ss" instead of ISO 8601.',
    breaking: true,
    gate: true,
  },
  'changed-envelope': {
    description: "Wraps 200 bodies in the vendor token endpoint's envelope {RequestId, Status, Code, Data}.",
    breaking: true,
    gate: true,
  },
  'auth-ignored': {
    description: 'Ignores the Authorization header: any request, even without one, acts as the customer in the path.',
    breaking: true,
    gate: true,
  },
  'any-token': {
    description: 'Requires a Bearer Authorization header but accepts any token value.',
    breaking: true,
    gate: true,
  },
  'unknown-customer-200': {
    description: 'Answers 200 with a fabricated customer (customer_id = the requested id) for unknown ids.',
    breaking: true,
    gate: true,
  },
  'unknown-customer-500': {
    description: 'Answers 500 instead of 404 for unknown ids.',
    breaking: true,
    gate: true,
  },
  'auth-403': {
    description: 'Answers 403 instead of 401, with the same body.',
    breaking: true,
    gate: true,
  },
  'text-plain': {
    description: 'Serves every JSON body with Content-Type text/plain.',
    breaking: true,
    gate: true,
  },
  'html-errors': {
    description: 'Serves every error response as an HTML page (text/html).',
    breaking: true,
    gate: true,
  },
  'usage-period-ignored': {
    description: 'Always reports the default usage period, whatever start_date/end_date say, and never rejects them.',
    breaking: true,
    gate: true,
  },
  'delete-noop': {
    description: 'DELETE answers the documented 200 but deletes nothing.',
    breaking: true,
    gate: true,
  },
  'cross-tenant': {
    description: "Lets any valid customer token read and delete any other customer.",
    breaking: true,
    gate: true,
  },
  'undocumented-field': {
    description: 'Adds data.region (getCustomer) and data.usage.recording_minutes (getCustomerUsage); additive, so not breaking.',
    breaking: false,
    gate: true,
  },
  latency: {
    description: 'Faithful, with 250 ms latency on every response unless latencyMs is given.',
    breaking: false,
    gate: true,
    latencyMs: 250,
  },
  'error-rate': {
    description: 'Answers 500 to a deterministic half of the requests (every second one) unless errorRate is given.',
    breaking: true,
    gate: true,
    errorRate: 0.5,
  },
  'rate-limited': {
    description: 'Answers every request with 429 and Retry-After: 30.',
    breaking: true,
    gate: true,
  },
  'malformed-json': {
    description: 'Answers 200s with truncated JSON text labelled application/json.',
    breaking: true,
    gate: true,
  },
  'oversized-body': {
    description: 'Pads 200 bodies with an undocumented 5 MiB "padding" string property; additive, so not breaking.',
    breaking: false,
    gate: true,
  },
  slow: {
    description: "Faithful, with 15 s latency unless latencyMs is given; for the monitor's timeout tests, not the gate.",
    breaking: false,
    gate: false,
    latencyMs: 15_000,
  },
} as const satisfies Record<string, SimulatorModeSpec>;

export type SimulatorMode = keyof typeof simulatorModes;

/** Every mode name, in table order. */
export const simulatorModeNames = Object.keys(simulatorModes) as SimulatorMode[];

/** Whether a string names a simulator mode. */
export function isSimulatorMode(s: string): s is SimulatorMode {
  return Object.prototype.hasOwnProperty.call(simulatorModes, s);
}

/** The mode's table entry, typed as the common spec so optional defaults can be read. */
export function simulatorModeSpec(mode: SimulatorMode): SimulatorModeSpec {
  return simulatorModes[mode];
}
