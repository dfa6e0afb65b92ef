// The reference simulator's own tests: faithful behaviour per operation, its options, every drift mode, and its CLI.
import net from 'node:net';
import { test as base, expect } from '@playwright/test';
import { UserError } from '../config/errors';
import { loadContract } from '../contract';
import { responseExample } from '../contract/openapi';
import type { CustomerRole } from '../simulator/customers';
import { parseSimulatorMode, simulatorModeNames, simulatorModes, type SimulatorMode } from '../simulator/modes';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator/server';
import { runProcess, startProcess, tsxCommand, type ProcessExit } from './helpers/processes';

const primaryId = 'cust_abc123';
const otherId = 'cust_other456';
const disposableId = 'cust_disposable789';
const missingId = 'cust_does_not_exist_000';

const contractDocument = loadContract();

/** The vendor's example for an operation's 200, as the OpenAPI document holds it (the one source of shapes and examples). */
function documentedExample(operationId: string): Record<string, unknown> & { data?: Record<string, unknown> } {
  return responseExample(contractDocument.document, operationId, 200) as Record<string, unknown> & { data?: Record<string, unknown> };
}

const documentedCustomer = documentedExample('getCustomer');
const documentedUsage = documentedExample('getCustomerUsage');
const documentedDelete = documentedExample('deleteCustomer');
const juneUsage = `/${primaryId}/usage?start_date=2024-06-01&end_date=2024-06-30`;

/** The contract's validators for each response shape, from the suite's one loader. */
const schemaResponses = {
  GetCustomerResponse: ['getCustomer', 200],
  GetCustomerUsageResponse: ['getCustomerUsage', 200],
  DeleteCustomerResponse: ['deleteCustomer', 200],
  ErrorResponse: ['getCustomer', 401],
} as const;
type ContractSchema = keyof typeof schemaResponses;

