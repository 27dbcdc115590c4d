import { Listr, type ListrTaskWrapper } from "listr2";
import type { PipelineEvent } from "../core/events.ts";
import { shardState, type Reporter } from "./reporters.ts";

type Task = ListrTaskWrapper<unknown, never, never>;

type ListrRow = Listr["tasks"][number];

/**
 * What a row shows. Events can arrive before listr has started the row's task (a stage starts,
 * or is cached, in the same tick as run:start), so the title goes onto listr's own task object,
 * which it renders from the start, and the output is sent again when the task starts: listr only
 * listens for a row's output once it has drawn the row.
 */
interface Row {
  item?: ListrRow;
  task?: Task;
  title: string;
  /** the running stage's last progress, shown under its row */
  progress?: string;
  /** "wrote <path>" and warnings, shown under the row and kept when it settles */
  notes: string[];
  /** a sharded stage: each shard's state ("2/4 running on bullmq redis://..."), one line */
  shards?: Map<number, string>;
  skipped?: string;
  settled: boolean;
  /** lets listr run the row's task: until then the row reads "waiting", without a spinner */
  start: () => void;
  started: Promise<true>;
  asked: number;
  finish: (error?: Error) => void;
  done: Promise<void>;
}

/**
 * One listr2 row per stage: waiting / cached / running (why, with %) / done with its time /
 * failed / skipped, and under it the files the stage wrote, like the plain reporter's lines.
 */
export function listrReporter(): Reporter {
  const rows = new Map<string, Row>();
  const unplaced: string[] = [];
  let running: Promise<unknown> | undefined;

  const paint = (row: Row, again = false) => {
    const item = row.item;
    if (!item) return;
    if (item.title !== row.title) item.title$ = row.title;
    const states = [...(row.shards ?? [])].sort(([a], [b]) => a - b).map(([, state]) => state);
    const shards = states.length > 0 ? `shards: ${states.join(", ")}` : undefined;
    const output = [row.progress, shards, ...row.notes].filter((l) => l !== undefined).join("\n");
    if (again || (item.output ?? "") !== output) item.output$ = output;
  };
  const settle = (row: Row, title: string, error?: Error) => {
    row.title = title;
    row.progress = undefined;
    row.settled = true;
    row.start();
    paint(row);
    row.finish(error);
  };

  return {
    onEvent(e: PipelineEvent) {
      if (e.type === "run:start") {
        for (const stage of e.stages) rows.set(stage, _newRow(stage));
        const listr = new Listr(
          e.stages.map((stage) => {
            const row = rows.get(stage)!;
            return {
              title: row.title,
              // listr2 9 asks `enabled` once for every row before any runs, and again just before
              // it runs the row: answering the second time only when the stage starts keeps a
              // waiting row in listr's waiting state (no spinner). Were it asked only once, rows
              // would merely spin while they wait.
              enabled: () => (row.asked++ === 0 ? true : row.started),
              task: async (_ctx: unknown, task: Task) => {
                row.task = task;
                paint(row, true);
                if (row.skipped) task.skip(row.skipped);
                await row.done;
              },
              rendererOptions: { persistentOutput: true },
            };
          }),
          {
            concurrent: true,
            exitOnError: false,
            renderer: "default",
            // the CLI's own SIGINT handler aborts the run and exits 130 once the run log is written;
            // listr's would mark every row failed and exit 127 at once
            registerSignalListeners: false,
          },
        );
        e.stages.forEach((stage, i) => (rows.get(stage)!.item = listr.tasks[i]));
        running = listr.run().catch(() => undefined);
        return;
      }
      if (e.type === "warning" && (e.stage === undefined || !rows.has(e.stage))) {
        unplaced.push(`warning: ${e.message}`);
        return;
      }
      if (!("stage" in e) || e.stage === undefined || !rows.has(e.stage)) return;
      const row = rows.get(e.stage)!;
      switch (e.type) {
        case "stage:cached":
          return settle(row, `${e.stage}  cached`);
        case "stage:would-run":
          return settle(row, `${e.stage}  would run (${e.reasons.join("; ")})`);
        case "stage:start":
          row.title = `${e.stage}  running (${e.reasons.join("; ")})`;
          row.start();
          return paint(row);
        case "stage:progress":
          row.progress = `${Math.round(e.fraction * 100)}%${e.detail ? ` ${e.detail}` : ""}`;
          return paint(row);
        case "stage:shard":
          (row.shards ??= new Map()).set(e.index, `${e.index}/${e.count} ${shardState(e)}`);
          return paint(row);
        case "stage:log": {
          // what the stage said last (a command stage: its latest line of output), cut to fit a row
          const line = e.message.split("\n").at(-1)!.trim();
          row.progress = line.length > 120 ? `${line.slice(0, 117)}...` : line;
          return paint(row);
        }
        case "output:written":
          row.notes.push(`wrote ${e.path}`);
          return paint(row);
        case "warning":
          row.notes.push(`warning: ${e.message}`);
          return paint(row);
        case "stage:done":
          return settle(row, `${e.stage}  done in ${(e.ms / 1000).toFixed(2)}s`);
        case "stage:failed":
          // listr shows the error in place of the title, so it names the stage itself
          return settle(row, `${e.stage}  failed`, new Error(`${e.stage}  failed: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}`));
        case "stage:skipped":
          row.skipped = `${e.stage}  skipped: ${e.because}`;
          row.task?.skip(row.skipped);
          return settle(row, row.title);
        default:
          return;
      }
    },
    async close() {
      for (const [stage, row] of rows) {
        if (row.settled) continue;
        row.skipped = `${stage}  not run`;
        row.task?.skip(row.skipped);
        settle(row, row.title);
      }
      await running;
      // after listr has drawn its last frame, so they never land between two frames
      for (const line of unplaced.splice(0)) process.stderr.write(`${line}\n`);
    },
  };
}

function _newRow(stage: string): Row {
  let start!: () => void;
  const started = new Promise<true>((resolve) => (start = () => resolve(true)));
  let finish!: (error?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve())));
  return { title: `${stage}  waiting`, notes: [], settled: false, start, started, asked: 0, finish, done };
}
