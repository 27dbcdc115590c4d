import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../../src/cli/main.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { removeTestProjects, runCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

/** The shipped pipeline.yaml: every name below is checked against it. No input data is needed. */
const SHIPPED = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

function shippedProject(yaml = SHIPPED): string {
  return testProject({ "pipeline.yaml": yaml });
}

/** `yaml` with `from` replaced once, failing the test when `from` is not there. */
function edited(from: string, to: string, yaml = SHIPPED): string {
  expect(yaml).toContain(from);
  return yaml.replace(from, to);
}

/** The 1-based line of the first line of `yaml` that starts with `prefix` (after indentation). */
function lineOf(yaml: string, prefix: string): number {
  const index = yaml.split("\n").findIndex((line) => line.trimStart().startsWith(prefix));
  expect(index).toBeGreaterThanOrEqual(0);
  return index + 1;
}

async function expectError(dir: string, args: string[], code: number, ...messages: (string | RegExp)[]) {
  const result = await runCli(dir, args);
  expect(result.code, result.stderr).toBe(code);
  for (const message of messages) {
    if (typeof message === "string") expect(result.stderr).toContain(message);
    else expect(result.stderr).toMatch(message);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(result.stderr).not.toContain("a bug in pipeline");
  return result;
}

describe("did you mean: command-line names (bad usage, exit 2)", () => {
  const dir = shippedProject();

  it("a command", async () => {
    await expectError(dir, ["rn"], 2, 'error: unknown command "rn"; did you mean run?', "hint: run `pipeline --help` for the list");
  });

  it("a command nothing is close to: no guess", async () => {
    const result = await expectError(dir, ["frobnicate"], 2, 'error: unknown command "frobnicate"');
    expect(result.stderr).not.toContain("did you mean");
  });

  it("subcommands of cache, exp, params and metrics", async () => {
    await expectError(dir, ["cache", "verfy"], 2, 'unknown cache command "verfy"; did you mean verify?');
    await expectError(dir, ["exp", "shw"], 2, 'unknown exp command "shw"; did you mean show?');
    await expectError(dir, ["params", "dif"], 2, 'unknown params command "dif"; did you mean diff?');
    await expectError(dir, ["metrics", "dff"], 2, 'unknown metrics command "dff"; did you mean diff?');
  });

  it("a flag, with or without its dashes right", async () => {
    await expectError(dir, ["run", "--dry-rn"], 2, "error: run: Unknown option '--dry-rn'; did you mean --dry-run?");
    await expectError(dir, ["run", "--dryrun"], 2, "did you mean --dry-run?");
    await expectError(dir, ["status", "--jsn"], 2, "error: status: Unknown option '--jsn'; did you mean --json?");
    await expectError(dir, ["stream", "--max-point", "3"], 2, "error: stream: Unknown option '--max-point'; did you mean --max-points?");
    await expectError(dir, ["exp", "show", "--sort-bi", "x"], 2, "error: exp show: Unknown option '--sort-bi'; did you mean --sort-by?");
    const far = await expectError(dir, ["run", "--bogus"], 2, "error: run: Unknown option '--bogus'");
    expect(far.stderr).not.toContain("did you mean");
  });

  it("a stage name given to --only, --from, --force, run and explain", async () => {
    const hint = "hint: stages are load, standardize, classify, cluster, evaluate, project, write-fit, publish (built in)\n";
    await expectError(dir, ["run", "--only", "clasify"], 2, 'error: no stage "clasify" in pipeline.yaml; did you mean classify?', hint);
    await expectError(dir, ["run", "--from", "cluser"], 2, "did you mean cluster?");
    await expectError(dir, ["run", "--force", "evalute"], 2, "did you mean evaluate?");
    await expectError(dir, ["run", "writefit"], 2, "did you mean write-fit?");
    await expectError(dir, ["explain", "clasify"], 2, 'error: no stage "clasify" in pipeline.yaml; did you mean classify?', hint);
    expect(existsSync(join(dir, "cache"))).toBe(false); // refused before anything was opened for writing
  });

  it("the stages listed with a stage name say which are built in, which a plugin file defines and which run a command", async () => {
    const dir = testProject({
      "pipeline.yaml": [
        "version: 1",
        "plugins: [plugins/toy.mjs]",
        "stages:",
        "  read: { uses: toy-read, inputs: { text: numbers.txt } }",
        "  sum: { uses: toy-sum, inputs: { numbers: read.numbers } }",
        '  shout: { uses: cmd, cmd: "echo hi > ${outs.o}", outs: { o: out/o.txt } }',
        "  schema: { uses: load, inputs: { windows: w.parquet, schema: s.json } }",
        "",
      ].join("\n"),
      "plugins/toy.mjs": readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8"),
      "numbers.txt": "1\n2\n",
    });
    const hint = "hint: stages are schema (built in); read, sum (plugin plugins/toy.mjs); shout (command stage)\n";
    await expectError(dir, ["run", "--only", "sume"], 2, 'error: no stage "sume" in pipeline.yaml; did you mean sum?', hint);
    await expectError(dir, ["explain", "shuot"], 2, "did you mean shout?", hint);
  });

  it("a --format value", async () => {
    await expectError(dir, ["dag", "--format", "mermiad"], 2, "unknown --format mermiad; did you mean mermaid?");
  });

  it("`seed` written without a stage", async () => {
    await expectError(dir, ["status", "--set", "seeed=3"], 2, "--set seeed=3: expected STAGE.PARAM=VALUE; did you mean seed=3?");
  });

  it("every command of the registry is found from a typo of it", async () => {
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(["run", "status", "explain", "cache", "exp"]));
    for (const name of COMMAND_NAMES.filter((n) => n.length >= 3)) {
      const typo = name.slice(0, -1);
      const result = await runCli(dir, [typo]);
      expect(result.code, `${typo}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`did you mean [^?]*\\b${name}\\b`));
    }
  });
});

describe("did you mean: parameters given with --set (invalid parameters, exit 3)", () => {
  const dir = shippedProject();

  it("names the near parameter, lists the stage's parameters and blames no yaml line", async () => {
    const result = await expectError(
      dir,
      ["run", "--set", "cluster.kk=5"],
      3,
      "error: the command line has 1 problem:",
      '  - --set cluster.kk=5: cluster has no parameter "kk"; did you mean k?',
      "(cluster's parameters: k, sample_for_fit, batch_size, n_init, max_iter)",
      "hint: fix the --set values listed above",
    );
    expect(result.stderr).not.toMatch(/line \d+/);
    expect(result.stderr).not.toContain("pipeline.yaml has");
  });

  it("the same through status, explain and report", async () => {
    for (const command of [["status"], ["explain", "cluster"], ["report"]]) {
      await expectError(dir, [...command, "--set", "cluster.kk=5"], 3, 'cluster has no parameter "kk"; did you mean k?');
    }
  });

  it("a stage name in --set", async () => {
    await expectError(
      dir,
      ["run", "--set", "clustr.k=5"],
      3,
      '--set clustr.k=5: no stage "clustr" in pipeline.yaml; did you mean cluster?',
    );
  });

  it("a stage without parameters says so", async () => {
    await expectError(
      dir,
      ["status", "--set", "evaluate.k=5"],
      3,
      '--set evaluate.k=5: evaluate has no parameter "k" (evaluate takes no parameters)',
    );
  });

  it("a bad value is blamed on the --set, not on the yaml line it replaced", async () => {
    const result = await expectError(
      dir,
      ["status", "--set", "cluster.k=abc"],
      3,
      "stages.cluster.params.k (from --set cluster.k=abc): Invalid input: expected number",
    );
    expect(result.stderr).not.toMatch(/line \d+/);
  });

  it("an enum value", async () => {
    await expectError(
      dir,
      ["status", "--set", "project.method=lad"],
      3,
      '(from --set project.method=lad): Invalid option: expected one of "pca"|"lda"|"umap"; did you mean lda?',
    );
  });

  it("a sweep of a misspelled parameter fails before its first variant runs", async () => {
    await expectError(dir, ["run", "--set", "cluster.kk=5,6"], 3, 'cluster has no parameter "kk"; did you mean k?');
    expect(existsSync(join(dir, "cache", "entries"))).toBe(false);
  });
});

describe("did you mean: pipeline.yaml keys and names (exit 3, with the line)", () => {
  it("a stage parameter", async () => {
    const yaml = edited("      k: 8\n", "      kk: 8\n");
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      `stages.cluster.params (line ${lineOf(yaml, "kk:")}): Unrecognized key: "kk"; did you mean k?`,
      "(cluster's parameters: k, sample_for_fit,",
    );
  });

  it("a top-level key", async () => {
    const yaml = edited("seed: 0\n", "seeed: 0\n");
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      `(top level) (line ${lineOf(yaml, "seeed:")}): Unrecognized key: "seeed"; did you mean seed?`,
    );
  });

  it("a key of a stage entry", async () => {
    const yaml = edited("  classify:\n    params:", "  classify:\n    param:");
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      `stages.classify (line ${lineOf(yaml, "param:")}): Unrecognized key: "param"; did you mean params?`,
    );
  });

  it("a key of cache.remote", async () => {
    const yaml = `${SHIPPED}cache:\n  remote:\n    urll: http://127.0.0.1:9/\n`;
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      `cache.remote (line ${lineOf(yaml, "urll:")}): Unrecognized key: "urll"; did you mean url?`,
    );
  });

  it("a stage named in uses:, an input slot, an output and a `stage.output` reference", async () => {
    let yaml = edited("  standardize:\n", "  standardize:\n    uses: standardise\n");
    yaml = edited(
      "      predictions: classify.predictions\n      neighbours",
      "      predictions: classify.predicions\n      neighbours",
      yaml,
    );
    yaml = edited("      xyz: project.xyz", "      xyz: projct.xyz", yaml);
    yaml = edited("      metrics: data/processed/metrics_v1.json", "      metric: data/processed/metrics_v1.json", yaml);
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      `stages.standardize.uses (line ${lineOf(yaml, "uses: standardise")}): unknown stage "standardise"; did you mean standardize?`,
      `(line ${lineOf(yaml, "predictions: classify.predicions")}): classify has no output "predicions"; did you mean classify.predictions?`,
      `(line ${lineOf(yaml, "xyz: projct.xyz")}): "projct.xyz" is not \`stage.output\` of a stage in this file`,
      "(xyz takes a matrix from another stage); did you mean project.xyz?",
      `stages.evaluate.outputs.metric (line ${lineOf(yaml, "metric:")}): evaluate has no output "metric"; did you mean metrics?`,
    );
  });

  it("a stage named in uses: lists the stages known, built in, from each plugin file, and cmd", async () => {
    const yaml = [
      "version: 1",
      "plugins: [plugins/toy.mjs]",
      "stages:",
      "  read: { uses: toy-red, inputs: { text: numbers.txt } }",
      "",
    ].join("\n");
    const dir = testProject({
      "pipeline.yaml": yaml,
      "plugins/toy.mjs": readFileSync(new URL("../fixtures/engine/toy-stages.mjs", import.meta.url), "utf8"),
    });
    const builtIn = "load, standardize, project, cluster, classify, evaluate, write-fit, publish (built in)";
    const plugin = "toy-read, toy-big, toy-copy, toy-sum, toy-mean (plugin plugins/toy.mjs)";
    await expectError(
      dir,
      ["status"],
      3,
      'stages.read.uses (line 4): unknown stage "toy-red"; did you mean toy-read?; ' +
        `stages known: ${builtIn}; ${plugin}; cmd (command stage)`,
    );
  });

  it("an enum value", async () => {
    const yaml = edited("      method: lda", "      method: lad");
    const line = lineOf(yaml, "method: lad");
    const message = `stages.project.params.method (line ${line}): Invalid option: expected one of "pca"|"lda"|"umap"; did you mean lda?`;
    await expectError(shippedProject(yaml), ["status"], 3, message);
  });

  it("a yaml syntax error carries its line and column", async () => {
    const yaml = "version: 1\nstages:\n  load:\n    params:\n   bad: 1\n";
    await expectError(
      shippedProject(yaml),
      ["status"],
      3,
      "yaml syntax (line 4, column 12): All mapping items must start at the same column",
    );
    const unclosed = "version: 1\nseed: [1, 2\nstages: {}\n";
    await expectError(shippedProject(unclosed), ["status"], 3, /yaml syntax \(line \d+, column \d+\): /);
  });
});
