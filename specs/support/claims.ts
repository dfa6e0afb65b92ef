// Claims several specs make in the same words: how a cross-tenant read must be refused, what a served DELETE leaves behind.
import { documented, inferred } from '../../contract/evidence';
import type { ClaimOptions } from './contract-matcher';

/**
 * Another tenant's customer must be refused: 404 as for an unknown id (what the reference simulator does), or 401/403,
 * each judged against its own documented response (a 403 is reported as not on the vendor's page). A 2xx is a security
 * finding; anything else (a 500, an HTML page) is judged as the answer it is.
 */
export function crossTenantRefusal(what: 'customer' | 'usage'): ClaimOptions {
  return {
    claim: `the configured token must not succeed in reading another tenant's ${what}`,
    evidence: inferred(
      "The page does not say how another tenant's customer is refused: 404 (it does not exist for this token), or 401/403 (related-facts.md: 403 is valid credentials without access).",
    ),
    alsoAccept: [401, 403],
    served: {
      kind: 'cross-tenant',
      security: true,
      evidence: documented('the page: "Retrieve your customer account information" — a customer token reads its own account only'),
      text: `SECURITY: the configured token must not succeed in reading another tenant's ${what}, yet it did`,
    },
  };
}
