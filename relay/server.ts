// A loopback relay that adds the Authorization header on the way out, so no token ever enters Playwright's traces, reports
// or the workers. Global setup starts it in the runner; the workers reach it with the run's key.
//
// Three parts, each in its own file: the policy (relay/policy.ts: `decide`, a pure function holding every URL, method,
// credential and customer rule), the exchange with the target (relay/upstream.ts: never followed, bounded in size and
// time, inflated under the cap, the token scrubbed from what goes back), the run's request budget (relay/budget.ts) and
// its rule for requests in flight at once (relay/in-flight.ts: a DELETE goes alone).
// This file only joins them to a socket. It never throws: a refusal is a 403 (413, 429) and an upstream failure a 502,
// both with the relay-error header and a redacted one-line message.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { authorizationValue, type TargetConfig } from '../config/target';
import { prepareRedaction, redactBytes, redactText, type Secret } from '../config/secret';
import { busiestMinute, RequestBudget, type BudgetRule } from './budget';
import { RelayRefusal, UpstreamFailure } from './errors';
import { InFlightRule } from './in-flight';
import { decide, policyTarget } from './policy';
import { phaseHeader, relayErrorHeader, type CredentialName } from './protocol';
import { decode, defaultBodyLimitBytes, exchange, headerTexts, printable, readCapped, scrubHeaders, stillHolds, type UpstreamAnswer } from './upstream';

export interface CredentialRelayOptions {
  /** The run's secret, at least 32 characters; only the workers know it (global setup makes it with crypto.randomBytes). */
  key: string;
  /** Largest body accepted from the target, before and after inflating; default 8 MiB (the gate passes CONTRACT_BODY_LIMIT_BYTES). */
  bodyLimitBytes?: number;
  /** Longest a whole exchange with the target may take; default 20 s (less than a test's 30 s, so the spec says why). */
  upstreamTimeoutMs?: number;
  /** The run's request budget (CONTRACT_MAX_REQUESTS_PER_MINUTE), shared by every request through the relay; none: unlimited (the embedded simulator). */
  budget?: RequestBudget | BudgetRule;
  /** Longest a request waits for the budget before the relay answers 429 itself, with Retry-After; default 20 s (a test has 30 s). */
  maxBudgetWaitMs?: number;
}

export interface CredentialRelay {
  /** Relay root, with a trailing slash: requests to `${url}cust_1/usage` reach `${baseUrl}/cust_1/usage`. */
  url: string;
  /** What the relay has sent to the target so far, by method (refused requests never reach it and are not counted). */
  sent(): RelayTraffic;
  stop(): Promise<void>;
}

/** The requests a run sent to its target: what `requests.json` reports. */
export interface RelayTraffic {
  requests: number;
  byMethod: Record<string, number>;
  /** Of these, the generated phase's (its client marks them with the phase header). */
  generated: number;
  /** The most requests sent in any 60-second window. */
  busiestMinute: number;
}

