import { EXIT, PipelineError } from "../core/errors.ts";

/**
 * Some events never reached the dashboard (after retries). Exit 4: the fit on disk and the
 * cache are untouched, so publishing again is all it takes.
 */
export class PublishError extends PipelineError {
  readonly failed: number;
  readonly total: number;
  readonly url: string;

  /** `reasons` maps a short cause ("connection refused", "HTTP 400") to how many events it hit. */
  constructor(failed: number, total: number, url: string, reasons: Readonly<Record<string, number>>, hint?: string) {
    super(`${failed} of ${total} events were not delivered to ${url}: ${describeReasons(reasons)}`, {
      code: "E_PUBLISH_FAILED",
      exitCode: EXIT.publish,
      hint: hint ?? `check that the dashboard is listening at ${url}, then publish again (\`pipeline run publish\`)`,
    });
    this.failed = failed;
    this.total = total;
    this.url = url;
  }
}

/** "connection refused" or "HTTP 400 (3), HTTP 413 (1)": the most frequent cause first. */
export function describeReasons(reasons: Readonly<Record<string, number>>): string {
  const entries = Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return "no reason recorded";
  if (entries.length === 1) return entries[0]![0];
  return entries.map(([reason, count]) => `${reason} (${count})`).join(", ");
}
