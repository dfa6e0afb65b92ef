// The relay's rules as a table, without a socket: method × credential × id → forward or refuse (blackbox's
// TestHTTPStatusCodes style). Every row is a call of the pure `decide`; the socket tests (hostile-gate.test.ts) prove the
// server applies it.
import { expect, test } from '@playwright/test';
import fc from 'fast-check';
import { goesAlone, InFlightRule } from '../relay/in-flight';
import { nextSlot, RequestBudget, busiestMinute } from '../relay/budget';
import { RelayRefusal, UpstreamFailure } from '../relay/errors';
import { decide, type PolicyTarget, type RelayRequest } from '../relay/policy';
import { credentialHeader, parseCredentialHeader, relayKeyHeader } from '../relay/protocol';

const key = 'k'.repeat(40);
const access = { ownHost: '127.0.0.1:5000', key };
const target: PolicyTarget = {
  baseUrl: 'https://api.example.com/v2/integrations',
  customerId: 'cust_X',
  otherCustomerId: 'cust_other456',
  deleteCustomerId: 'cust_disposable789',
  readOnly: false,
  allowDelete: true,
  authScheme: 'Bearer',
  credentials: { primary: true, disposable: true },
};

type Credential = 'primary' | 'disposable' | 'none';

function request(method: string, path: string, credential: Credential, extra: Record<string, string> = {}): RelayRequest {
  return {
    method,
    url: path,
    headers: { host: access.ownHost, [relayKeyHeader]: key, ...(credential === 'none' ? {} : { [credentialHeader]: credential }), ...extra },
  };
}

function verdict(method: string, path: string, credential: Credential, on: PolicyTarget = target): 'forward' | 'refuse' {
  return decide(request(method, path, credential), on, access).kind === 'forward' ? 'forward' : 'refuse';
}

test.describe('the relay policy: method × credential × id', () => {
  const ids = {
    primary: '/cust_X',
    other: '/cust_other456',
    disposable: '/cust_disposable789',
    missing: '/cust_missing_0000',
    usage: '/cust_X/usage?from_date=2024-06-01',
  } as const;
  // Expected decision per method, credential and id (primary, other, disposable, missing, usage).
  const table: ReadonlyArray<[method: string, credential: Credential, expected: Record<keyof typeof ids, 'forward' | 'refuse'>]> = [
    ['GET', 'primary', { primary: 'forward', other: 'forward', disposable: 'forward', missing: 'forward', usage: 'forward' }],
    ['GET', 'disposable', { primary: 'forward', other: 'forward', disposable: 'forward', missing: 'forward', usage: 'forward' }],
    ['GET', 'none', { primary: 'forward', other: 'forward', disposable: 'forward', missing: 'forward', usage: 'forward' }],
    ['HEAD', 'primary', { primary: 'forward', other: 'forward', disposable: 'forward', missing: 'forward', usage: 'forward' }],
    ['OPTIONS', 'primary', { primary: 'forward', other: 'forward', disposable: 'forward', missing: 'forward', usage: 'forward' }],
    // The primary credential deletes exactly the disposable customer (the cross-tenant refusal check), nothing else.
    ['DELETE', 'primary', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'refuse', usage: 'refuse' }],
    ['DELETE', 'disposable', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'forward', usage: 'refuse' }],
    ['DELETE', 'none', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'forward', usage: 'refuse' }],
    ['PUT', 'primary', { primary: 'refuse', other: 'refuse', disposable: 'refuse', missing: 'refuse', usage: 'refuse' }],
    ['PUT', 'disposable', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'forward', usage: 'refuse' }],
    ['POST', 'none', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'forward', usage: 'refuse' }],
    ['PATCH', 'disposable', { primary: 'refuse', other: 'refuse', disposable: 'forward', missing: 'forward', usage: 'refuse' }],
    ['TRACE', 'disposable', { primary: 'refuse', other: 'refuse', disposable: 'refuse', missing: 'refuse', usage: 'refuse' }],
    ['CONNECT', 'none', { primary: 'refuse', other: 'refuse', disposable: 'refuse', missing: 'refuse', usage: 'refuse' }],
  ];
  for (const [method, credential, expected] of table) {
    test(`${method} with ${credential}`, () => {
      const got = Object.fromEntries(Object.entries(ids).map(([name, path]) => [name, verdict(method, path, credential)]));
      expect(got).toEqual(expected);
    });
  }

  test('a read-only run sends only safe methods; without API_ALLOW_DELETE no DELETE; without a disposable credential none is used', () => {
    const readOnly = { ...target, readOnly: true, allowDelete: false, deleteCustomerId: undefined, credentials: { primary: true, disposable: false } };
    expect(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'POST', 'PATCH'].map((m) => verdict(m, ids.missing, 'none', readOnly))).toEqual([
      'forward',
      'forward',
      'forward',
      'refuse',
      'refuse',
      'refuse',
      'refuse',
    ]);
    expect(verdict('DELETE', ids.missing, 'none', { ...target, allowDelete: false })).toBe('refuse');
    expect(verdict('GET', ids.primary, 'disposable', readOnly)).toBe('refuse');
  });
});

