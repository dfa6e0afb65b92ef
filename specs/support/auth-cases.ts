// The credentials every operation must reject with 401: none, an invalid token, and a valid token under another scheme.
import { advisory, documented, type Evidence } from '../../contract';
import { credentialHeader, type CredentialName } from '../../relay/protocol';

export interface RejectedCredential {
  /** Completes the test name "answers 401 …". */
  name: string;
  /** Headers sent instead of the fixture's own credential. */
  headers: Record<string, string>;
  /** The ground for expecting 401 to this credential. */
  evidence: Evidence;
}

const invalidTokenEvidence = documented('the status table: 401 Unauthorized — Invalid or expired token');

/** The three ways of asking without a valid credential; `credential` names whose token goes under the wrong scheme. */
export function rejectedCredentials(credential: CredentialName): RejectedCredential[] {
  return [
    { name: 'without an Authorization header', headers: {}, evidence: invalidTokenEvidence },
    { name: 'for an invalid token', headers: { authorization: 'Bearer contract-suite-invalid-token-0000' }, evidence: invalidTokenEvidence },
    // The valid token sent under the Basic scheme: a server that ignores the scheme would accept it.
    {
      name: 'for a valid token under a non-Bearer scheme',
      headers: { [credentialHeader]: `${credential}; scheme=Basic` },
      // Serving it is a break (inferred: the page shows only Bearer); whether the refusal is 401 or 400 (a malformed
      // Authorization header) is the API's choice, an advisory.
      evidence: advisory(
        'auth_order',
        'The page shows only `Authorization: Bearer <customer_token>`, and other pages of the vendor send the raw token with no scheme (docs/vendor-sources.md#authentication); a valid token under another scheme must not be served, but whether it is refused with 401 or 400 the page leaves open.',
      ),
    },
  ];
}
