import { describe, expect, spyOn, test } from "bun:test";
import v8 from "node:v8";
import { Registry } from "prom-client";
import { collectProcessMetrics } from "./process-metrics";

describe("process metrics", () => {
  test("a scrape has the process's RSS, CPU and heap size, and never walks the heap", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const walk = spyOn(v8, "getHeapSpaceStatistics");
    try {
      const text = await registry.metrics();
      for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_heap_size_used_bytes"]) {
        expect(text).toMatch(new RegExp(`^${name} \\d`, "m"));
      }
      expect(text).not.toContain("nodejs_heap_space_size");
      expect(walk).not.toHaveBeenCalled();
    } finally {
      walk.mockRestore();
    }
  });
});
