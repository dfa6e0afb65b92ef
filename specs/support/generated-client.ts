// The generated phase's client: any method through the credential relay, rate-bounded on a real target, 429 backed off, every request logged for replay checks.
import fs from 'node:fs';
import path from 'node:path';
import { test, type APIRequest, type APIRequestContext } from '@playwright/test';
import type { GeneratedExchange } from '../../contract/checks';
import type { GeneratedCredential } from '../../contract/generators';
import type { CredentialUse, GeneratedMethodName, RequestRecord } from '../../contract/records';
import { credentialHeader, relayErrorHeader, relayKeyHeader } from './credential-relay';
import { readRunHandoff, type TargetView } from './run-handoff';
import { maxThrottleRetries, waitAfterThrottle } from './throttle';

/** Name of the request log in the run's output folder: one JSON line per generated request, in order (the replay test compares two). */
export const requestLogName = 'generated-requests.jsonl';

let lastSentAt = 0;

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
  private constructor(
    private readonly context: APIRequestContext,
    private readonly target: TargetView,
    /** Minimum milliseconds between two requests (0: the embedded simulator is not limited). */
    private readonly minIntervalMs: number,
  ) {}

  static async open(request: APIRequest, target: TargetView, maxRps: number): Promise<GeneratedClient> {
    const { relayUrl, relayKey } = readRunHandoff();
    // No default Accept: the negotiation checks send their own; the others send application/json as the fixtures do.
    const context = await request.newContext({ baseURL: relayUrl, maxRedirects: 0, extraHTTPHeaders: { [relayKeyHeader]: relayKey } });
    return new GeneratedClient(context, target, target.kind === 'remote' ? 1000 / maxRps : 0);
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
  }

  /** Sends one request (waiting as CONTRACT_MAX_RPS and Retry-After ask) and returns what came back; never throws for an HTTP answer. */
  async send(request: GeneratedSend): Promise<GeneratedExchange> {
    const record = this.describe(request);
    logRequest(record);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.credential !== 'none') headers[credentialHeader] = request.credential;
    let retries = 0;
    let waitedMs = 0;
    for (;;) {
      await this.pace();
      const response = await this.context.fetch(request.path, { method: request.method, headers, maxRedirects: 0, failOnStatusCode: false });
      const responseHeaders = response.headers();
      const bodyText = request.method === 'HEAD' ? '' : (await response.body()).toString('utf8');
      const status = response.status();
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

  /** Waits so that requests to a real target stay under CONTRACT_MAX_RPS (per worker). */
  private async pace(): Promise<void> {
    if (this.minIntervalMs === 0) return;
    const wait = lastSentAt + this.minIntervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastSentAt = Date.now();
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
