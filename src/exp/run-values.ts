import type { RunLog } from "../engine/run-log.ts";

/**
 * One recorded value of a run, addressed as SPEC names it: `path` is the stage, `name` the
 * parameter or metric, `column` their `STAGE.NAME`. The global seed is a parameter of no stage:
 * path "", column "seed".
 */
export interface RunValue {
  column: string;
  path: string;
  name: string;
  value: unknown;
}

/** The stage order of a run: its stage results' order (the pipeline's), then any stage only in params. */
function _stageOrder(log: RunLog): string[] {
  const order = log.stages.map((s) => s.name);
  for (const stage of Object.keys(log.params)) if (!order.includes(stage)) order.push(stage);
  return order;
}

/** The run's seed, then every `STAGE.PARAM` in stage order, parameters sorted by name. */
export function paramValues(log: RunLog): RunValue[] {
  const values: RunValue[] = [{ column: "seed", path: "", name: "seed", value: log.seed }];
  for (const stage of _stageOrder(log)) {
    const params = log.params[stage];
    if (params === null || typeof params !== "object" || Array.isArray(params)) continue;
    for (const name of Object.keys(params).sort()) {
      const value = (params as Record<string, unknown>)[name];
      if (value !== undefined) values.push({ column: `${stage}.${name}`, path: stage, name, value });
    }
  }
  return values;
}

/**
 * Every `STAGE.METRIC` of the stages that ran or came from the cache in this run, in stage order,
 * metrics sorted by name. A skipped or failed stage has none.
 */
export function metricValues(log: RunLog): RunValue[] {
  const values: RunValue[] = [];
  for (const stage of log.stages) {
    if ((stage.status !== "ran" && stage.status !== "cached") || !stage.metrics) continue;
    for (const name of Object.keys(stage.metrics).sort()) {
      const value = stage.metrics[name];
      if (typeof value === "number") values.push({ column: `${stage.name}.${name}`, path: stage.name, name, value });
    }
  }
  return values;
}
