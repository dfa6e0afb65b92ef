// Claims several specs make in the same words: the customer id echoed, one time not after another, how another tenant's customer is refused.
import { documented, inferred, type Evidence, type RuleCheck } from '../../contract';
import type { ClaimOptions } from './contract-matcher';

/** `data.customer_id` is the id the request named. */
export function echoesCustomerId(requested: string, observed: string, evidence: Evidence): RuleCheck {
  return {
    rule: 'data.customer_id echoes the requested customer id',
    kind: 'echo',
    pointer: '/data/customer_id',
    expected: requested,
    observed,
    holds: observed === requested,
    evidence,
  };
}

/** The timestamp at `pointer` (`later`) is not before `earlier`: `rule` says which two, in words. */
export function notBefore(rule: string, pointer: string, earlier: string, later: string, evidence: Evidence): RuleCheck {
  return { rule, kind: 'ordering', pointer, expected: `not before ${earlier}`, observed: later, holds: Date.parse(earlier) <= Date.parse(later), evidence };
}

/**
 * Another tenant's customer must be refused: 404 as for an unknown id (what the reference simulator does), or 401/403,
 * each judged against its own documented response (a 403 is reported as not on the vendor's page). A 2xx is a security
 * finding (`servedText`, on the ground of `servedEvidence`); anything else (a 500, an HTML page) is judged as the answer it is.
 */
function crossTenantClaim(servedText: string, servedEvidence: Evidence): ClaimOptions {
  return {
    evidence: inferred(
      "The page does not say how another tenant's customer is refused: 404 (it does not exist for this token), or 401/403 (the vendor's status-code page: 403 is valid credentials without access; docs/vendor-sources.md#status-codes-page).",
    ),
    alsoAccept: [401, 403],
    served: { kind: 'cross-tenant', security: true, evidence: servedEvidence, text: `SECURITY: ${servedText}, yet it did` },
  };
}

/** A read of another tenant's customer or usage with the configured token. */
export function crossTenantRefusal(what: 'customer' | 'usage'): ClaimOptions {
  const claim = `the configured token must not succeed in reading another tenant's ${what}`;
  return {
    claim,
    ...crossTenantClaim(claim, documented('the page: "Retrieve your customer account information" — a customer token reads its own account only')),
  };
}

/** A DELETE of another tenant's (the disposable) customer with the primary token; the claim is the test's title. */
export function crossTenantDeleteRefusal(): ClaimOptions {
  return crossTenantClaim(
    "the primary token must not succeed in deleting another tenant's customer",
    documented('the page: "Delete Customer Account" deletes your customer account; a customer token acts on its own account only'),
  );
}
