// The one contract assertion: expect(response).toMatchContract(operationId, status), judged on the process's compiled contract and recorded for every report.
import type { APIResponse, ExpectMatcherState } from '@playwright/test';
import { test } from '@playwright/test';
import { judgeStatusClaim, loadContract, type Evidence, type ServedMeaning } from '../../contract';
import { observe, runFacts, settle } from './verdicts';

/** What a status claim needs beyond the operation and status. */
export interface ClaimOptions {
  /** The claim in words; default: the test's title. */
  claim?: string;
  /** The ground for expecting this status when it is weaker than the documented response's own (e.g. inferred). */
  evidence?: Evidence;
  /** Other statuses that keep the claim, each judged against its own documented response. */
  alsoAccept?: readonly number[];
  /** What a 2xx means when the claim expects a refusal; default for a 401 claim: an authorisation hole. */
  served?: ServedMeaning;
}

/** The same ground, as a rule that gates: serving a request that must be refused is never an open question. */
function withoutAdvisory(evidence: Evidence): Evidence {
  const { advisory: _open, ...rest } = evidence;
  return rest;
}

export const contractMatchers = {
  /**
   * Passes when the answer has the expected status (or one of `alsoAccept`) and its body keeps the contract. Every finding,
   * warnings included, is recorded on the test; the failure message names the operation, request, status, JSON pointers,
   * evidence and a curl that reproduces it.
   */
  async toMatchContract(this: ExpectMatcherState, response: APIResponse, operationId: string, expectedStatus: number, options: ClaimOptions = {}) {
    const name = 'toMatchContract';
    if (this.isNot) throw new Error('toMatchContract cannot be negated: state the answer the contract expects');
    const exchange = await observe(response, operationId);
    const claimEvidence = options.evidence;
    const served: ServedMeaning | undefined =
      options.served ??
      (expectedStatus === 401
        ? {
            kind: 'auth',
            security: true,
            // Which refusal a wrong credential gets may be open (an advisory claim); that it is refused is not.
            evidence: withoutAdvisory(claimEvidence ?? loadContract().response(operationId, 401).statusEvidence),
            text: 'the request carried no valid credential, yet the API served it (security)',
          }
        : undefined);
    const record = judgeStatusClaim(
      loadContract(),
      exchange,
      {
        claim: options.claim ?? test.info().title,
        status: expectedStatus,
        ...(claimEvidence ? { evidence: claimEvidence } : {}),
        ...(options.alsoAccept ? { alsoAccept: options.alsoAccept } : {}),
        ...(served ? { served } : {}),
      },
      runFacts(),
    );
    const failure = await settle([record], exchange);
    const hint = this.utils.matcherHint(name, 'response', `'${operationId}', ${expectedStatus}`, { isNot: false });
    return { pass: failure === undefined, name, expected: expectedStatus, actual: exchange.status, message: () => `${hint}\n\n${failure ?? ''}` };
  },
};
