// The request headers the simulator honours: Authorization (the Bearer scheme, as documented) and Prefer: code=500.

/** A Bearer credential, or why the header is not one (answered as 401). */
export type BearerCredential = { ok: true; token: string } | { ok: false; reason: string };

/** Reads `Authorization: Bearer <token>`; the scheme in any letter case, exactly one token. */
export function bearerToken(header: string | undefined): BearerCredential {
  if (header === undefined || header.trim() === '') {
    return { ok: false, reason: 'Missing Authorization header: send Authorization: Bearer <customer_token>' };
  }
  const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
  if (!match || match[1]?.toLowerCase() !== 'bearer' || match[2] === undefined) {
    return { ok: false, reason: 'Authorization must use the Bearer scheme: Authorization: Bearer <customer_token>' };
  }
  return { ok: true, token: match[2] };
}

/** Whether a Prefer header asks for the documented 500, as Stoplight Prism reads `Prefer: code=500`. */
export function prefersCode500(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(/[,;]/).some((preference) => /^\s*code\s*=\s*"?500"?\s*$/i.test(preference));
}
