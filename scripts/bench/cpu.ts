import { readdirSync, readFileSync } from "node:fs";

// CPU time per request is the figure that survives a busy machine: wall-clock req/s moves with
// whatever else the two cores run, the CPU a process spends on each request much less.
const TICK_S = 0.01; // USER_HZ is 100 on Linux

function stat(pid: number): { ppid: number; cpuS: number } | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), cpuS: (Number(f[11]) + Number(f[12])) * TICK_S };
  } catch {
    return null;
  }
}

/** A process and all its descendants (a postmaster's backends, core's embedded gateway). */
export function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!pid) continue;
    const s = stat(pid);
    if (!s) continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** CPU seconds used so far by each process of each group (re-resolved each time: backends come and go). */
export function cpuSeconds(groups: Record<string, () => number[]>): Record<string, Map<number, number>> {
  const out: Record<string, Map<number, number>> = {};
  for (const [name, pids] of Object.entries(groups)) {
    const m = new Map<number, number>();
    for (const pid of pids()) {
      const s = stat(pid);
      if (s) m.set(pid, s.cpuS);
    }
    out[name] = m;
  }
  return out;
}

/** CPU seconds each group spent between two readings; a process that started meanwhile counts from 0, one that exited is not counted. */
export function cpuSpent(before: Record<string, Map<number, number>>, after: Record<string, Map<number, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, now] of Object.entries(after)) {
    let sum = 0;
    for (const [pid, s] of now) sum += s - (before[name]?.get(pid) ?? 0);
    out[name] = sum;
  }
  return out;
}

const pidFile = (path: string) => {
  try {
    return Number(readFileSync(path, "utf8").split("\n")[0]);
  } catch {
    return 0;
  }
};

/** The test services' processes (PostgreSQL primary and replica with their backends, Redis) from TCC_SERVICES_DIR. */
export function servicePids(dir = process.env.TCC_SERVICES_DIR ?? process.env.TCC_TEST_SERVICES_DIR ?? "") {
  const pg = () => [pidFile(`${dir}/pg-primary/postmaster.pid`), pidFile(`${dir}/pg-replica/postmaster.pid`)].filter(Boolean).flatMap(tree);
  const redis = () => [pidFile(`${dir}/redis/redis.pid`)].filter(Boolean);
  return { pg, redis };
}
