// The one fixtures module: every spec imports test and expect from here, never builds its own headers or base URL.
import { test as base, expect as baseExpect, type APIRequest, type APIRequestContext } from '@playwright/test';
import { credentialHeader, relayKeyHeader, type CredentialName } from '../relay/protocol';
import { contractMatchers } from './support/contract-matcher';
import { ContractClient } from './support/exchanges';
import { readRunHandoff, type TargetView } from './support/run-handoff';

export { handedOverTarget } from './support/run-handoff';

export { expectRules, noteConsumed, requireState } from './support/verdicts';
export { advisory, documented, inferred } from '../contract';

interface WorkerFixtures {
  /** Where requests go (through the relay) and with which customer ids; no token: only the relay holds them. */
  target: TargetView;
  /** One request context per credential and worker, shared by the tests the worker runs (see below). */
  contexts: Readonly<Record<CredentialName | 'none', APIRequestContext>>;
}

interface TestFixtures {
  /** Authorised as API_CUSTOMER_ID's token (added by the relay, never seen by Playwright). */
  api: ContractClient;
  /** Authorised as the dedicated disposable customer: the only context DELETE is ever sent with. */
  disposableApi: ContractClient;
  /** No Authorization header at all. */
  anonymous: ContractClient;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  target: [
    async ({}, use) => {
      await use(readRunHandoff().target);
    },
    { scope: 'worker' },
  ],
  // Worker-scoped: creating and disposing a context costs ~10–20 ms, and most tests use two. Nothing leaks from one test to
  // the next through them: they talk only to the loopback relay, which forwards no cookie and no header but its list, and
  // each test's requests are still reported as that test's steps.
  contexts: [
    async ({ playwright }, use) => {
      const contexts = {
        primary: await requestContext(playwright.request, 'primary'),
        disposable: await requestContext(playwright.request, 'disposable'),
        none: await requestContext(playwright.request, undefined),
      };
      await use(contexts);
      for (const context of Object.values(contexts)) await context.dispose();
    },
    { scope: 'worker' },
  ],
  api: async ({ contexts, target }, use) => {
    await use(new ContractClient(contexts.primary, 'primary', target.authScheme));
  },
  disposableApi: async ({ contexts, target }, use) => {
    await use(new ContractClient(contexts.disposable, 'disposable', target.authScheme));
  },
  anonymous: async ({ contexts, target }, use) => {
    await use(new ContractClient(contexts.none, undefined, target.authScheme));
  },
});

async function requestContext(request: APIRequest, credential: CredentialName | undefined): Promise<APIRequestContext> {
  const { relayUrl, relayKey } = readRunHandoff();
  return request.newContext({
    baseURL: relayUrl,
    // A 3xx is an answer to report (an undocumented status), never a hop to take: following it could send a DELETE elsewhere.
    maxRedirects: 0,
    extraHTTPHeaders: { accept: 'application/json', [relayKeyHeader]: relayKey, ...(credential ? { [credentialHeader]: credential } : {}) },
  });
}

export const expect = baseExpect.extend(contractMatchers);

/** Path of a customer, relative to the base URL. */
export function customerPath(customerId: string): string {
  return encodeURIComponent(customerId);
}

/** Path of a customer's usage, relative to the base URL, with optional query parameters. */
export function usagePath(customerId: string, query: Readonly<Record<string, string>> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${encodeURIComponent(customerId)}/usage${search ? `?${search}` : ''}`;
}
