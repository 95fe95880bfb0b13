/**
 * @module stats/resources
 * Live resources keeping the event loop busy — Node's nearest analog of Go's
 * goroutine count: handles (sockets, servers, timers, child processes) and
 * requests (fs, dns) by type, from `process.getActiveResourcesInfo()` (~0.2 µs).
 * Unref'd timers are not listed by Node, so memstats' own timers never show.
 */

/** Live resources by type. */
export interface ResourceStats {
  /** Total count of live resources. */
  total: number;
  /** Counts by type name (`TCPSocketWrap`, `Timeout`, `FSReqCallback`, …). */
  byType: Record<string, number>;
}

/** readResources counts the live handles and requests by type. */
export function readResources(): ResourceStats {
  const list = process.getActiveResourcesInfo();
  const byType: Record<string, number> = {};
  for (const t of list) byType[t] = (byType[t] ?? 0) + 1;
  return { total: list.length, byType };
}