function contractErrors(name: ContractSchema, body: unknown): string[] {
  const [operationId, status] = schemaResponses[name];
  const { validate } = contractDocument.response(operationId, status);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

type Role = CustomerRole;

interface CallOptions {
  method?: 'GET' | 'DELETE' | 'POST';
  /** Whose token to send as Bearer; omit for no Authorization header. */
  as?: Role;
  /** A literal Authorization header value (wins over `as`). */
  authorization?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

interface CallResult {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  body: unknown;
}

function tokenOf(sim: RunningSimulator, role: Role): string {
  return sim.customer(role).token;
}

async function call(sim: RunningSimulator, pathAndQuery: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.as) headers.authorization = `Bearer ${tokenOf(sim, options.as)}`;
  const res = await fetch(`${sim.baseUrl}${pathAndQuery}`, { method: options.method ?? 'GET', headers, signal: options.signal });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', text, body };
}

function expectError(res: CallResult, status: number, what: string): void {
  expect(res.status, `${what}: status (body ${res.text.slice(0, 200)})`).toBe(status);
  expect(res.contentType, `${what}: content type`).toBe('application/json; charset=utf-8');
  expect(contractErrors('ErrorResponse', res.body), `${what}: error body matches the contract's ErrorResponse`).toEqual([]);
}

const test = base.extend<{ simulatorOptions: SimulatorOptions; sim: RunningSimulator }>({
  simulatorOptions: [{}, { option: true }],
  sim: async ({ simulatorOptions }, use) => {
    const sim = await startSimulator(simulatorOptions);
    await use(sim);
    await sim.stop();
  },
});

test.describe('GET /{customer_id}', () => {
  test('answers the documented example for cust_abc123', async ({ sim }) => {
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expect(res.status, 'status').toBe(200);
    expect(res.contentType, 'content type').toBe('application/json; charset=utf-8');
    expect(res.body, 'body is the documented example').toEqual(documentedCustomer);
    expect(contractErrors('GetCustomerResponse', res.body), 'body matches the contract').toEqual([]);
  });

  test('answers each seeded customer with a contract-valid body under its own token', async ({ sim }) => {
    for (const customer of sim.customers) {
      const res = await call(sim, `/${customer.id}`, { as: customer.role });
      expect(res.status, `${customer.id} status`).toBe(200);
      expect(contractErrors('GetCustomerResponse', res.body), `${customer.id} body matches the contract`).toEqual([]);
    }
  });

  test('answers 404 for an unknown customer', async ({ sim }) => {
    const res = await call(sim, `/${missingId}`, { as: 'primary' });
    expectError(res, 404, 'unknown customer');
    expect(res.body, 'message').toEqual({ success: false, message: 'Customer not found' });
  });

  test('answers 404 JSON for an unknown route', async ({ sim }) => {
    for (const route of ['/', `/${primaryId}/apps`, `/${primaryId}/usage/extra`]) {
      expectError(await call(sim, route, { as: 'primary' }), 404, `route ${route}`);
    }
    const outside = await fetch(`${sim.baseUrl.replace('/v2/integrations', '')}/elsewhere`);
    expect(outside.status, 'route outside the base path').toBe(404);
    expect(await outside.json(), 'outside body').toMatchObject({ success: false });
  });
});

test.describe('authorisation', () => {
  test('answers 401 without an Authorization header', async ({ sim }) => {
    expectError(await call(sim, `/${primaryId}`), 401, 'no header');
  });

  test('answers 401 for an unknown token, a non-Bearer scheme, and a raw token', async ({ sim }) => {
    const token = tokenOf(sim, 'primary');
    for (const authorization of ['Bearer sim_not_a_real_token', `Basic ${token}`, token, 'Bearer', `Bearer ${token} extra`]) {
      expectError(await call(sim, `/${primaryId}`, { authorization }), 401, `Authorization: ${authorization.replace(token, '<token>')}`);
    }
  });

  test('accepts the Bearer scheme in any case', async ({ sim }) => {
    const token = tokenOf(sim, 'primary');
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      expect((await call(sim, `/${primaryId}`, { authorization: `${scheme} ${token}` })).status, `scheme ${scheme}`).toBe(200);
    }
  });

  test("answers another tenant's token with 404, exactly like an unknown id", async ({ sim }) => {
    const crossTenant = await call(sim, `/${primaryId}`, { as: 'other' });
    const unknown = await call(sim, `/${missingId}`, { as: 'other' });
    expectError(crossTenant, 404, 'cross-tenant read');
    expect(crossTenant.body, 'same body as an unknown id').toEqual(unknown.body);
    expectError(await call(sim, `/${primaryId}/usage`, { as: 'other' }), 404, 'cross-tenant usage');
    expectError(await call(sim, `/${primaryId}`, { as: 'other', method: 'DELETE' }), 404, 'cross-tenant delete');
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).status, 'cross-tenant delete deleted nothing').toBe(200);
  });

  test('checks 401 before 404 before 400', async ({ sim }) => {
    expectError(await call(sim, `/${missingId}/usage?start_date=nope`), 401, 'no token, unknown id, bad date');
    expectError(await call(sim, `/${missingId}/usage?start_date=nope`, { as: 'primary' }), 404, 'unknown id, bad date');
    expectError(await call(sim, `/${primaryId}/usage?start_date=nope`, { as: 'other' }), 404, 'cross-tenant, bad date');
    expectError(await call(sim, `/${primaryId}/usage?start_date=nope`, { as: 'primary' }), 400, 'bad date');
  });

  test('uses the tokens it is given and random sim_ tokens otherwise', async () => {
    const sim = await startSimulator({ tokens: { [primaryId]: 'given-token-1' } });
    try {
      expect(tokenOf(sim, 'primary'), 'given token').toBe('given-token-1');
      expect(tokenOf(sim, 'other'), 'random token').toMatch(/^sim_[A-Za-z0-9_-]{24}$/);
      expect((await call(sim, `/${primaryId}`, { authorization: 'Bearer given-token-1' })).status, 'given token works').toBe(200);
    } finally {
      await sim.stop();
    }
    await expect(startSimulator({ tokens: { cust_nobody: 'x' } }), 'a token for an unseeded id is refused').rejects.toThrow(/not a seeded customer/);
  });
});

