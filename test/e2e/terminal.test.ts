import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTestProjects, testProject } from "../helpers/cli.ts";
import { HAS_SCRIPT, runInTerminal } from "../helpers/pty.ts";

afterAll(removeTestProjects);

const STAGES = readFileSync(new URL("../fixtures/engine/tty-stages.mjs", import.meta.url), "utf8");

/*
 *   seed ──numbers──┬─> slow ──numbers──> tail -> out/tail.txt
 *                   │     └─> out/slow.txt
 *                   └─> publish (an effect)
 */
function ttyProject(slowSteps: number): string {
  const yaml = `version: 1
seed: 7
plugins: [stages.mjs]
stages:
  seed:
    uses: tty-seed
    params: { steps: 25 }
  slow:
    uses: tty-slow
    params: { steps: ${slowSteps} }
    inputs: { numbers: seed.numbers }
    outputs: { report: out/slow.txt }
  tail:
    uses: tty-slow
    params: { steps: 5 }
    inputs: { numbers: slow.numbers }
    outputs: { report: out/tail.txt }
  publish:
    uses: tty-effect
    inputs: { numbers: seed.numbers }
`;
  return testProject({ "pipeline.yaml": yaml, "stages.mjs": STAGES });
}

// Without `script` the tests skip on a developer's machine, but fail under CI.
const onTerminal = HAS_SCRIPT || process.env.CI ? it : it.skip;

describe("pipeline run on a terminal (listr2 rows)", () => {
  onTerminal("Ctrl-C stops the run like it does in a pipe: exit 130, run log written, lock released", async () => {
    const dir = ttyProject(1500); // 30 s unless interrupted
    const run = runInTerminal(dir, ["run"]);
    await run.waitFor("slow  running");
    run.type("\x03");
    const { code, screen } = await run.done;
    expect(code, screen).toBe(130);
    expect(existsSync(join(dir, "cache/lock")), "cache/lock left behind").toBe(false);
    const logs = readdirSync(join(dir, "cache/runs")).filter((f) => f.endsWith(".json"));
    expect(logs).toHaveLength(1);
    const log = JSON.parse(readFileSync(join(dir, "cache/runs", logs[0]!), "utf8"));
    expect(log.ok).toBe(false);
    expect(screen).toMatch(/failed: 1 ran, 0 cached, 2 skipped, 1 failed/); // publish is not selected
    expect(screen).toContain("tail  skipped: not run because slow failed");
  }, 60_000);
});
