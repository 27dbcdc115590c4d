import { Listr, type ListrTaskWrapper } from "listr2";
import type { PipelineEvent } from "../core/events.ts";
import type { Reporter } from "./reporters.ts";

type Task = ListrTaskWrapper<unknown, never, never>;
interface Row {
  task?: Task;
  /** a title or skip reason decided before listr started the row's task (cached stages settle at once) */
  title?: string;
  skipped?: string;
  finish?: (error?: Error) => void;
  done: Promise<void>;
}

/** One listr2 row per stage: cached / running with % / done with its time / failed / skipped. */
export function listrReporter(): Reporter {
  const rows = new Map<string, Row>();
  let listr: Listr | undefined;
  let running: Promise<unknown> | undefined;

  const rowFor = (stage: string): Row => rows.get(stage)!;
  const settle = (stage: string, title: string, error?: Error) => {
    const row = rowFor(stage);
    row.title = title;
    if (row.task) row.task.title = title;
    row.finish?.(error);
  };

  return {
    onEvent(e: PipelineEvent) {
      if (e.type === "run:start") {
        for (const stage of e.stages) {
          let finish!: (error?: Error) => void;
          const done = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
          rows.set(stage, { finish, done });
        }
        listr = new Listr(
          e.stages.map((stage) => ({
            title: stage,
            task: async (_ctx: unknown, task: Task) => {
              const row = rowFor(stage);
              row.task = task;
              if (row.title) task.title = row.title;
              if (row.skipped) task.skip(row.skipped);
              await row.done;
            },
          })),
          {
            concurrent: true,
            exitOnError: false,
            renderer: "default",
            // the CLI's own SIGINT handler aborts the run and exits 130 once the run log is written;
            // listr's would mark every row failed and exit 127 at once
            registerSignalListeners: false,
          },
        );
        running = listr.run().catch(() => undefined);
        return;
      }
      if (!("stage" in e) || !rows.has(e.stage)) {
        if (e.type === "warning") process.stderr.write(`warning: ${e.message}\n`);
        return;
      }
      const row = rowFor(e.stage);
      switch (e.type) {
        case "stage:cached":
          return settle(e.stage, `${e.stage}  cached`);
        case "stage:start":
          if (row.task) row.task.title = `${e.stage}  running (${e.reasons.join("; ")})`;
          return;
        case "stage:progress":
          if (row.task) row.task.output = `${Math.round(e.fraction * 100)}%${e.detail ? ` ${e.detail}` : ""}`;
          return;
        case "stage:done":
          return settle(e.stage, `${e.stage}  done in ${(e.ms / 1000).toFixed(2)}s`);
        case "stage:failed":
          return settle(e.stage, `${e.stage}  failed`, new Error(`${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`));
        case "stage:skipped":
          row.skipped = `${e.stage}  skipped: ${e.because}`;
          row.task?.skip(row.skipped);
          return row.finish?.();
        default:
          return;
      }
    },
    async close() {
      for (const row of rows.values()) row.finish?.();
      await running;
    },
  };
}
