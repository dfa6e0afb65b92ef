// The credentials every operation must reject with 401: none, an invalid token, and a valid token under another scheme.
import { credentialHeader, type CredentialName } from './credential-relay';

export interface RejectedCredential {
  /** Completes the test name "answers 401 …". */
  name: string;
  /** Headers sent instead of the fixture's own credential. */
  headers: Record<string, string>;
}

/** The three ways of asking without a valid credential; `credential` names whose token goes under the wrong scheme. */
export function rejectedCredentials(credential: CredentialName): RejectedCredential[] {
  return [
    { name: 'without an Authorization header', headers: {} },
    { name: 'for an invalid token', headers: { authorization: 'Bearer contract-suite-invalid-token-0000' } },
    // The valid token sent under the Basic scheme: a server that ignores the scheme would accept it.
    { name: 'for a valid token under a non-Bearer scheme', headers: { [credentialHeader]: `${credential}; scheme=Basic` } },
  ];
}
