// `npm run bench:vector` (or benchVectorSearch() from another bench): user-filtered vector search
// over synthetic 384-dim vectors spread over 100 users, in a scratch schema with its own HNSW index
// (the app's table and its dimension are left alone). For each ef_search: recall@10 against an
// exact scan of the same user's vectors, and per-query latency. `--n 20000` for a smoke run.
import { parseArgs } from "node:util";
import postgres from "postgres";

const DIMS = 384;
const USERS = 100;
const CENTERS = 1000;
/** Topics per user; users share centers, so other users' vectors crowd every user's neighbourhood. */
const TOPICS = 20;
const K = 10;
const SCHEMA = "bench_vectors";

interface Options {
  n: number;
  queries: number;
  efs: number[];
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const centerOf = (user: number, topic: number) => (user * 7 + topic * 37) % CENTERS;

async function seed(sql: postgres.Sql, n: number): Promise<void> {
  await sql.unsafe(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
  // Unlogged: a scratch table the replica need not replay. Random parts are generated in the
  // server; the correlated `where` makes each row draw its own values.
  await sql.unsafe(`create unlogged table ${SCHEMA}.centers as
    select c, (select array_agg((random() * 2 - 1)::real) from generate_series(1, ${DIMS}) g where c is not null)::vector(${DIMS}) as v
    from generate_series(0, ${CENTERS - 1}) c`);
  await sql.unsafe(`create unlogged table ${SCHEMA}.items as
    select i as id, i % ${USERS} as user_id,
      (c.v + (select array_agg((random() * 2 - 1)::real) from generate_series(1, ${DIMS}) g where i is not null)::vector(${DIMS}))::vector(${DIMS}) as embedding
    from generate_series(0, ${n - 1}) i
    join ${SCHEMA}.centers c on c.c = ((i % ${USERS}) * 7 + ((i / ${USERS}) % ${TOPICS}) * 37) % ${CENTERS}`);
  await sql.unsafe(`create index items_user on ${SCHEMA}.items (user_id)`);
  await sql.unsafe("set maintenance_work_mem = '1GB'");
  await sql.unsafe("set max_parallel_maintenance_workers = 1");
  await sql.unsafe(`create index items_hnsw on ${SCHEMA}.items using hnsw (embedding vector_cosine_ops)`);
  await sql.unsafe(`analyze ${SCHEMA}.items`);
}

/** A query near one of the user's topics, as a pgvector literal. */
async function queryVector(sql: postgres.Sql, user: number, topic: number): Promise<string> {
  const [row] = await sql.unsafe(
    `select (c.v + (select array_agg((random() * 2 - 1)::real) from generate_series(1, ${DIMS}) g where c.c is not null)::vector(${DIMS}))::text as v
     from ${SCHEMA}.centers c where c.c = $1`,
    [centerOf(user, topic)],
  );
  return row?.v as string;
}

async function exact(sql: postgres.Sql, user: number, v: string): Promise<{ ids: number[]; ms: number }> {
  const t = performance.now();
  // "+ 0": an order the HNSW index cannot serve, so every distance of the user's vectors is computed.
  const rows = await sql.unsafe(`select id from ${SCHEMA}.items where user_id = $1 order by (embedding <=> $2::vector) + 0 limit ${K}`, [
    user,
    v,
  ]);
  return { ids: rows.map((r) => Number(r.id)), ms: performance.now() - t };
}

async function approximate(sql: postgres.Sql, user: number, v: string, ef: number): Promise<{ ids: number[]; ms: number }> {
  const t = performance.now();
  const ids = await sql.begin(async (tx) => {
    await tx.unsafe(
      `select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true),
        set_config('hnsw.max_scan_tuples', '50000', true), set_config('enable_seqscan', 'off', true)`,
      [String(ef)],
    );
    const rows = await tx.unsafe(`select id from ${SCHEMA}.items where user_id = $1 order by embedding <=> $2::vector limit ${K}`, [
      user,
      v,
    ]);
    return rows.map((r) => Number(r.id));
  });
  return { ids, ms: performance.now() - t };
}

export async function benchVectorSearch(opts: Partial<Options> = {}): Promise<void> {
  const { n = 100_000, queries = 200, efs = [40, 100, 200] } = opts;
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run through `npm run bench:vector`, which starts PostgreSQL");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ extversion } = { extversion: "?" }] = await sql`select extversion from pg_extension where extname = 'vector'`;
    console.log(`vector search: ${n} × ${DIMS}-dim vectors over ${USERS} users (${n / USERS} each), pgvector ${extversion}`);
    let t = performance.now();
    await seed(sql, n);
    console.log(`seeded and indexed (HNSW m=16, ef_construction=64) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const samples: { user: number; v: string }[] = [];
    for (let i = 0; i < queries; i++) {
      const user = i % USERS;
      samples.push({ user, v: await queryVector(sql, user, (i * 13) % TOPICS) });
    }
    const plan = async () => {
      const rows = await sql.begin(async (tx) => {
        await tx.unsafe("select set_config('hnsw.iterative_scan', 'relaxed_order', true)");
        return tx.unsafe(`explain select id from ${SCHEMA}.items where user_id = 1 order by embedding <=> $1::vector limit ${K}`, [
          samples[0]?.v ?? "",
        ]);
      });
      return JSON.stringify(rows).includes("items_hnsw") ? "HNSW index" : "exact (user_id index, sort)";
    };
    console.log(`planner's choice for a user-filtered query with a user_id index: ${await plan()}`);

    t = performance.now();
    const truth = [];
    for (const s of samples) truth.push(await exact(sql, s.user, s.v));
    // Without the user_id index the planner has only the HNSW index (or a full scan, turned off):
    // this measures the iterative scan walking past other users' vectors.
    await sql.unsafe(`drop index ${SCHEMA}.items_user`);
    console.log(`and without it: ${await plan()}`);
    const exactMs = truth.map((r) => r.ms);
    const rows = [["exact (user_id index, all distances)", "1.000", ms(percentile(exactMs, 50)), ms(percentile(exactMs, 95))]];
    for (const ef of efs) {
      const lat: number[] = [];
      let found = 0;
      for (const [i, s] of samples.entries()) {
        const r = await approximate(sql, s.user, s.v, ef);
        lat.push(r.ms);
        const want = new Set(truth[i]?.ids);
        found += r.ids.filter((id) => want.has(id)).length;
      }
      rows.push([
        `HNSW iterative, ef_search=${ef}`,
        (found / (samples.length * K)).toFixed(3),
        ms(percentile(lat, 50)),
        ms(percentile(lat, 95)),
      ]);
    }
    console.log(`${queries} queries, recall@${K} against exact search of the same user's vectors:`);
    const widths = [38, 10, 10, 10];
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 10) : c.padStart(widths[i] ?? 10))).join(" ");
    console.log(line(["path", "recall@10", "p50", "p95"]));
    for (const r of rows) console.log(line(r));
    console.log(
      `(budget: recall@10 ≥ 0.95; hybrid search p95 < 50 ms. Total ${((performance.now() - t) / 1000).toFixed(1)} s of queries.)`,
    );
  } finally {
    await sql.unsafe(`drop schema if exists ${SCHEMA} cascade`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { n: { type: "string" }, queries: { type: "string" }, ef: { type: "string" } } });
  await benchVectorSearch({
    n: values.n ? Number(values.n) : undefined,
    queries: values.queries ? Number(values.queries) : undefined,
    efs: values.ef ? values.ef.split(",").map(Number) : undefined,
  });
}
