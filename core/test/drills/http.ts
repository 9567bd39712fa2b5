// A small HTTP client for drills, which talk to real core processes over the network (the
// harness's in-process app cannot be SIGKILLed or pointed at another database mid-test).
let counter = 0;

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  withToken(token: string) {
    return new Api(this.base, token);
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: RequestInit["body"] | undefined;
    if (body instanceof Uint8Array) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers: h, body: payload, signal: AbortSignal.timeout(20_000) });
    } catch (err) {
      // No answer at all (refused, reset, timed out): status 0, so a drill counts it with the rest.
      return { status: 0, body: String(err) as T, headers: new Headers() };
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(path: string) => this.call<T>("GET", path);
  post = <T = any>(path: string, body: unknown = {}) => this.call<T>("POST", path, body);
  del = <T = any>(path: string) => this.call<T>("DELETE", path);

  /** Registers a fresh user and returns a client signed in as them. */
  async register(label = "drill"): Promise<Api & { email: string; password: string; userId: string }> {
    const email = `${label}-${Date.now().toString(36)}-${process.pid}-${++counter}@example.test`;
    const password = "correct horse battery staple";
    const res = await this.post("/v1/auth/register", { email, password });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    return Object.assign(this.withToken(res.body.accessToken), { email, password, userId: res.body.user.id as string });
  }

  /** Every item of a cursor-paginated list. */
  async all<T = any>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const res: Res = await this.get(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }
}

/** Settings every drill's core process shares: quiet, no rate limits in the way, its own job queues. */
export function coreEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
    RATE_LIMIT_IP_PER_MIN: "1000000",
    RATE_LIMIT_USER_PER_MIN: "1000000",
    RATE_LIMIT_AUTH_PER_MIN: "1000000",
    DB_REPLICA_HEALTH_INTERVAL_MS: "500",
    JOB_QUEUE_PREFIX: `tcc:drill:${process.pid}:${++counter}`,
    ...extra,
  };
}
