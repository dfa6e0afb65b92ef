// The generated phase's client: any method through the credential relay (which keeps the run's request budget), 429 backed off, every request logged for replay checks.
//
// It speaks node:http to the loopback relay instead of Playwright's request fixture: the generated phase sends about 100
// requests a run, and Playwright's API client costs a step, a captured stack and its protocol for each, about half the
// phase's time when measured (docs/benchmarks.md). Nothing is lost in safety: every byte still goes through the relay, which alone
// talks to the target (never follows a redirect, caps and scrubs every answer). What is lost: these requests are not
// steps of the HTML report or a trace; each one's record (method, URL, credential name, status, body, curl) is in the
// test's contract-record attachment and the run's request log instead.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from '@playwright/test';
import type { CredentialUse, GeneratedCredential, GeneratedExchange, GeneratedMethodName, RequestRecord } from '../../contract';
import { loadGateSettings } from '../../config/settings';
import { credentialHeader, phaseHeader, relayErrorHeader, relayKeyHeader } from '../../relay/protocol';
import { readRunHandoff, type TargetView } from './run-handoff';
import { maxThrottleRetries, waitAfterThrottle } from './throttle';

/** Name of the request log in the run's output folder: one JSON line per generated request, in order (the replay test compares two). */
export const requestLogName = 'generated-requests.jsonl';

export interface GeneratedSend {
  operation: string;
  method: GeneratedMethodName;
  /** Path and query relative to the base URL, already encoded. */
  path: string;
  credential: GeneratedCredential;
  headers?: Readonly<Record<string, string>>;
  /** Requests that must come first to reproduce this one. */
  after?: RequestRecord[];
}

/** Talks to the relay for the generated phase; one per test. */
export class GeneratedClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  private constructor(
    private readonly relayUrl: URL,
    private readonly relayKey: string,
    private readonly target: TargetView,
    /** The run's CONTRACT_BODY_LIMIT_BYTES: the most the relay passes on. */
    private readonly bodyLimitBytes: number,
  ) {}

  /**
   * A client for this test. The pace is no longer the client's: the relay spends one budget a minute for every request of
   * the run (CONTRACT_MAX_REQUESTS_PER_MINUTE; the deprecated CONTRACT_MAX_RPS, `_maxRps`, is applied there too).
   */
  static open(target: TargetView, _maxRps?: number): GeneratedClient {
    const { relayUrl, relayKey } = readRunHandoff();
    const url = new URL(relayUrl);
    if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname))
      throw new Error(`the generated phase only talks to the loopback credential relay, not ${url.origin}`);
    return new GeneratedClient(url, relayKey, target, loadGateSettings(process.env, undefined, { acceptedFindings: false }).bodyLimitBytes);
  }

  dispose(): void {
    this.agent.destroy();
  }

  /** Sends one request (the relay waits as the run's budget asks; this waits as Retry-After asks) and returns what came back; never throws for an HTTP answer. */
  async send(request: GeneratedSend): Promise<GeneratedExchange> {
    const record = this.describe(request);
    logRequest(record);
    // Accept: application/json as the fixtures send it, unless the request gives its own (the negotiation checks do).
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers, [relayKeyHeader]: this.relayKey, [phaseHeader]: 'generated' };
    if (request.credential !== 'none') headers[credentialHeader] = request.credential;
    // Resolved as Playwright resolves a path against its baseURL (WHATWG URL), so the relay sees the same request-target.
    const url = new URL(request.path, this.relayUrl);
    let retries = 0;
    let waitedMs = 0;
    for (;;) {
      const { status, headers: responseHeaders, body } = await this.exchange(request.method, url, headers);
      const bodyText = request.method === 'HEAD' ? '' : body.toString('utf8');
      if (status === 429 && retries < maxThrottleRetries) {
        const waited = await waitAfterThrottle(responseHeaders['retry-after']);
        if (waited !== undefined) {
          waitedMs += waited;
          retries += 1;
          continue;
        }
      }
      return {
        operation: request.operation,
        request: record,
        status,
        contentType: responseHeaders['content-type'],
        bodyText,
        headers: responseHeaders,
        ...(responseHeaders[relayErrorHeader] ? { noAnswer: bodyText } : {}),
        ...(status === 429 ? { throttle: { retries, retryAfter: responseHeaders['retry-after'], waitedMs } } : {}),
      };
    }
  }

  /** One request to the relay; the relay answers every request (its own failures are 502s), so only a broken relay rejects. */
  private exchange(method: string, url: URL, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const outgoing = http.request(url, { method, headers, agent: this.agent, timeout: relayTimeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // The relay already caps every body at CONTRACT_BODY_LIMIT_BYTES; this bound holds even if it did not.
          if (size > this.bodyLimitBytes + relaySlackBytes)
            outgoing.destroy(
              new Error(`the credential relay answered ${method} ${url.pathname} with more than ${this.bodyLimitBytes} bytes (CONTRACT_BODY_LIMIT_BYTES)`),
            );
          else chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: flatHeaders(response.headers), body: Buffer.concat(chunks) }));
      });
      outgoing.on('timeout', () =>
        outgoing.destroy(new Error(`the credential relay did not answer ${method} ${url.pathname} within ${relayTimeoutMs / 1000} s`)),
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  private describe(request: GeneratedSend): RequestRecord {
    const credential: CredentialUse =
      request.credential === 'none' ? { kind: 'none' } : { kind: 'token', whose: request.credential, scheme: this.target.authScheme };
    const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    return {
      method: request.method,
      url: `/${request.path.replace(/^\/+/, '')}`,
      credential,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(request.after && request.after.length > 0 ? { after: request.after } : {}),
    };
  }
}

/** Room above the body limit for what the relay writes itself (its 502 messages are one line). */
const relaySlackBytes = 64 * 1024;

/** Longer than the relay's own upstream limit (20 s), so a slow target is the relay's 502 with its reason, not a timeout here. */
const relayTimeoutMs = 25_000;

/** Response headers as Playwright's `headers()` gives them: lower-case names, repeated values joined (set-cookie by newlines). */
function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return flat;
}

/** Appends the request to the run's request log (method, path, credential name, headers; never a token). */
function logRequest(record: RequestRecord): void {
  const info = test.info();
  const file = path.join(info.project.outputDir, requestLogName);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(
    file,
    `${JSON.stringify({ test: info.titlePath.slice(1).join(' › '), method: record.method, url: record.url, credential: record.credential, headers: record.headers ?? {} })}\n`,
  );
}
