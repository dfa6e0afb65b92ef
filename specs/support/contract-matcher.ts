// The one contract assertion: expect(response).toMatchContract(operationId, status), recording what it saw for the drift and coverage reports.
import { test, type APIResponse, type ExpectMatcherState } from '@playwright/test';
import { checkResponse, type Contract, type DriftFinding } from '../../contract';
import type { Secret } from '../../config/secret';
import { redactText } from '../../config/secret';
import { relayErrorHeader } from './credential-relay';

/** Name of the JSON attachment each contract check leaves on its test; the drift/coverage reporter reads it. */
export const observationAttachment = 'contract-observation.json';

/** What one `toMatchContract` call observed. */
export interface ContractObservation {
  operation: string;
  expectedStatus: number;
  status: number;
  findings: DriftFinding[];
}

const bodyExcerptLength = 600;

/** Builds the matcher around the worker's compiled contract and the secrets it must never print. */
export function contractMatchers(getContext: () => { contract: Contract; secrets: ReadonlyArray<Secret | undefined> }) {
  return {
    async toMatchContract(this: ExpectMatcherState, response: APIResponse, operationId: string, expectedStatus: number) {
      const { contract, secrets } = getContext();
      const name = 'toMatchContract';
      // Throws for an operation or status the contract does not have: a check never silently passes on a missing schema.
      contract.response(operationId, expectedStatus);
      const bodyText = redactText((await response.body()).toString('utf8'), secrets);
      const request = `${response.url().replace(/^http:\/\/127\.0\.0\.1:\d+\//, '/')}`;
      if (response.headers()[relayErrorHeader]) {
        return { pass: false, name, expected: expectedStatus, actual: 'no answer', message: () => `${operationId}: the target gave no answer to ${request}: ${bodyText}` };
      }
      const check = checkResponse(contract, operationId, { status: response.status(), contentType: response.headers()['content-type'], bodyText }, secrets);
      const observation: ContractObservation = { operation: operationId, expectedStatus, status: check.status, findings: check.findings };
      const info = test.info();
      await info.attach(observationAttachment, { body: JSON.stringify(observation), contentType: 'application/json' });
      const additive = check.findings.filter((f) => f.severity === 'non-breaking');
      for (const finding of additive) {
        info.annotations.push({ type: 'warning', description: `non-breaking drift in ${operationId} ${check.status}: ${finding.message}` });
      }
      const statusMatches = check.status === expectedStatus;
      const pass = statusMatches && check.breaking.length === 0;
      const message = () => {
        const lines = [
          this.utils.matcherHint(name, `response`, `'${operationId}', ${expectedStatus}`, { isNot: this.isNot }),
          '',
          statusMatches
            ? `${operationId} answered ${check.status} as expected (${request}), but the response breaks the contract:`
            : `${operationId} answered ${check.status}, expected ${expectedStatus} (${request})${check.documented ? '' : `; ${check.status} is not a documented status of ${operationId}`}`,
        ];
        const breaking = check.breaking.filter((f) => f.kind !== 'undocumented-status-code');
        if (breaking.length > 0) lines.push(...breaking.map((f) => `  ✗ ${f.message}`));
        if (additive.length > 0) lines.push('Non-breaking drift (reported, not failing):', ...additive.map((f) => `  ! ${f.message}`));
        lines.push('', `Content-Type: ${response.headers()['content-type'] ?? '(none)'}`);
        lines.push(`Body: ${bodyText.length > bodyExcerptLength ? `${bodyText.slice(0, bodyExcerptLength)}… (${bodyText.length} chars)` : bodyText || '(empty)'}`);
        return lines.join('\n');
      };
      return { pass, name, expected: expectedStatus, actual: check.status, message };
    },
  };
}
