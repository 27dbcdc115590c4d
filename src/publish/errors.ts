import { EXIT, PipelineError } from "../core/errors.ts";
import type { DeliveryReport } from "./deliver.ts";

/** What a PublishError says about a delivery. */
export type UndeliveredReport = Pick<DeliveryReport, "url" | "total" | "sent" | "failed" | "reasons">;

/**
 * Some events never reached the dashboard (after retries, or by the deadline). Exit 4: the fit
 * on disk and the cache are untouched, so publishing again is all it takes.
 */
export class PublishError extends PipelineError {
  readonly failed: number;
  readonly delivered: number;
  readonly total: number;
  readonly url: string;

  /** `report.reasons` maps a short cause ("connection refused", "HTTP 400") to how many events it hit. */
  constructor(report: UndeliveredReport, hint?: string) {
    const delivered = report.sent > 0 ? ` (${report.sent} delivered)` : "";
    super(
      `${report.failed} of ${report.total} events were not delivered to ${report.url}: ${describeReasons(report.reasons)}${delivered}`,
      {
        code: "E_PUBLISH_FAILED",
        exitCode: EXIT.publish,
        hint: hint ?? `check that the dashboard is listening at ${report.url}, then publish again (\`pipeline run publish\`)`,
      },
    );
    this.failed = report.failed;
    this.delivered = report.sent;
    this.total = report.total;
    this.url = report.url;
  }
}

/** "connection refused" or "HTTP 400 (3), HTTP 413 (1)": the most frequent cause first. */
export function describeReasons(reasons: Readonly<Record<string, number>>): string {
  const entries = Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return "no reason recorded";
  if (entries.length === 1) return entries[0]![0];
  return entries.map(([reason, count]) => `${reason} (${count})`).join(", ");
}