test.describe('GET /{customer_id}/usage', () => {
  test('answers the documented example for June 2024', async ({ sim }) => {
    const res = await call(sim, juneUsage, { as: 'primary' });
    expect(res.status, 'status').toBe(200);
    expect(res.body, 'body is the documented example').toEqual(documentedUsage);
    expect(contractErrors('GetCustomerUsageResponse', res.body), 'body matches the contract').toEqual([]);
  });

  test('echoes date-times as their UTC instant', async ({ sim }) => {
    const res = await call(sim, `/${primaryId}/usage?start_date=2024-06-01T05:30:00%2B05:30&end_date=2024-06-30T23:59:59Z`, { as: 'primary' });
    expect(res.status, 'status').toBe(200);
    expect(res.body, 'same period, same documented counters').toEqual(documentedUsage);
    const fraction = await call(sim, `/${primaryId}/usage?start_date=2024-06-01t10:00:00.5z`, { as: 'primary' });
    expect(fraction.body, 'fractional, lower-case date-time').toMatchObject({ data: { period: { start: '2024-06-01T10:00:00.500Z' } } });
  });

  test('defaults to the current UTC month up to the end of today', async ({ sim }) => {
    const now = new Date();
    const res = await call(sim, `/${primaryId}/usage`, { as: 'primary' });
    const year = now.getUTCFullYear();
    const month = now.getUTCMonth();
    expect(res.body, 'default period').toMatchObject({
      data: {
        period: {
          start: new Date(Date.UTC(year, month, 1)).toISOString(),
          end: new Date(Date.UTC(year, month, now.getUTCDate(), 23, 59, 59)).toISOString(),
        },
      },
    });
    expect(contractErrors('GetCustomerUsageResponse', res.body), 'body matches the contract').toEqual([]);
  });

  test('answers 400 naming the parameter for an invalid date', async ({ sim }) => {
    const invalid = ['', 'yesterday', '2024-02-30', '2023-02-29', '2024-13-01', '2024-6-1', '2024-06-01T25:00:00Z', '2024-06-01T10:00:00', '01/06/2024'];
    for (const name of ['start_date', 'end_date']) {
      for (const value of invalid) {
        const res = await call(sim, `/${primaryId}/usage?${name}=${encodeURIComponent(value)}`, { as: 'primary' });
        expectError(res, 400, `${name}=${JSON.stringify(value)}`);
        expect((res.body as { message: string }).message, `message names ${name}`).toContain(name);
      }
    }
    expectError(await call(sim, `/${primaryId}/usage?start_date=2024-06-01&start_date=2024-06-02`, { as: 'primary' }), 400, 'repeated start_date');
    expect((await call(sim, `/${primaryId}/usage?start_date=2024-02-29&end_date=2024-02-29`, { as: 'primary' })).status, 'a leap day is a date').toBe(200);
  });

  test('answers 400 when start_date is after end_date', async ({ sim }) => {
    expectError(await call(sim, `/${primaryId}/usage?start_date=2024-07-01&end_date=2024-06-30`, { as: 'primary' }), 400, 'start after end');
    expectError(await call(sim, `/${primaryId}/usage?start_date=2999-01-01`, { as: 'primary' }), 400, 'start after the default end');
    expect((await call(sim, `/${primaryId}/usage?start_date=2024-06-30&end_date=2024-06-30`, { as: 'primary' })).status, 'one day').toBe(200);
  });

  test('reports consistent counters that depend only on customer and period', async ({ sim }) => {
    const periods = ['start_date=2024-01-01&end_date=2024-01-31', 'start_date=2023-03-05&end_date=2024-03-04', 'start_date=2024-06-02&end_date=2024-06-02'];
    for (const customer of sim.customers) {
      const { body: details } = await call(sim, `/${customer.id}`, { as: customer.role });
      const { apps_count: appsCount, users_count: usersCount } = (details as { data: { apps_count: number; users_count: number } }).data;
      for (const query of periods) {
        const first = await call(sim, `/${customer.id}/usage?${query}`, { as: customer.role });
        const again = await call(sim, `/${customer.id}/usage?${query}`, { as: customer.role });
        const what = `${customer.id} ${query}`;
        expect(contractErrors('GetCustomerUsageResponse', first.body), `${what} matches the contract`).toEqual([]);
        expect(again.body, `${what} is deterministic`).toEqual(first.body);
        const u = (first.body as { data: { usage: Record<string, number> } }).data.usage;
        expect(u.inbound_calls! + u.outbound_calls!, `${what} inbound + outbound = total`).toBe(u.total_calls);
        expect(u.sip_calls! + u.pstn_calls!, `${what} sip + pstn = total`).toBe(u.total_calls);
        expect(u.active_apps, `${what} active_apps ≤ apps_count`).toBeLessThanOrEqual(appsCount);
        expect(u.active_users, `${what} active_users ≤ users_count`).toBeLessThanOrEqual(usersCount);
      }
    }
  });
});

test.describe('DELETE /{customer_id}', () => {
  test('deletes the customer, then answers 404 for every operation until reset', async ({ sim }) => {
    await test.step('DELETE answers the documented body', async () => {
      const res = await call(sim, `/${disposableId}`, { as: 'disposable', method: 'DELETE' });
      expect(res.status, 'status').toBe(200);
      expect(res.body, 'documented body').toEqual(documentedDelete);
      expect(contractErrors('DeleteCustomerResponse', res.body), 'body matches the contract').toEqual([]);
    });
    await test.step('GET, usage and a second DELETE answer 404', async () => {
      expectError(await call(sim, `/${disposableId}`, { as: 'disposable' }), 404, 'GET after delete');
      expectError(await call(sim, `/${disposableId}/usage`, { as: 'disposable' }), 404, 'usage after delete');
      expectError(await call(sim, `/${disposableId}`, { as: 'disposable', method: 'DELETE' }), 404, 'second DELETE');
    });
    await test.step('reset() restores the customer', async () => {
      sim.reset();
      expect((await call(sim, `/${disposableId}`, { as: 'disposable' })).status, 'GET after reset').toBe(200);
    });
  });
});

