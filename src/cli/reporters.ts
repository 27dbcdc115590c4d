import type { PipelineEvent } from "../core/events.ts";

export interface Reporter {
  onEvent(event: PipelineEvent): void;
  close(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;

/**
 * One line per event, for pipes, CI logs and --json runs (listr2 only falls back by itself
 * when stdout is not a TTY, so the choice is made explicitly in pickReporter).
 */
export function plainReporter(write: (line: string) => void, verbose = false): Reporter {
  const lastDecile = new Map<string, number>();
  return {
    onEvent(e) {
      switch (e.type) {
        case "stage:cached":
          return write(`  cached   ${e.stage}`);
        case "stage:start":
          return write(`  run      ${e.stage}  (${e.reasons.join("; ")})`);
        case "stage:would-run":
          return write(`  would run ${e.stage}  (${e.reasons.join("; ")})`);
        case "stage:progress": {
          const decile = Math.floor(e.fraction * 10);
          if (decile <= (lastDecile.get(e.stage) ?? 0) || decile >= 10) return;
          lastDecile.set(e.stage, decile);
          return write(`  ...      ${e.stage} ${decile * 10}%${e.detail ? ` ${e.detail}` : ""}`);
        }
        case "stage:log":
          // a message may hold several lines (a command stage sends its output in batches): one line each
          if (verbose) for (const line of e.message.split("\n")) write(`  log      ${e.stage}: ${line}`);
          return undefined;
        case "stage:done":
          return write(`  done     ${e.stage} in ${seconds(e.ms)}`);
        case "stage:shard":
          return write(`  shard    ${e.stage} ${e.index}/${e.count} ${shardState(e)}`);
        case "stage:failed":
          return write(`  FAILED   ${e.stage}: ${e.message}${e.hint ? `\n           hint: ${e.hint}` : ""}`);
        case "stage:skipped":
          return write(`  skipped  ${e.stage}: ${e.because}`);
        case "output:written":
          return write(`  wrote    ${e.path}`);
        case "warning":
          return write(`warning: ${e.message}`);
        default:
          return undefined;
      }
    },
    close: async () => {},
  };
}

/** "done here in 3.10s", "cached", "on the remote", "queued on bullmq redis://..." */
export function shardState(e: Extract<PipelineEvent, { type: "stage:shard" }>): string {
  const where = e.where ? (e.where === "here" ? " here" : ` on ${e.where}`) : "";
  if (e.state === "cached") return "cached";
  if (e.state === "remote") return "on the remote cache";
  return `${e.state}${where}${e.ms !== undefined ? ` in ${seconds(e.ms)}` : ""}`;
}

/** The reporter a run uses: listr2 rows on an interactive terminal, plain lines elsewhere. */
export async function pickReporter(options: {
  isTTY: boolean;
  json: boolean;
  verbose: boolean;
  write: (line: string) => void;
}): Promise<Reporter> {
  if (options.json || !options.isTTY || process.env.CI) return plainReporter(options.write, options.verbose);
  const { listrReporter } = await import("./listr-reporter.ts");
  return listrReporter();
}
