// The two ways the relay answers a request itself, told apart by type: it refused (policy, 4xx) or the target failed (502).

/**
 * The relay refused the request by its policy (403), its size (413) or the run's request budget (429, with the seconds
 * until a token is back, which the specs' clients wait as for the target's own 429): nothing went upstream.
 */
export class RelayRefusal extends Error {
  override readonly name = 'RelayRefusal';
  constructor(
    readonly status: 403 | 413 | 429,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The request went upstream, and the target's answer could not be passed on: unreachable, too slow, too large, undecodable, unscrubbable. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  readonly status = 502;
}
