// The relay's wire protocol, shared by the relay (runner side) and the specs' clients (worker side): its header names and
// the one parser of the credential header. Worker code imports this file only, never the relay itself.

/** Header a spec sets to ask the relay for a credential by name; its value is `primary` or `disposable`, optionally `; scheme=Basic`. */
export const credentialHeader = 'x-contract-credential';
/** Header carrying the run's relay key; the relay refuses (403) any request without it. */
export const relayKeyHeader = 'x-contract-relay-key';
/**
 * Header the generated phase's client sets (`generated`) so the relay counts its requests apart in requests.json; the relay
 * never passes it on (relay/policy.ts forwards only the headers a spec needs).
 */
export const phaseHeader = 'x-contract-phase';
/** Header the relay sets on an answer it made itself (it refused the request or the target's answer); never set by the API. */
export const relayErrorHeader = 'x-contract-relay-error';

export type CredentialName = 'primary' | 'disposable';

/** What a credential header asks for: a credential by name, under a scheme (the run's API_AUTH_SCHEME unless it names one). */
export interface CredentialRequest {
  name: CredentialName;
  scheme: string;
}

/**
 * The credential header's value (`primary`, `disposable; scheme=Basic`) read once for everyone: the relay, which refuses
 * what it cannot read, and the specs' reproductions, which must name the same credential and scheme the relay used.
 * Returns why not (one line, without the value past 40 characters) when the value names no credential.
 */
export function parseCredentialHeader(value: string, defaultScheme: string): CredentialRequest | { problem: string } {
  const [name, ...params] = value.split(';').map((part) => part.trim());
  if (name !== 'primary' && name !== 'disposable') return { problem: `the relay has no credential named ${JSON.stringify(name?.slice(0, 40))}` };
  const scheme = params.find((p) => p.startsWith('scheme='))?.slice('scheme='.length) ?? defaultScheme;
  return { name, scheme };
}
