// `npm run bench:hybrid` (or benchHybridSearch()): keyword, semantic and hybrid search through
// core's own search services over N synthetic entries (768-dim vectors in the app's table and
// index) spread over a few users, with other users' vectors all around each one's. The query
// embedding goes to the fake LM Studio node over HTTP (the gateway's own overhead is bench:ai's).
// Seeding dominates: the HNSW index is maintained row by row (~7 s per 1,000 entries on the
// 2-core machine), so the default is 20,000; `--n 100000` for the budget's size takes ~15 min.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { startFakeNode } from "../../ai-gateway/fake-node/server";
import { closeServices, createServices } from "../../core/src/bootstrap";
import type { Ctx } from "../../core/src/context";
import { parseEnv } from "../../core/src/env";
import type { SearchMode } from "../../core/src/search/keyword";
import { searchEntries } from "../../core/src/search/search";

const WORDS =
  "bike chain service run river garden tomato meeting budget review recipe bread travel train book idea kayak paint fence doctor sleep coffee code deploy bug family dinner walk rain snow".split(
    " ",
  );
const DIMS = 768;
const CLUSTERS = 500;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export async function benchHybridSearch(opts: { n?: number; users?: number; queries?: number; keep?: boolean } = {}): Promise<void> {
  const { n = 20_000, users = 10, queries = 200, keep = false } = opts;
  const { DATABASE_URL, REDIS_URL } = process.env;
  if (!DATABASE_URL || !REDIS_URL) throw new Error("run through `npm run bench:hybrid`, which starts PostgreSQL and Redis");
  const fake = await startFakeNode({ dims: DIMS });
  const s = await createServices(
    parseEnv({
      DATABASE_URL,
      REDIS_URL,
      AI_GATEWAY_URL: fake.url,
      EMBEDDING_DIMS: String(DIMS),
      JOB_WORKERS: "off",
      DB_STATEMENT_TIMEOUT_MS: "0",
      LOG_LEVEL: "warn",
      DATA_DIR: mkdtempSync(join(tmpdir(), "tcc-bench-hybrid-")),
    }),
  );
  const db = s.db.primary;
  const userIds: string[] = [];
  try {
    let t = performance.now();
    for (let u = 0; u < users; u++) {
      const id = Bun.randomUUIDv7();
      userIds.push(id);
      await db.execute(sql`insert into users (id, email, password_hash) values (${id}, ${`bench-hybrid-${id}@example.test`}, 'x')`);
    }
    const words = sql.raw(`array[${WORDS.map((w) => `'${w}'`).join(",")}]`);
    const pick = sql.raw(`a[1 + floor(random() * ${WORDS.length})::int]`);
    // Mentioning g makes the aggregate belong to the subquery (one word per row of it).
    const pickPerRow = sql.raw(`a[1 + floor(random() * ${WORDS.length})::int + 0 * g]`);
    const owners = `{${userIds.join(",")}}`;
    // Entries of a few random words each, and one vector per entry near one of CLUSTERS centres.
    await db.execute(
      sql`create table bench_hybrid_centres as select c, (select array_agg((random() * 2 - 1)::real) from generate_series(1, ${DIMS}::int) g where c is not null)::vector(${sql.raw(String(DIMS))}) as v from generate_series(0, ${CLUSTERS - 1}::int) c`,
    );
    const batch = 2_000;
    for (let from = 0; from < n; from += batch) {
      await db.execute(sql`with w as (select ${words} as a),
        made as (
          insert into entries (id, user_id, title, content)
          select gen_random_uuid(), (${owners}::uuid[])[1 + i % ${users}::int],
            ${pick} || ' ' || ${pick},
            (select string_agg(${pickPerRow}, ' ') from generate_series(1, 40) g)
          from generate_series(${from}::int, ${Math.min(n, from + batch) - 1}::int) i, w
          returning id, user_id, content
        )
        insert into document_embeddings (id, user_id, entry_id, chunk_index, chunk_text, model, embedding)
        select gen_random_uuid(), m.user_id, m.id, 0, m.content, ${s.ai.embeddingModel},
          (c.v + (select array_agg((random() * 2 - 1)::real) from generate_series(1, ${DIMS}::int) g where m.id is not null)::vector(${sql.raw(String(DIMS))}))::vector(${sql.raw(String(DIMS))})
        from made m join bench_hybrid_centres c on c.c = (hashtext(m.id::text) & 2147483647) % ${CLUSTERS}::int`);
      process.stdout.write(`\rseeded ${Math.min(n, from + batch)} / ${n}`);
    }
    await db.execute(sql`analyze entries`);
    await db.execute(sql`analyze document_embeddings`);
    console.log(
      `\nhybrid search: ${n} entries over ${users} users, ${DIMS}-dim vectors, seeded in ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );

    const rows: string[][] = [];
    for (const mode of ["keyword", "semantic", "hybrid"] as SearchMode[]) {
      const lat: number[] = [];
      for (let i = 0; i < queries; i++) {
        const ctx: Ctx = { userId: userIds[i % users] as string, s };
        const q = `${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 11 + 3) % WORDS.length]}`;
        t = performance.now();
        await searchEntries({ ctx, input: { q, mode, limit: 20 } });
        lat.push(performance.now() - t);
      }
      rows.push([mode, `${percentile(lat, 50).toFixed(1)} ms`, `${percentile(lat, 95).toFixed(1)} ms`]);
    }
    console.log(`${queries} queries per mode, limit 20 (budget: hybrid p95 < 50 ms on 100K entries)`);
    for (const r of [["mode", "p50", "p95"], ...rows])
      console.log(`${(r[0] ?? "").padEnd(10)} ${(r[1] ?? "").padStart(10)} ${(r[2] ?? "").padStart(10)}`);
  } finally {
    await db.execute(sql`drop table if exists bench_hybrid_centres`);
    // Cascades to the entries and vectors.
    if (!keep) for (const id of userIds) await db.execute(sql`delete from users where id = ${id}`);
    await closeServices(s);
    await fake.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { n: { type: "string" }, users: { type: "string" }, queries: { type: "string" }, keep: { type: "boolean" } },
  });
  await benchHybridSearch({
    n: values.n ? Number(values.n) : undefined,
    users: values.users ? Number(values.users) : undefined,
    queries: values.queries ? Number(values.queries) : undefined,
    keep: values.keep,
  });
}
