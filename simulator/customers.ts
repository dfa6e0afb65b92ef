// The simulator's seeded customers, their per-run tokens, and the deterministic usage counters it reports for them.
import crypto from 'node:crypto';
import { loadContract, responseExample, type components } from '../contract';

import type { CustomerRole } from '../config/target';

/** Roles, and finding a customer by its role: config/target.ts, shared with the handoff of the embedded simulator. */
export { customerWithRole, type CustomerRole } from '../config/target';

type Schemas = components['schemas'];

/** A customer as the simulator stores it: the contract's `Customer` (types generated from the OpenAPI document). */
export type CustomerRecord = Schemas['Customer'];

/** The usage counters as the simulator reports them: the contract's `UsageCounters`. */
export type UsageCounters = Schemas['UsageCounters'];

/** A usage period as two instants (ISO strings, as served): the contract's `UsagePeriod`. */
export type UsagePeriod = Schemas['UsagePeriod'];

/** A seeded customer with the token that authorises it in this run. */
export interface SeededCustomer {
  readonly id: string;
  readonly token: string;
  readonly role: CustomerRole;
  readonly record: Readonly<CustomerRecord>;
}

/** The vendor's documented examples the simulator serves, read from the contract (not copied) on first use. */
interface DocumentedExamples {
  customer: CustomerRecord;
  usage: { customerId: string; period: UsagePeriod; usage: UsageCounters };
  deleteMessage: string;
}

let documentedExamples: DocumentedExamples | undefined;

// Read lazily: importing the simulator (or its mode table) loads no contract; the first customer seeded does, and it is
// the process's one contract (the gate's runner and the exporter have it already), not a second parse of the YAML.
function documented(): DocumentedExamples {
  if (!documentedExamples) {
    const contractDocument = loadContract().document;
    const customerExample = responseExample(contractDocument, 'getCustomer', 200) as Schemas['GetCustomerResponse'];
    const usageExample = responseExample(contractDocument, 'getCustomerUsage', 200) as Schemas['GetCustomerUsageResponse'];
    const deleteExample = responseExample(contractDocument, 'deleteCustomer', 200) as Schemas['DeleteCustomerResponse'];
    documentedExamples = {
      customer: customerExample.data,
      usage: { customerId: usageExample.data.customer_id, period: usageExample.data.period, usage: usageExample.data.usage },
      deleteMessage: deleteExample.message,
    };
  }
  return documentedExamples;
}

/** The documented DELETE success message. */
export function documentedDeleteMessage(): string {
  return documented().deleteMessage;
}

// The primary customer and its June 2024 usage are the vendor's examples; the other two are the simulator's own.
function customerSeeds(): ReadonlyArray<{ role: CustomerRole; record: CustomerRecord }> {
  return [
    { role: 'primary', record: documented().customer },
    {
      role: 'other',
      record: {
        customer_id: 'cust_other456',
        name: 'Globex Ltd',
        account_sid: 'globex_account_sid',
        status: 'active',
        apps_count: 2,
        users_count: 8,
        plan: { type: 'standard', max_apps: 3, max_users_per_app: 20 },
        created_at: '2023-11-02T14:30:00.000Z',
        updated_at: '2024-05-20T08:15:00.000Z',
      },
    },
    {
      role: 'disposable',
      record: {
        customer_id: 'cust_disposable789',
        name: 'Disposable Test Co',
        account_sid: 'disposable_account_sid',
        status: 'active',
        apps_count: 1,
        users_count: 2,
        plan: { type: 'starter', max_apps: 1, max_users_per_app: 5 },
        created_at: '2024-03-01T12:00:00.000Z',
        updated_at: '2024-03-01T12:00:00.000Z',
      },
    },
  ];
}

/** A fresh random simulator-only token (`sim_` + 24 base64url characters). */
export function randomSimulatorToken(): string {
  return `sim_${crypto.randomBytes(18).toString('base64url')}`;
}

/**
 * The seeded customers with their tokens: a given token per id where `tokens` has one, a random one otherwise.
 * Throws when `tokens` names an id that is not seeded, or gives an empty or shared token.
 */
export function seedCustomers(tokens: Partial<Record<string, string>> = {}): SeededCustomer[] {
  const seeds = customerSeeds();
  const seededCustomerIds = seeds.map((seed) => seed.record.customer_id);
  for (const id of Object.keys(tokens)) {
    if (!seededCustomerIds.includes(id)) {
      throw new Error(`tokens names ${id}, which is not a seeded customer (seeded: ${seededCustomerIds.join(', ')})`);
    }
  }
  const customers = seeds.map((seed) => {
    const given = tokens[seed.record.customer_id];
    if (given !== undefined && !/^\S+$/.test(given)) {
      throw new Error(`the token for ${seed.record.customer_id} must be non-empty and contain no whitespace`);
    }
    return { id: seed.record.customer_id, token: given ?? randomSimulatorToken(), role: seed.role, record: structuredClone(seed.record) };
  });
  if (new Set(customers.map((c) => c.token)).size !== customers.length) {
    throw new Error('each seeded customer needs its own token: two customers were given the same one');
  }
  return customers;
}

const dayMs = 86_400_000;

/**
 * Usage counters for a customer over a period: the documented example for cust_abc123 in June 2024,
 * otherwise derived from a hash of id and period, so the same question always gets the same answer.
 * total_calls = inbound + outbound = sip + pstn; active_apps ≤ apps_count; active_users ≤ users_count.
 */
export function usageCounters(customer: Readonly<CustomerRecord>, period: UsagePeriod): UsageCounters {
  const documentedUsage = documented().usage;
  if (customer.customer_id === documentedUsage.customerId && period.start === documentedUsage.period.start && period.end === documentedUsage.period.end) {
    return { ...documentedUsage.usage };
  }
  const hash = crypto.createHash('sha256').update(`${customer.customer_id}|${period.start}|${period.end}`).digest();
  const byte = (i: number): number => hash[i] ?? 0;
  const days = Math.max(1, Math.ceil((Date.parse(period.end) - Date.parse(period.start) + 1000) / dayMs));
  const totalCalls = (20 + (hash.readUInt16BE(0) % 200)) * days;
  const inboundCalls = Math.floor((totalCalls * (30 + (byte(2) % 50))) / 100);
  const sipCalls = Math.floor((totalCalls * (50 + (byte(3) % 45))) / 100);
  return {
    total_calls: totalCalls,
    total_minutes: totalCalls * (1 + (byte(4) % 5)) + (byte(5) % 60),
    inbound_calls: inboundCalls,
    outbound_calls: totalCalls - inboundCalls,
    sip_calls: sipCalls,
    pstn_calls: totalCalls - sipCalls,
    active_apps: byte(6) % (customer.apps_count + 1),
    active_users: byte(7) % (customer.users_count + 1),
  };
}
