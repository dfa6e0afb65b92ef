// The one fixtures module: every spec imports test and expect from here, never builds its own headers or base URL.
import { test as base, expect as baseExpect, type APIRequest, type APIRequestContext } from '@playwright/test';
import { credentialHeader, relayKeyHeader, type CredentialName } from './support/credential-relay';
import { contractMatchers } from './support/contract-matcher';
import { ContractClient } from './support/exchanges';
import { readRunHandoff, type TargetView } from './support/run-handoff';

export { handedOverTarget } from './support/run-handoff';

export { expectRules, noteConsumed, requireState } from './support/verdicts';
export { documented, inferred } from '../contract/evidence';

interface WorkerFixtures {
  /** Where requests go (through the relay) and with which customer ids; no token: only the relay holds them. */
  target: TargetView;
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
  api: async ({ playwright, target }, use) => {
    const context = await requestContext(playwright.request, 'primary');
    await use(new ContractClient(context, 'primary', target.authScheme));
    await context.dispose();
  },
  disposableApi: async ({ playwright, target }, use) => {
    const context = await requestContext(playwright.request, 'disposable');
    await use(new ContractClient(context, 'disposable', target.authScheme));
    await context.dispose();
  },
  anonymous: async ({ playwright, target }, use) => {
    const context = await requestContext(playwright.request, undefined);
    await use(new ContractClient(context, undefined, target.authScheme));
    await context.dispose();
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
