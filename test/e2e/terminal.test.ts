import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTestProjects, runCli, testProject } from "../helpers/cli.ts";
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
  onTerminal(
    "Ctrl-C stops the run like it does in a pipe: exit 130, run log written, lock released",
    async () => {
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
      expect(screen).toContain("slow  failed: stage slow was interrupted");
      expect(screen).toMatch(/failed: 1 ran, 0 cached, 2 skipped, 1 failed/); // publish is not selected
      expect(screen).toContain("tail  skipped: not run because slow failed");
    },
    60_000,
  );

  onTerminal(
    "rows say what the plain lines say: waiting, running and why, what was written, publish",
    async () => {
      const dir = ttyProject(60);
      const run = runInTerminal(dir, ["run", "--publish"]);
      const { code, screen } = await run.done;
      expect(code, screen).toBe(0);
      expect(screen).toContain("tail  waiting"); // a stage not started yet neither spins nor looks running
      expect(screen).toContain("seed  running (never run before)"); // it starts before listr has started its row
      expect(screen).toContain("slow  running (never run before)");
      expect(screen).toContain("publish  running (an effect: never cached)");
      expect(screen).toContain("publish  done in");
      expect(screen).toMatch(/slow {2}done in \d+\.\d\ds\n\s+\S+ wrote out\/slow\.txt\n/);
      expect(screen).toMatch(/tail {2}done in \d+\.\d\ds\n\s+\S+ wrote out\/tail\.txt\n/);
      expect(screen).toContain("ok: 4 ran, 0 cached, 0 skipped, 0 failed");
    },
    60_000,
  );

  onTerminal(
    "a warning about a stage shows under its row, inside the rows rather than after them",
    async () => {
      const dir = ttyProject(5);
      const first = await runCli(dir, ["run", "--json"]);
      expect(first.code, first.stderr).toBe(0);
      const key = first.json!.stages.find((s) => s.name === "slow")!.key!;
      const entry = JSON.parse(readFileSync(join(dir, "cache/entries/slow", `${key}.json`), "utf8"));
      const objectFile = join(dir, "cache/objects", entry.outputs.numbers.hash.slice(0, 2), entry.outputs.numbers.hash);
      const bytes = readFileSync(objectFile);
      bytes[bytes.length - 9]! ^= 0xff; // same size, different bytes: tail finds it when it reads its input
      writeFileSync(objectFile, bytes);

      const { code, screen } = await runInTerminal(dir, ["run", "--force", "tail"]).done;
      expect(code, screen).toBe(0);
      expect(screen).toMatch(
        /tail {2}done in \d+\.\d\ds\n\s+\S+ warning: tail: cache object for input numbers is missing or damaged; rebuilding it\n/,
      );
    },
    60_000,
  );
});

describe("a command stage on a terminal", () => {
  onTerminal(
    "its row shows the command's latest line of output while it runs",
    async () => {
      const yaml = `version: 1
stages:
  talk:
    uses: cmd
    cmd: "for i in 1 2 3; do echo step $i of 3 >&2; sleep 1; done; echo ok > \${outs.o}"
    outs: { o: out/o.txt }
`;
      const dir = testProject({ "pipeline.yaml": yaml });
      const run = runInTerminal(dir, ["run"]);
      await run.waitFor("step 2 of 3");
      const { code, screen } = await run.done;
      expect(code, screen).toBe(0);
      expect(screen).toContain("talk  running");
      expect(screen).toContain("talk  done in");
      expect(readFileSync(join(dir, "out/o.txt"), "utf8")).toBe("ok\n");
    },
    60_000,
  );
});
