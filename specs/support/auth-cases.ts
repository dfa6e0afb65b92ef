// The credentials every operation must reject with 401: none, an invalid token, and a valid token under another scheme.
import { documented, inferred, type Evidence } from '../../contract/evidence';
import { credentialHeader, type CredentialName } from './credential-relay';

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
      evidence: inferred(
        'The page shows only `Authorization: Bearer <customer_token>`, and other pages of the vendor send the raw token with no scheme (the token page and integration examples of the vendor: docs/vendor-sources.md#authentication); that a valid token under another scheme is refused with 401, rather than ignored or accepted, is inferred.',
      ),
    },
  ];
}
