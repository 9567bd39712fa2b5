/**
 * Gateway errors in OpenAI's error shape (`{"error":{"message","type","code","param"}}`),
 * because the gateway's clients are OpenAI clients and read exactly that.
 */
export type GatewayErrorCode =
  | "invalid_request"
  | "invalid_json"
  | "unauthorized"
  | "model_not_found"
  | "not_found"
  | "payload_too_large"
  | "queue_full"
  | "quota_exceeded"
  | "deadline_exceeded"
  | "no_healthy_node"
  | "upstream_error"
  | "internal_error";

const STATUS: Record<GatewayErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  model_not_found: 404,
  not_found: 404,
  payload_too_large: 413,
  queue_full: 429,
  quota_exceeded: 429,
  deadline_exceeded: 504,
  no_healthy_node: 503,
  upstream_error: 502,
  internal_error: 500,
};

const TYPE: Partial<Record<GatewayErrorCode, string>> = {
  unauthorized: "authentication_error",
  queue_full: "rate_limit_error",
  quota_exceeded: "rate_limit_error",
  deadline_exceeded: "timeout_error",
  no_healthy_node: "server_error",
  upstream_error: "server_error",
  internal_error: "server_error",
};

export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    /** Extra response headers, e.g. Retry-After on 429s. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }

  get type(): string {
    return TYPE[this.code] ?? "invalid_request_error";
  }
}

export function errorBody(code: string, message: string, type: string) {
  return { error: { message, type, code, param: null } };
}

export function errorResponse(err: GatewayError): Response {
  return new Response(JSON.stringify(errorBody(err.code, err.message, err.type)), {
    status: err.status,
    headers: { "content-type": "application/json", ...err.headers },
  });
}