test.describe('Prefer: code=500', () => {
  test('answers the documented 500 to an authorised request', async ({ sim }) => {
    for (const [route, method] of [
      [`/${primaryId}`, 'GET'],
      [juneUsage, 'GET'],
      [`/${disposableId}`, 'DELETE'],
    ] as const) {
      const as: Role = route.startsWith(`/${disposableId}`) ? 'disposable' : 'primary';
      const res = await call(sim, route, { as, method, headers: { prefer: 'code=500' } });
      expectError(res, 500, `${method} ${route}`);
      expect(res.body, 'body').toEqual({ success: false, message: 'Internal server error' });
    }
    expect((await call(sim, `/${disposableId}`, { as: 'disposable' })).status, 'the DELETE that answered 500 deleted nothing').toBe(200);
  });

  test('still answers 401 first', async ({ sim }) => {
    expectError(await call(sim, `/${primaryId}`, { headers: { prefer: 'code=500' } }), 401, 'no token');
  });
});

test.describe('options', () => {
  test.describe('errorRate 0.5', () => {
    test.use({ simulatorOptions: { errorRate: 0.5 } });
    test('fails every second request', async ({ sim }) => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(sim, `/${primaryId}`, { as: 'primary' })).status);
      expect(statuses, 'statuses').toEqual([200, 500, 200, 500, 200, 500]);
    });
  });

  test.describe('rateLimitPerMinute 2', () => {
    test.use({ simulatorOptions: { rateLimitPerMinute: 2 } });
    test('answers 429 with Retry-After once exceeded', async ({ sim }) => {
      expect((await call(sim, `/${primaryId}`, { as: 'primary' })).status, 'first').toBe(200);
      expect((await call(sim, `/${primaryId}`, { as: 'primary' })).status, 'second').toBe(200);
      const third = await call(sim, `/${primaryId}`, { as: 'primary' });
      expectError(third, 429, 'third');
      expect(third.body, 'body').toEqual({ success: false, message: 'Rate limit exceeded' });
      expect(Number(third.headers.get('retry-after')), 'Retry-After seconds').toBeGreaterThanOrEqual(1);
      expect(Number(third.headers.get('retry-after')), 'Retry-After seconds').toBeLessThanOrEqual(60);
    });
  });

  test('counts requests and switches mode at run time', async ({ sim }) => {
    await call(sim, `/${primaryId}`, { as: 'primary' });
    await call(sim, '/nowhere/at/all');
    expect(sim.requestCount(), 'requests so far').toBe(2);
    sim.setMode('auth-403');
    expect(sim.mode, 'mode reflects setMode').toBe('auth-403');
    expect((await call(sim, `/${primaryId}`)).status, 'after setMode').toBe(403);
    sim.setMode('faithful');
    expect((await call(sim, `/${primaryId}`)).status, 'back to faithful').toBe(401);
  });

  test('stops without waiting for open connections: an idle keep-alive one and one stuck mid-request', async ({ sim }) => {
    await call(sim, `/${primaryId}`, { as: 'primary' });
    // A request whose headers never end: server.close() alone would wait for it until Node's 60 s headers timeout.
    const stuck = net.connect(sim.port, '127.0.0.1');
    // Being reset by the stopping server is the point.
    stuck.on('error', () => undefined);
    await new Promise<void>((resolve) => stuck.once('connect', resolve));
    stuck.write(`GET ${new URL(sim.baseUrl).pathname}/${primaryId} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    const closed = new Promise<void>((resolve) => stuck.once('close', () => resolve()));
    // Not a speed figure: a stop() that waited would take a minute, one that closes the connections takes milliseconds.
    const outcome = await Promise.race([sim.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting after 30 s'), 30_000))]);
    expect(outcome, 'stop() closes open connections instead of waiting for them').toBe('stopped');
    await closed;
  });
});

const bodyBreaks = (schema: ContractSchema, body: unknown, what: string): void => {
  expect(contractErrors(schema, body).length, `${what} violates the contract`).toBeGreaterThan(0);
};

// Partial: a new mode is one entry in simulator/modes.ts; the mutation table (contract-gate.test.ts) checks it from that entry.
const modeChecks: Partial<Record<SimulatorMode, (sim: RunningSimulator) => Promise<void>>> = {
  faithful: async (sim) => {
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).body, 'customer').toEqual(documentedCustomer);
    expect((await call(sim, juneUsage, { as: 'primary' })).body, 'usage').toEqual(documentedUsage);
  },
  'renamed-field': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body;
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body;
    expect(customer, 'app_count instead of apps_count').toMatchObject({ data: { app_count: 3 } });
    expect(usage, 'total_call instead of total_calls').toMatchObject({ data: { usage: { total_call: 5420 } } });
    bodyBreaks('GetCustomerResponse', customer, 'customer');
    bodyBreaks('GetCustomerUsageResponse', usage, 'usage');
  },
  'retyped-field': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body;
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body;
    expect(customer, 'users_count as a string').toMatchObject({ data: { users_count: '25' } });
    expect(usage, 'total_minutes as a string').toMatchObject({ data: { usage: { total_minutes: '18350' } } });
    bodyBreaks('GetCustomerResponse', customer, 'customer');
    bodyBreaks('GetCustomerUsageResponse', usage, 'usage');
  },
  'missing-required-field': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body as { data: object };
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body as { data: { usage: object } };
    expect(customer.data, 'no account_sid').not.toHaveProperty('account_sid');
    expect(usage.data.usage, 'no sip_calls').not.toHaveProperty('sip_calls');
    bodyBreaks('GetCustomerResponse', customer, 'customer');
    bodyBreaks('GetCustomerUsageResponse', usage, 'usage');
  },
  'non-iso-date': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body;
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body;
    expect(customer, 'DD/MM/YYYY dates').toMatchObject({ data: { created_at: '15/01/2024 09:00:00', updated_at: '15/06/2024 10:00:00' } });
    expect(usage, 'DD/MM/YYYY period').toMatchObject({ data: { period: { start: '01/06/2024 00:00:00', end: '30/06/2024 23:59:59' } } });
    bodyBreaks('GetCustomerResponse', customer, 'customer');
    bodyBreaks('GetCustomerUsageResponse', usage, 'usage');
  },
  'changed-envelope': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body;
    expect(customer, 'token-endpoint envelope').toMatchObject({ Status: 200, Code: 200, Data: documentedCustomer.data });
    expect(customer, 'has a RequestId').toHaveProperty('RequestId');
    bodyBreaks('GetCustomerResponse', customer, 'customer');
    bodyBreaks('DeleteCustomerResponse', (await call(sim, `/${disposableId}`, { as: 'disposable', method: 'DELETE' })).body, 'delete');
    expectError(await call(sim, `/${missingId}`, { as: 'primary' }), 404, 'errors keep the documented envelope');
  },
  'auth-ignored': async (sim) => {
    expect((await call(sim, `/${primaryId}`)).body, 'no header reads the customer').toEqual(documentedCustomer);
    expect((await call(sim, `/${primaryId}`, { authorization: 'Basic whatever' })).status, 'any header').toBe(200);
    expect((await call(sim, `/${primaryId}`, { as: 'other' })).status, "another tenant's token").toBe(200);
    expectError(await call(sim, `/${missingId}`), 404, 'unknown id still 404');
  },
  'any-token': async (sim) => {
    expect((await call(sim, `/${primaryId}`, { authorization: 'Bearer made-up' })).body, 'any Bearer token').toEqual(documentedCustomer);
    expectError(await call(sim, `/${primaryId}`), 401, 'a header is still required');
    expectError(await call(sim, `/${primaryId}`, { authorization: 'Basic made-up' }), 401, 'the Bearer scheme is still required');
  },
  'unknown-customer-200': async (sim) => {
    const res = await call(sim, `/${missingId}`, { as: 'primary' });
    expect(res.status, 'status').toBe(200);
    expect(res.body, 'fabricated customer').toMatchObject({ success: true, data: { customer_id: missingId } });
    expectError(await call(sim, `/${otherId}`, { as: 'primary' }), 404, 'cross-tenant still 404');
  },
  'unknown-customer-500': async (sim) => {
    expectError(await call(sim, `/${missingId}`, { as: 'primary' }), 500, 'unknown id');
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).body, 'known id').toEqual(documentedCustomer);
  },
  'auth-403': async (sim) => {
    const res = await call(sim, `/${primaryId}`);
    expect(res.status, 'status').toBe(403);
    expect(res.body, 'same body as the 401').toMatchObject({ success: false });
  },
  'text-plain': async (sim) => {
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expect(res.contentType, 'content type').toBe('text/plain; charset=utf-8');
    expect(res.body, 'still the documented JSON text').toEqual(documentedCustomer);
    expect((await call(sim, `/${primaryId}`)).contentType, 'errors too').toBe('text/plain; charset=utf-8');
  },
  'html-errors': async (sim) => {
    const res = await call(sim, `/${primaryId}`);
    expect(res.status, 'status').toBe(401);
    expect(res.contentType, 'content type').toBe('text/html; charset=utf-8');
    expect(res.text, 'an HTML page').toMatch(/^<!DOCTYPE html>/);
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).body, 'successes stay JSON').toEqual(documentedCustomer);
  },
  'usage-period-ignored': async (sim) => {
    const june = await call(sim, juneUsage, { as: 'primary' });
    expect(june.status, 'status').toBe(200);
    expect((june.body as { data: { period: { start: string } } }).data.period.start, 'not the requested start').not.toBe('2024-06-01T00:00:00.000Z');
    expect((await call(sim, `/${primaryId}/usage?start_date=nope`, { as: 'primary' })).status, 'invalid date accepted').toBe(200);
  },
  'delete-noop': async (sim) => {
    expect((await call(sim, `/${disposableId}`, { as: 'disposable', method: 'DELETE' })).body, 'documented body').toEqual(documentedDelete);
    expect((await call(sim, `/${disposableId}`, { as: 'disposable' })).status, 'customer still there').toBe(200);
  },
  'cross-tenant': async (sim) => {
    expect((await call(sim, `/${primaryId}`, { as: 'other' })).body, "another tenant's token reads the customer").toEqual(documentedCustomer);
    expectError(await call(sim, `/${primaryId}`, { authorization: 'Bearer made-up' }), 401, 'invalid tokens still 401');
  },
  'undocumented-field': async (sim) => {
    const customer = (await call(sim, `/${primaryId}`, { as: 'primary' })).body;
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body;
    expect(customer, 'region added').toMatchObject({ data: { region: 'mum1' } });
    expect(usage, 'recording_minutes added').toMatchObject({ data: { usage: { recording_minutes: 1835 } } });
    expect(contractErrors('GetCustomerResponse', customer), 'customer still valid').toEqual([]);
    expect(contractErrors('GetCustomerUsageResponse', usage), 'usage still valid').toEqual([]);
  },
  latency: async (sim) => {
    const started = Date.now();
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expect(Date.now() - started, 'elapsed ms').toBeGreaterThanOrEqual(245);
    expect(res.body, 'faithful body').toEqual(documentedCustomer);
  },
  'error-rate': async (sim) => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(sim, `/${primaryId}`, { as: 'primary' })).status);
    expect(statuses, 'every second request fails').toEqual([200, 500, 200, 500]);
  },
  'rate-limited': async (sim) => {
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expectError(res, 429, 'first request');
    expect(res.headers.get('retry-after'), 'Retry-After').toBe('30');
  },
  'malformed-json': async (sim) => {
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expect(res.status, 'status').toBe(200);
    expect(res.contentType, 'claims JSON').toBe('application/json; charset=utf-8');
    expect(res.body, 'but does not parse').toBeUndefined();
    expect(res.text.length, 'non-empty text').toBeGreaterThan(0);
  },
  'oversized-body': async (sim) => {
    const res = await call(sim, `/${primaryId}`, { as: 'primary' });
    expect(res.text.length, 'over 5 MiB').toBeGreaterThan(5 * 1024 * 1024);
    expect(res.body, 'documented body plus padding').toMatchObject(documentedCustomer);
    expect(contractErrors('GetCustomerResponse', res.body), 'still valid').toEqual([]);
  },
  'fractional-minutes': async (sim) => {
    const usage = (await call(sim, juneUsage, { as: 'primary' })).body;
    expect(usage, 'total_minutes with half a minute').toMatchObject({ data: { usage: { total_minutes: 18350.5, total_calls: 5420 } } });
    bodyBreaks('GetCustomerUsageResponse', usage, 'usage');
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).body, 'getCustomer untouched').toEqual(documentedCustomer);
  },
  'error-key': async (sim) => {
    const res = await call(sim, `/${missingId}`, { as: 'primary' });
    expect(res.status, 'status').toBe(404);
    expect(res.contentType, 'still JSON').toBe('application/json; charset=utf-8');
    expect(res.body, 'the message under "error"').toEqual({ error: 'Customer not found' });
    bodyBreaks('ErrorResponse', res.body, '404 body');
    expect((await call(sim, `/${primaryId}`)).body, '401 too').toMatchObject({ error: expect.stringContaining('Authorization') });
    expect((await call(sim, `/${primaryId}`, { as: 'primary' })).body, 'successes untouched').toEqual(documentedCustomer);
  },
  slow: async (sim) => {
    await expect(call(sim, `/${primaryId}`, { as: 'primary', signal: AbortSignal.timeout(500) }), 'no answer within 500 ms').rejects.toThrow();
  },
};

test.describe('modes', () => {
  test('SIMULATOR_MODE is read one way: blank is faithful, a mode name is trimmed, anything else is a UserError listing the modes', () => {
    expect(parseSimulatorMode(undefined)).toBe('faithful');
    expect(parseSimulatorMode('  ')).toBe('faithful');
    expect(parseSimulatorMode(' retyped-field ')).toBe('retyped-field');
    for (const raw of ['nope', 'Faithful', 'toString', '__proto__']) {
      expect(() => parseSimulatorMode(raw), raw).toThrow(UserError);
      expect(() => parseSimulatorMode(raw), raw).toThrow(
        new RegExp(`^SIMULATOR_MODE "${raw}" is not a simulator mode: use one of faithful, renamed-field, .* \\(`),
      );
    }
  });

  test('importing the simulator parses no YAML: the contract is read when the first simulator starts', async () => {
    // A child process, so that this file's own imports (which load the contract) do not count.
    const probe = [
      "const fs = require('node:fs');",
      'const read = fs.readFileSync;',
      'const yamls = [];',
      'fs.readFileSync = (file, ...rest) => { if (/\\.ya?ml$/.test(String(file))) yamls.push(String(file)); return read(file, ...rest); };',
      "require('./simulator/modes.ts'); require('./simulator/server.ts'); require('./simulator/customers.ts');",
      'console.log(JSON.stringify(yamls));',
    ].join('\n');
    const run = await runProcess(process.execPath, ['--import', 'tsx', '-e', probe]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout), 'YAML files read at import').toEqual([]);
  });

  for (const mode of simulatorModeNames) {
    test.describe(mode, () => {
      test.use({ simulatorOptions: { mode } });
      test(`deviates as described: ${simulatorModes[mode].description}`, async ({ sim }) => {
        expect(sim.mode, 'started in the mode').toBe(mode);
        const check = modeChecks[mode];
        if (check) {
          await check(sim);
          return;
        }
        // No check of its own: every operation answers, none with the error handler's 500 (a bug in a hook).
        for (const [route, method] of [
          [`/${primaryId}`, 'GET'],
          [juneUsage, 'GET'],
          [`/${disposableId}`, 'DELETE'],
        ] as const) {
          const res = await call(sim, route, { as: route.startsWith(`/${disposableId}`) ? 'disposable' : 'primary', method });
          expect(res.status, `${method} ${route}: ${res.text.slice(0, 200)}`).not.toBe(500);
        }
      });
    });
  }
});

/** The simulator CLI with only `env` set (no SIMULATOR_* variable of this process leaks in). */
function simulatorCli(env: Record<string, string>) {
  return startProcess(...tsxCommand('simulator/cli.ts'), { env });
}

function expectOneLineUserError(result: ProcessExit, mentions: RegExp): void {
  expect(result.code, `exit code (stderr: ${result.stderr})`).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(result.stderr, 'no stack frames').not.toMatch(/^\s*at /m);
  expect(result.stderr, 'says what to fix').toMatch(mentions);
}

test.describe('simulator CLI', () => {
  test('refuses an unknown mode with one line listing the valid ones', async () => {
    const result = await simulatorCli({ SIMULATOR_MODE: 'nope' }).exit;
    expectOneLineUserError(result, /SIMULATOR_MODE "nope".*faithful, renamed-field/);
  });

  test('refuses a non-numeric port, an error rate outside 0..1 and a misspelt variable, all in one line', async () => {
    const result = await simulatorCli({ SIMULATOR_PORT: 'http', SIMULATOR_ERROR_RATE: '1.5', SIMULATOR_LATENCY_M: '5' }).exit;
    expectOneLineUserError(
      result,
      /unknown variable SIMULATOR_LATENCY_M: did you mean SIMULATOR_LATENCY_MS\?.*SIMULATOR_PORT must be a whole number from 0 to 65535, not "http".*SIMULATOR_ERROR_RATE must be a number from 0 to 1, not "1.5"/,
    );
  });

  test('refuses a port in use', async ({ sim }) => {
    const result = await simulatorCli({ SIMULATOR_PORT: String(sim.port) }).exit;
    expectOneLineUserError(result, /already in use: set SIMULATOR_PORT/);
  });

  test('prints the base URL, mode and fake tokens, serves them, and stops on SIGTERM', async () => {
    const cli = simulatorCli({ SIMULATOR_PORT: '0' });
    await cli.waitFor(/cust_disposable789.*\n/);
    const banner = cli.stdout();
    expect(banner, 'mentions the mode').toContain('mode: faithful');
    expect(banner, 'says the tokens are fake').toContain('simulator-only fake tokens');
    const baseUrl = /listening: (\S+)/.exec(banner)?.[1];
    const token = /cust_abc123 \(primary\): (\S+)/.exec(banner)?.[1];
    expect(baseUrl, 'base URL printed').toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/integrations$/);
    const res = await fetch(`${baseUrl}/cust_abc123`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, 'the printed token works').toBe(200);
    const result = await cli.stop('SIGTERM');
    expect(result.code, `exit code (stderr: ${result.stderr})`).toBe(0);
    expect(result.stdout, 'says it stopped').toContain('simulator stopped');
  });
});

test.describe('faithful variants (each a reading of what the page leaves open; the gate must pass on each)', () => {
  /** One request per variant that shows its reading, and the status it answers (the faithful simulator answers otherwise). */
  const shows: ReadonlyArray<readonly [SimulatorMode, string, Role | undefined, number, number]> = [
    ['repeated-parameter-last-wins', `/${primaryId}/usage?start_date=2024-06-01&start_date=2024-06-02`, 'primary', 200, 400],
    ['repeated-parameter-first-wins', `/${primaryId}/usage?start_date=2024-06-01&end_date=2024-06-02&end_date=2024-06-03`, 'primary', 200, 400],
    ['fraction-digits-3', `/${primaryId}/usage?start_date=2024-06-01T00:00:00.123456Z`, 'primary', 400, 200],
    ['utc-only', `/${primaryId}/usage?start_date=2024-06-01T00:00:00%2B05:30`, 'primary', 400, 200],
    ['hour-24', `/${primaryId}/usage?start_date=2024-06-01T24:00:00Z`, 'primary', 200, 400],
    ['date-only', `/${primaryId}/usage?start_date=2024-06-01T00:00:00Z`, 'primary', 400, 200],
    ['empty-date-absent', `/${primaryId}/usage?start_date=`, 'primary', 200, 400],
    ['whitespace-trimmed', `/${primaryId}/usage?start_date=%202024-06-01%09`, 'primary', 200, 400],
    ['local-time-utc', `/${primaryId}/usage?start_date=2024-06-01T10:00:00`, 'primary', 200, 400],
    ['max-range-92-days', `/${primaryId}/usage?start_date=2024-01-01&end_date=2024-06-30`, 'primary', 400, 200],
    ['future-refused', `/${primaryId}/usage?end_date=2150-01-01`, 'primary', 400, 200],
    ['unknown-parameter-400', `/${primaryId}/usage?foo=1`, 'primary', 400, 200],
    ['unknown-404-before-auth', `/${missingId}`, undefined, 404, 401],
    ['long-id-414', `/${'c'.repeat(2000)}`, 'primary', 414, 404],
    ['malformed-id-400', `/a%20b`, 'primary', 400, 404],
    ['other-tenant-403', `/${otherId}`, 'primary', 403, 404],
  ];
  for (const [mode, path, as, status, faithfulStatus] of shows) {
    test(`${mode}: ${simulatorModes[mode].description}`, async () => {
      expect(simulatorModes[mode].gate.verdict).toBe('passes');
      for (const [which, expected] of [
        [mode, status],
        ['faithful', faithfulStatus],
      ] as const) {
        const sim = await startSimulator({ mode: which });
        try {
          const res = await call(sim, path, as ? { as } : {});
          expect(res.status, `${which}: ${path.slice(0, 80)} (${res.text.slice(0, 120)})`).toBe(expected);
          if (expected === 200) expect(contractErrors('GetCustomerUsageResponse', res.body)).toEqual([]);
          else expectError(res, expected, which);
        } finally {
          await sim.stop();
        }
      }
    });
  }

  test('future-clamped ends a range at today; whole-days widens a date-time range to whole UTC days', async () => {
    const clamped = await startSimulator({ mode: 'future-clamped' });
    try {
      const res = await call(clamped, `/${primaryId}/usage?start_date=2024-06-01&end_date=2150-01-01`, { as: 'primary' });
      const period = (res.body as { data: { period: { end: string } } }).data.period;
      expect(Date.parse(period.end)).toBeLessThan(Date.parse('2150-01-01'));
    } finally {
      await clamped.stop();
    }
    const days = await startSimulator({ mode: 'whole-days' });
    try {
      const res = await call(days, `/${primaryId}/usage?start_date=2024-06-01T08:30:00Z&end_date=2024-06-02T17:45:00Z`, { as: 'primary' });
      expect((res.body as { data: { period: unknown } }).data.period).toEqual({ start: '2024-06-01T00:00:00.000Z', end: '2024-06-02T23:59:59.000Z' });
    } finally {
      await days.stop();
    }
  });

  test("token-revoked-after-delete answers 401 to the deleted customer's token; gone-410 answers 410", async () => {
    for (const [mode, status] of [
      ['token-revoked-after-delete', 401],
      ['gone-410', 410],
      ['faithful', 404],
    ] as const) {
      const sim = await startSimulator({ mode });
      try {
        expect((await call(sim, `/${disposableId}`, { method: 'DELETE', as: 'disposable' })).status).toBe(200);
        expectError(await call(sim, `/${disposableId}`, { as: 'disposable' }), status, mode);
      } finally {
        await sim.stop();
      }
    }
  });
});
