/** What publish and stream tell the user: the dry-run preview and the stage's receipt. */
import type { Json } from "../core/artifact.ts";
import type { DeliveryReport } from "./deliver.ts";
import type { PublishEvent } from "./events.ts";

/** The default dashboard endpoint (SPEC section 4). */
export const DEFAULT_PUBLISH_URL = "http://127.0.0.1:8447/publish";

/** Events per type, in first-seen order: `{embedding: 2000, model_metric: 1, model_perf: 1}`. */
export function countByType(events: readonly PublishEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
}

/** The dry-run report: how many events of each type would go where, then the first few as sent. */
export function describeDryRun(events: readonly PublishEvent[], url: string, first = 3): string[] {
  const counts = Object.entries(countByType(events))
    .map(([type, count]) => `${count} ${type}`)
    .join(", ");
  const lines = [`dry run: would send ${events.length} events to ${url} (${counts || "none"}); nothing sent`];
  const shown = events.slice(0, first);
  if (shown.length > 0) lines.push(`first ${shown.length}:`);
  for (const event of shown) lines.push(`  ${JSON.stringify(event)}`);
  return lines;
}

/** The publish stage's `receipt` output. `report` is absent for a dry run. */
export function publishReceipt(url: string, events: readonly PublishEvent[], report?: DeliveryReport): Json {
  return {
    url,
    events: events.length,
    by_type: countByType(events),
    attempted: report?.attempted ?? 0,
    sent: report?.sent ?? 0,
    retried: report?.retried ?? 0,
    failed: report?.failed ?? 0,
    dry_run: report === undefined,
    ...(report ? { ms: Math.round(report.ms) } : {}),
  };
}
