// The one fixtures module: every spec imports test and expect from here, never builds its own headers or base URL.
import { test as base, expect as baseExpect, type APIRequest, type APIRequestContext } from '@playwright/test';
import { loadContract, type Contract } from '../contract';
import { loadTargetConfig, type TargetConfig } from '../config/target';
import { credentialHeader, relayKeyHeader, type CredentialName } from './support/credential-relay';
import { contractMatchers } from './support/contract-matcher';
import { relayKeyVariable, relayVariable } from './support/global-setup';

interface WorkerFixtures {
  /** The contract compiled once per worker from openapi/customer-management.yaml. */
  contract: Contract;
  /** Where requests go and with which customer ids. */
  target: TargetConfig;
}

interface TestFixtures {
  /** Authorised as API_CUSTOMER_ID's token (added by the relay, never seen by Playwright). */
  api: APIRequestContext;
  /** Authorised as the dedicated disposable customer: the only context DELETE is ever sent with. */
  disposableApi: APIRequestContext;
  /** No Authorization header at all. */
  anonymous: APIRequestContext;
}

let workerContext: { contract: Contract; target: TargetConfig } | undefined;

export const test = base.extend<TestFixtures, WorkerFixtures>({
  contract: [
    async ({}, use) => {
      await use(loadContract());
    },
    { scope: 'worker' },
  ],
  target: [
    async ({}, use) => {
      await use(loadTargetConfig());
    },
    { scope: 'worker' },
  ],
  api: async ({ playwright, contract, target }, use) => {
    workerContext = { contract, target };
    const context = await requestContext(playwright.request, 'primary');
    await use(context);
    await context.dispose();
  },
  disposableApi: async ({ playwright, contract, target }, use) => {
    workerContext = { contract, target };
    const context = await requestContext(playwright.request, 'disposable');
    await use(context);
    await context.dispose();
  },
  anonymous: async ({ playwright, contract, target }, use) => {
    workerContext = { contract, target };
    const context = await requestContext(playwright.request, undefined);
    await use(context);
    await context.dispose();
  },
});

async function requestContext(request: APIRequest, credential: CredentialName | undefined): Promise<APIRequestContext> {
  const relay = process.env[relayVariable];
  const key = process.env[relayKeyVariable];
  if (!relay || !key) throw new Error(`${relayVariable} and ${relayKeyVariable} are not set: run the specs through playwright.config.ts, whose global setup starts the credential relay`);
  return request.newContext({
    baseURL: relay,
    // A 3xx is an answer to report (an undocumented status), never a hop to take: following it could send a DELETE elsewhere.
    maxRedirects: 0,
    extraHTTPHeaders: { accept: 'application/json', [relayKeyHeader]: key, ...(credential ? { [credentialHeader]: credential } : {}) },
  });
}

export const expect = baseExpect.extend(
  contractMatchers(() => {
    if (!workerContext) throw new Error('toMatchContract needs a request fixture (api, disposableApi or anonymous) in the test');
    const { contract, target } = workerContext;
    return { contract, secrets: [target.token, target.deleteToken] };
  }),
);

/** Path of a customer, relative to the base URL. */
export function customerPath(customerId: string): string {
  return encodeURIComponent(customerId);
}

/** Path of a customer's usage, relative to the base URL, with optional query parameters. */
export function usagePath(customerId: string, query: Readonly<Record<string, string>> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${encodeURIComponent(customerId)}/usage${search ? `?${search}` : ''}`;
}

