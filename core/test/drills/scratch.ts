// Scratch services for the drills: a PostgreSQL primary + streaming replica and a Redis of their
// own, started by the same scripts as the suite's (scripts/services/start.sh) on ports free at
// run time, in a folder of their own. A drill may stop, kill or promote them without touching
// the services every other test uses, and several runs (CI, other checkouts) can go at once.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

const services = join(import.meta.dir, "../../../scripts/services");

/** RAM when there is some: the data is thrown away, and initdb + pg_basebackup are seconds faster there. */
export const scratchRoot = () => (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());

/** A TCP port nothing listens on right now (the kernel's pick; another process may take it later, rarely). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

export async function run(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", cwd: "/" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err || out}`);
  return out;
}

/** PostgreSQL's server tools, run as the postgres user (the server refuses root). */
export function pgBin(): string {
  const found = [...new Bun.Glob("/usr/lib/postgresql/*/bin/postgres").scanSync("/")].sort().pop();
  if (!found) throw new Error("no PostgreSQL server installed; npm test installs it");
  return found.replace(/\/postgres$/, "");
}
export const asPostgres = (cmd: string[]) => run(["runuser", "-u", "postgres", "--", ...cmd]);

export interface Scratch {
  dir: string;
  ports: { primary: number; replica: number; redis: number };
  /** DATABASE_URL, DATABASE_REPLICA_URLS and REDIS_URL for core. */
  env: Record<string, string>;
  url(which: "primary" | "replica"): string;
  /** A postgres.js client to inspect the data directly (closed with the scratch services). */
  sql(which: "primary" | "replica"): postgres.Sql;
  /** pg_ctl on one server: `stop` is an immediate stop, like a crash. */
  pgCtl(which: "primary" | "replica", action: "stop" | "start" | "promote"): Promise<void>;
  /** SIGKILL, like a crash or an OOM kill: only what the append-only file holds survives. */
  redisKill(): Promise<void>;
  redisStart(): Promise<void>;
  close(): Promise<void>;
}

export interface ScratchOptions {
  /** Lines appended to the primary's postgresql.conf. */
  pgConf?: string;
  /** Run Redis with its append-only file, as production does. */
  redisAppendOnly?: boolean;
}

export async function startScratch(name: string, opts: ScratchOptions = {}): Promise<Scratch> {
  const dir = mkdtempSync(join(scratchRoot(), `tcc-drill-${name}-`));
  const ports = { primary: freePort(), replica: freePort(), redis: freePort() };
  const env: Record<string, string> = {
    TCC_SERVICES_DIR: dir,
    TCC_PG_PRIMARY_PORT: String(ports.primary),
    TCC_PG_REPLICA_PORT: String(ports.replica),
    TCC_REDIS_PORT: String(ports.redis),
    TCC_PG_CONF_EXTRA: opts.pgConf ?? "",
    TCC_REDIS_APPENDONLY: opts.redisAppendOnly ? "yes" : "no",
  };
  await run(["bash", join(services, "start.sh")], env);
  const url = (which: "primary" | "replica") => `postgres://postgres@127.0.0.1:${ports[which]}/tcc_test`;
  const clients: postgres.Sql[] = [];
  const bin = pgBin();
  return {
    dir,
    ports,
    env: { DATABASE_URL: url("primary"), DATABASE_REPLICA_URLS: url("replica"), REDIS_URL: `redis://127.0.0.1:${ports.redis}` },
    url,
    sql(which) {
      const client = postgres(url(which), { max: 2, onnotice: () => {}, connect_timeout: 5 });
      clients.push(client);
      return client;
    },
    async pgCtl(which, action) {
      const data = join(dir, `pg-${which}`);
      const args =
        action === "stop"
          ? ["stop", "-m", "immediate", "-w"]
          : action === "start"
            ? ["start", "-w", "-l", join(dir, `${which}.log`)]
            : ["promote", "-w"];
      await asPostgres([`${bin}/pg_ctl`, "-D", data, ...args]);
    },
    async redisKill() {
      const pid = Number(await Bun.file(join(dir, "redis/redis.pid")).text());
      process.kill(pid, "SIGKILL");
      await until(
        "redis to die",
        async () => !(await Bun.file(`/proc/${pid}/status`).exists()) || (await Bun.file(`/proc/${pid}/status`).text()).includes("zombie"),
      );
    },
    redisStart: () => run(["bash", join(services, "redis-start.sh")], env).then(() => {}),
    async close() {
      await Promise.all(clients.map((c) => c.end({ timeout: 1 }).catch(() => {})));
      await run(["bash", join(services, "stop.sh")], env);
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