test.describe('every alias of a protected id is refused for every method but the safe ones', () => {
  const aliases = [
    'cust_X',
    'CUST_X',
    'cust_x',
    'cust_X;v=1',
    'cust_X.json',
    'cust_X.',
    'cust_X..json',
    'cust_X%2E',
    'cust_X%252E',
    'cust_X~',
    'cust_X%7E',
    'cust_X,1',
    'cust_X@x',
    '%63ust_X',
    '%EF%BD%83%EF%BD%95%EF%BD%93%EF%BD%94_X', // fullwidth ｃｕｓｔ
    'cust_%EF%BC%B8', // fullwidth Ｘ
    'cust_other456;jsessionid=1',
  ];
  for (const method of ['DELETE', 'PUT', 'POST', 'PATCH']) {
    for (const credential of ['disposable', 'none'] as const) {
      test(`${method} with ${credential}`, () => {
        const forwarded = aliases.filter((alias) => verdict(method, `/${alias}`, credential) === 'forward');
        expect(forwarded, 'aliases of a protected id that would be forwarded').toEqual([]);
      });
    }
  }

  test('ids that only begin like a protected one, and GET to an alias, still go', () => {
    for (const id of ['cust_X1', 'cust_X_2', 'cust_X-b', 'cust_X%C3%A9', 'cust_missing_0000'])
      expect(verdict('DELETE', `/${id}`, 'disposable'), id).toBe('forward');
    for (const alias of ['cust_X;v=1', 'cust_X.json', 'CUST_X']) expect(verdict('GET', `/${alias}`, 'primary'), alias).toBe('forward');
  });
});

