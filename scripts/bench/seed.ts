/** Registers one user and writes `count` entries through the API; returns the auth headers and the entries' ids. */
export async function seedUser(
  base: string,
  count: number,
): Promise<{ auth: Record<string, string>; firstId: string; ids: string[]; accessToken: string }> {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const reg = await fetch(`${base}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "benchmark password" }),
  });
  const { accessToken } = (await reg.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
  const words = ["bike", "chain", "service", "run", "garden", "decision", "meeting", "recipe", "travel", "budget", "book", "idea"];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const pick = (n: number) => words[(i * 7 + n * 3) % words.length];
    const res = await fetch(`${base}/v1/entries`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        title: `${pick(0)} ${pick(1)} note ${i}`,
        content: `Today: ${pick(2)} and ${pick(3)}. `.repeat(20),
        tags: [pick(4) as string, pick(5) as string],
      }),
    });
    ids.push(((await res.json()) as { id: string }).id);
  }
  return { auth, firstId: ids[0] as string, ids, accessToken };
}

/** Resolves once core's job queues are empty (the seed's embedding jobs), so they do not run during a measurement. */
export async function jobsSettled(base: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${base}/metrics`)).text();
    // The periodic storage sweeps always have their next run delayed: they are never "settled".
    const pending = [...text.matchAll(/^tcc_jobs_queued\{([^}]*state="(?:waiting|active|delayed)"[^}]*)\} (\d+)/gm)]
      .filter((m) => !m[1]?.includes('queue="storage-sweeps"'))
      .reduce((sum, m) => sum + Number(m[2]), 0);
    if (pending === 0) return;
    await Bun.sleep(500);
  }
  console.warn("the seed's background jobs were still running when measuring began");
}