/** Starts the relay on a free loopback port in front of the target. */
export async function startCredentialRelay(target: TargetConfig, options: CredentialRelayOptions): Promise<CredentialRelay> {
  if (options.key.length < 32) throw new Error('the relay key must be at least 32 characters (make it with crypto.randomBytes)');
  const limit = options.bodyLimitBytes ?? defaultBodyLimitBytes;
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error(`the relay's body limit must be a positive integer of bytes, not ${limit}`);
  const timeoutMs = options.upstreamTimeoutMs ?? 20_000;
  const maxBudgetWaitMs = options.maxBudgetWaitMs ?? 20_000;
  const budget = options.budget instanceof RequestBudget ? options.budget : options.budget ? new RequestBudget(options.budget) : undefined;
  const client = new URL(target.baseUrl).protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const tokens: Record<CredentialName, Secret | undefined> = { primary: target.token, disposable: target.deleteToken };
  const secrets = [target.token, target.deleteToken];
  const policy = policyTarget(target);
  const access = { ownHost: '', key: options.key };
  const inFlight = new Set<AbortController>();
  const alone = new InFlightRule();
  const traffic = { requests: 0, byMethod: {} as Record<string, number>, generated: 0, times: [] as number[] };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const decision = decide({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }, policy, access);
    if (decision.kind === 'refusal') throw new RelayRefusal(decision.status, decision.reason);
    const { method, url, headers, credential } = decision;
    if (credential) headers.authorization = authorizationValue(credential.scheme, tokens[credential.name]!);
    const body = await readCapped(req, limit, 'request');
    if (body.length > 0) throw new RelayRefusal(403, 'the relay sends no request body: the specs never need one');
    // A DELETE goes alone: it waits for the requests in flight, and holds the later ones until it is answered. Before the
    // budget, so a request is sent when its token is booked.
    const leave = await alone.enter(method);
    let answer: UpstreamAnswer;
    try {
      if (budget) {
        const now = Date.now();
        const wait = budget.reserve(now, maxBudgetWaitMs);
        if (wait === undefined) {
          throw new RelayRefusal(
            429,
            `the relay held this request: the run's budget of ${budget.rule.perMinute} requests a minute (CONTRACT_MAX_REQUESTS_PER_MINUTE) is spent for more than ${maxBudgetWaitMs / 1000} s`,
            Math.ceil(budget.waitFor(now) / 1000),
          );
        }
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }

      const controller = new AbortController();
      inFlight.add(controller);
      // The spec gave up (timeout, worker gone): stop talking to the target too. Only while the exchange is in flight.
      res.on('close', () => {
        if (inFlight.has(controller)) controller.abort();
      });
      traffic.requests += 1;
      traffic.byMethod[method] = (traffic.byMethod[method] ?? 0) + 1;
      if (req.headers[phaseHeader] === 'generated') traffic.generated += 1;
      traffic.times.push(Date.now());
      try {
        answer = await exchange(client, agent, url, method, headers, body, limit, timeoutMs, controller.signal);
      } finally {
        inFlight.delete(controller);
      }
    } finally {
      leave();
    }
    const decoded = await decode(answer.body, answer.headers['content-encoding'], limit);
    const clean = redactBytes(decoded, secrets);
    const responseHeaders = scrubHeaders(answer.headers, secrets);
    responseHeaders['content-length'] = clean.length;
    const statusText = printable(redactText(answer.statusMessage, secrets));
    if (answer.status < 200 || answer.status > 999) throw new UpstreamFailure(`the target answered the impossible status ${answer.status}`);
    if (stillHolds(secrets, [statusText, ...headerTexts(responseHeaders), clean.toString('latin1')])) {
      throw new UpstreamFailure('the target echoed the token in a form the relay could not scrub, so its answer was dropped');
    }
    res.writeHead(answer.status, statusText || undefined, responseHeaders);
    res.end(clean);
  };

  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const fail = (error: unknown): void => {
      try {
        const status = error instanceof RelayRefusal || error instanceof UpstreamFailure ? error.status : 502;
        const message = printable(redactText(error instanceof Error ? error.message : String(error), secrets)).slice(0, 1000);
        if (res.headersSent) return void res.destroy();
        req.resume();
        const retryAfter = error instanceof RelayRefusal && error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : {};
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', [relayErrorHeader]: 'true', connection: 'close', ...retryAfter });
        res.end(message.startsWith('the relay') || message.startsWith('the target') ? message : `the relay failed: ${message}`);
      } catch {
        res.destroy();
      }
    };
    try {
      handle(req, res).catch(fail);
    } catch (error) {
      fail(error);
    }
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  access.ownHost = `127.0.0.1:${port}`;
  // Compiled while Playwright starts its workers (~1 s), not in global setup's path nor the first answer's (a first answer
  // sooner than this compiles them itself).
  setTimeout(() => prepareRedaction(secrets, ['bytes']), 150).unref();
  return {
    url: `http://${access.ownHost}/`,
    sent: () => ({
      requests: traffic.requests,
      byMethod: { ...traffic.byMethod },
      generated: traffic.generated,
      busiestMinute: busiestMinute(traffic.times),
    }),
    stop: async () => {
      for (const controller of inFlight) controller.abort();
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