test.describe('access, URL and credential rules', () => {
  test('another Host, no key or a wrong key, an unknown or doubled credential are refused, each saying why', () => {
    const cases: Array<[string, RelayRequest, RegExp]> = [
      [
        'another Host',
        { ...request('GET', '/cust_X', 'primary'), headers: { ...request('GET', '/cust_X', 'primary').headers, host: 'evil:80' } },
        /only requests to/,
      ],
      ['no key', { method: 'GET', url: '/cust_X', headers: { host: access.ownHost } }, /relay-key header is missing or wrong/],
      ['a wrong key', request('GET', '/cust_X', 'primary', { [relayKeyHeader]: `${key}x` }), /missing or wrong/],
      ['an unknown credential', request('GET', '/cust_X', 'none', { [credentialHeader]: 'admin' }), /no credential named "admin"/],
      ['a bad scheme', request('GET', '/cust_X', 'none', { [credentialHeader]: 'primary; scheme=a b' }), /not an HTTP auth scheme/],
      [
        'two credential headers',
        { method: 'GET', url: '/cust_X', headers: { host: access.ownHost, [relayKeyHeader]: key, [credentialHeader]: ['primary', 'disposable'] } },
        /one x-contract-credential header/,
      ],
      ['an absolute URL', request('GET', 'http://evil.example/x', 'primary'), /not a path under the target/],
      ['a dot segment', request('GET', '/cust_X/../../x', 'primary'), /dot segment/],
      ['an encoded separator with the primary credential', request('GET', '/cust_X%2Fx', 'primary'), /encoded separator/],
    ];
    for (const [name, req, why] of cases) {
      const decision = decide(req, target, access);
      expect(decision.kind, name).toBe('refusal');
      if (decision.kind === 'refusal') expect(decision.reason, name).toMatch(why);
    }
  });

  test('a forward names the upstream URL, the credential and scheme, and only the headers a spec needs', () => {
    const decision = decide(
      request('GET', '/cust_X/usage?from_date=2024-06-01', 'none', {
        [credentialHeader]: 'disposable; scheme=Basic',
        cookie: 'a=b',
        accept: 'application/json',
      }),
      target,
      access,
    );
    expect(decision).toEqual({
      kind: 'forward',
      method: 'GET',
      url: new URL('https://api.example.com/v2/integrations/cust_X/usage?from_date=2024-06-01'),
      headers: { accept: 'application/json', 'accept-encoding': 'identity' },
      credential: { name: 'disposable', scheme: 'Basic' },
    });
  });

  test('the credential header has one parser', () => {
    expect(parseCredentialHeader('primary', 'Bearer')).toEqual({ name: 'primary', scheme: 'Bearer' });
    expect(parseCredentialHeader(' disposable ; scheme=Basic', 'Bearer')).toEqual({ name: 'disposable', scheme: 'Basic' });
    expect(parseCredentialHeader('admin', 'Bearer')).toEqual({ problem: 'the relay has no credential named "admin"' });
  });

  test('refusals and upstream failures are different types with their own status', () => {
    expect(new RelayRefusal(403, 'x').status).toBe(403);
    expect(new UpstreamFailure('x').status).toBe(502);
    expect(new UpstreamFailure('x')).not.toBeInstanceOf(RelayRefusal);
  });
});

test.describe('the run budget: requests a minute as a token bucket, with a made-up clock', () => {
  test('the whole minute is the burst, then each token comes back 60 s after it was spent', () => {
    const budget = new RequestBudget({ perMinute: 3 });
    expect([0, 0, 0].map(() => budget.reserve(1_000))).toEqual([0, 0, 0]);
    // The fourth waits for the first token: back at 61 s.
    expect(budget.reserve(2_000)).toBe(59_000);
    expect(budget.reserve(2_000)).toBe(59_000);
    expect(budget.reserve(70_000)).toBe(0);
  });

  test('no 60-second window ever holds more than the budget, however requests arrive', () => {
    const budget = new RequestBudget({ perMinute: 150 });
    const sent: number[] = [];
    let now = 0;
    for (let i = 0; i < 1000; i++) {
      now += (i * 7919) % 13 === 0 ? 5000 : (i * 31) % 7;
      sent.push(now + budget.reserve(now)!);
    }
    expect(busiestMinute(sent)).toBe(150);
  });

  test('a wait longer than allowed books nothing', () => {
    const budget = new RequestBudget({ perMinute: 1 });
    expect(budget.reserve(0, 20_000)).toBe(0);
    expect(budget.reserve(1_000, 20_000)).toBeUndefined();
    expect(budget.reserve(60_000, 20_000)).toBe(0);
  });

  test('CONTRACT_MAX_RPS, deprecated, still spaces requests', () => {
    expect(nextSlot([0], 10, { perMinute: 150, minIntervalMs: 100 })).toBe(100);
    expect(nextSlot([0], 10, { perMinute: 150 })).toBe(10);
  });

  test('busiestMinute counts the most requests in any 60-second window', () => {
    expect(busiestMinute([])).toBe(0);
    expect(busiestMinute([0, 30_000, 59_999, 60_000, 61_000])).toBe(4);
  });
});

