// The specs' HTTP clients: every request is remembered for its reproduction, and a 429 is retried after Retry-After within a budget.
import type { APIRequestContext, APIResponse } from '@playwright/test';
import type { CredentialUse, HttpMethodName, RequestRecord } from '../../contract';
import { credentialHeader, parseCredentialHeader, type CredentialName } from '../../relay/protocol';
import { maxThrottleRetries, waitAfterThrottle } from './throttle';

/** Extra headers, and the requests this one depends on (for its reproduction). */
export interface SendOptions {
  headers?: Readonly<Record<string, string>>;
  /** Requests that must come first to reproduce this one: a use-after-free GET needs its DELETE. */
  after?: readonly APIResponse[];
}

/** What a response was an answer to, and whether the client had to wait for it. */
export interface SentRequest {
  request: RequestRecord;
  throttle?: { retries: number; retryAfter: string | undefined; waitedMs: number };
}

const sent = new WeakMap<APIResponse, SentRequest>();

/** The request a response answers; throws for a response that did not come from a ContractClient. */
export function sentRequestOf(response: APIResponse): SentRequest {
  const found = sent.get(response);
  if (!found) throw new Error('this response was not sent through the api, disposableApi or anonymous fixture, so it cannot be judged or reproduced');
  return found;
}

/** A request context that talks to the relay as one credential (or none), remembering each request it sends. */
export class ContractClient {
  constructor(
    private readonly context: APIRequestContext,
    private readonly credential: CredentialName | undefined,
    private readonly authScheme: string,
  ) {}

  get(path: string, options: SendOptions = {}): Promise<APIResponse> {
    return this.send('GET', path, options);
  }

  delete(path: string, options: SendOptions = {}): Promise<APIResponse> {
    return this.send('DELETE', path, options);
  }

  private async send(method: HttpMethodName, path: string, options: SendOptions): Promise<APIResponse> {
    const request = this.describe(method, path, options);
    let retries = 0;
    let waitedMs = 0;
    let retryAfter: string | undefined;
    for (;;) {
      const response =
        method === 'GET'
          ? await this.context.get(path, { headers: { ...options.headers } })
          : await this.context.delete(path, { headers: { ...options.headers } });
      if (response.status() !== 429 || retries >= maxThrottleRetries) {
        sent.set(response, {
          request,
          ...(retries > 0 || response.status() === 429 ? { throttle: { retries, retryAfter: response.headers()['retry-after'] ?? retryAfter, waitedMs } } : {}),
        });
        return response;
      }
      retryAfter = response.headers()['retry-after'];
      const waited = await waitAfterThrottle(retryAfter);
      if (waited === undefined) {
        sent.set(response, { request, throttle: { retries, retryAfter, waitedMs } });
        return response;
      }
      waitedMs += waited;
      retries += 1;
    }
  }

  /** The request as a reproduction needs it: method, path and query, which credential under which scheme, other headers. */
  private describe(method: HttpMethodName, path: string, options: SendOptions): RequestRecord {
    const headers: Record<string, string> = {};
    let credential: CredentialUse = this.credential ? { kind: 'token', whose: this.credential, scheme: this.authScheme } : { kind: 'none' };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower === credentialHeader) {
        const parsed = parseCredentialHeader(value, this.authScheme);
        if (!('problem' in parsed)) credential = { kind: 'token', whose: parsed.name, scheme: parsed.scheme };
      } else if (lower === 'authorization') {
        credential = { kind: 'literal', authorization: value };
      } else {
        headers[lower] = value;
      }
    }
    const after = (options.after ?? []).map((response) => sentRequestOf(response).request);
    return {
      method,
      url: `/${path.replace(/^\/+/, '')}`,
      credential,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(after.length > 0 ? { after } : {}),
    };
  }
}
