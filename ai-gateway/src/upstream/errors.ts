/** The node could not be reached, or the connection broke before an answer. */
export class UpstreamConnectionError extends Error {}

/** The node answered with a non-2xx status; `body` is its JSON error, if any. */
export class UpstreamStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`upstream answered ${status}`);
  }
}