test.describe('requests in flight: any number of reads together, a DELETE alone (relay/in-flight.ts)', () => {
  /** Enters `method` and reports, without waiting on a clock, whether it was let in once pending callbacks ran. */
  function enter(rule: InFlightRule, method: string): { leave: () => void; admitted: () => boolean } {
    let leave: (() => void) | undefined;
    void rule.enter(method).then((fn) => (leave = fn));
    return {
      leave: () => {
        if (!leave) throw new Error(`${method} left before it was let in`);
        leave();
      },
      admitted: () => leave !== undefined,
    };
  }
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  test('reads go together; a DELETE waits for them, and the reads after it wait for it (first come, first served)', async () => {
    const rule = new InFlightRule();
    const a = enter(rule, 'GET');
    const b = enter(rule, 'GET');
    await settle();
    expect([a.admitted(), b.admitted()]).toEqual([true, true]);
    const deletion = enter(rule, 'DELETE');
    const later = enter(rule, 'GET');
    await settle();
    expect(deletion.admitted(), 'a DELETE waits for the reads in flight').toBe(false);
    expect(later.admitted(), 'a read behind a waiting DELETE does not overtake it').toBe(false);
    a.leave();
    await settle();
    expect(deletion.admitted()).toBe(false);
    b.leave();
    await settle();
    expect(deletion.admitted()).toBe(true);
    expect(later.admitted(), 'nothing goes while a DELETE is in flight').toBe(false);
    expect(rule.count()).toEqual({ shared: 0, alone: 1 });
    const second = enter(rule, 'delete');
    deletion.leave();
    deletion.leave();
    await settle();
    expect(later.admitted()).toBe(true);
    expect(second.admitted(), 'two DELETEs never overlap').toBe(false);
    later.leave();
    await settle();
    expect(second.admitted()).toBe(true);
    second.leave();
    expect(rule.count()).toEqual({ shared: 0, alone: 0 });
  });

  test('every unsafe method goes alone as a DELETE does (PUT, POST, PATCH: the generated phase sends them to see them refused); safe ones go together', () => {
    for (const method of ['DELETE', 'PUT', 'POST', 'PATCH', 'delete', 'TRACE']) expect(goesAlone(method), method).toBe(true);
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) expect(goesAlone(method), method).toBe(false);
  });

  test('whatever the order of arrivals and answers, never two DELETEs, nor a DELETE and anything else, in flight together', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ method: fc.constantFrom('GET', 'GET', 'HEAD', 'DELETE'), leaveAfter: fc.nat(5) }), { minLength: 1, maxLength: 30 }),
        async (arrivals) => {
          const rule = new InFlightRule();
          const inside = new Set<number>();
          const done = new Set<number>();
          const problems: string[] = [];
          const check = (): void => {
            const { shared, alone } = rule.count();
            if (alone > 1 || (alone > 0 && shared > 0)) problems.push(`in flight: ${shared} shared, ${alone} alone`);
          };
          const leaves = new Map<number, () => void>();
          arrivals.forEach(({ method }, i) => {
            void rule.enter(method).then((leave) => {
              inside.add(i);
              check();
              leaves.set(i, leave);
            });
          });
          // Answers come back in an order of the property's choosing, each once its request is in.
          for (let step = 0; done.size < arrivals.length && step < 1000; step++) {
            await settle();
            const ready = [...inside].filter((i) => !done.has(i));
            if (ready.length === 0) continue;
            const pick = ready[(arrivals[step % arrivals.length]!.leaveAfter + step) % ready.length]!;
            done.add(pick);
            leaves.get(pick)!();
            check();
          }
          expect(problems).toEqual([]);
          expect(done.size, 'every request got in and out (no one starved)').toBe(arrivals.length);
        },
      ),
    );
  });
});
