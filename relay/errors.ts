// The two ways the relay answers a request itself, told apart by type: it refused (policy, 4xx) or the target failed (502).

/** The relay refused the request by its policy (403), its size (413) or the run's request budget (503): nothing went upstream. */
export class RelayRefusal extends Error {
  override readonly name = 'RelayRefusal';
  constructor(
    readonly status: 403 | 413 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** The request went upstream, and the target's answer could not be passed on: unreachable, too slow, too large, undecodable, unscrubbable. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  readonly status = 502;
}
