import { collectDefaultMetrics, type Registry } from "prom-client";

/**
 * prom-client's default metrics fill these from `v8.getHeapSpaceStatistics()`, which Bun answers
 * by walking every object on the heap: 15-45 ms with core's heap under load, the event loop
 * blocked for all of it on every scrape. The heap's size stays (`nodejs_heap_size_*_bytes`, from
 * `process.memoryUsage()`), as do RSS and CPU.
 */
const WALK_THE_HEAP = ["nodejs_heap_space_size_total_bytes", "nodejs_heap_space_size_used_bytes", "nodejs_heap_space_size_available_bytes"];

/** The process metrics of prom-client's defaults, less those a scrape would stall the process for. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of WALK_THE_HEAP) registry.removeSingleMetric(name);
}
