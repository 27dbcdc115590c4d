import { afterAll, describe, expect, it } from "vitest";
import { removeTestProjects, runCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

/** Nine anchors of nine aliases each: 9^9 strings if expanded. `plugins:` makes pluginPaths read it too. */
function aliasBomb(): string {
  const names = "abcdefghi";
  const lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < names.length; i++)
    lines.push(
      `  ${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(", ")}]`,
    );
  return `version: 1\nplugins: [stages.mjs]\nbomb:\n${lines.join("\n")}\nstages: {}\n`;
}

describe("a hostile pipeline.yaml exits 3 with a message, never a crash", () => {
  it("an alias bomb", async () => {
    const dir = testProject({ "pipeline.yaml": aliasBomb() });
    const result = await runCli(dir, ["status"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("error: pipeline.yaml has 1 problem:");
    expect(result.stderr).toContain("yaml aliases (line 5, column 10): Excessive alias count indicates a resource exhaustion attack");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain("a bug in pipeline");
  });

  it("an alias with no anchor", async () => {
    const dir = testProject({ "pipeline.yaml": "version: 1\nplugins: *nosuch\nstages: {}\n" });
    const result = await runCli(dir, ["status"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("yaml alias (line 2, column 10): *nosuch names no anchor; define &nosuch before it");
    expect(result.stderr).not.toContain("a bug in pipeline");
  });

  it("a file over 1 MiB, refused before it is parsed", async () => {
    const dir = testProject({ "pipeline.yaml": `version: 1\nstages: {}\n${"[".repeat(2_000_000)}\n` });
    const result = await runCli(dir, ["status"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`${dir}/pipeline.yaml is 2000023 bytes, over the limit of 1048576 bytes (1 MiB); it was not read`);
    expect(result.stderr).toContain("hint: pipeline.yaml holds stages, wiring and parameters");
  });

  it("a million open brackets under the size limit", async () => {
    const dir = testProject({ "pipeline.yaml": `version: 1\nstages: ${"[".repeat(1_000_000)}\n` });
    const result = await runCli(dir, ["status"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("yaml (line 2, column 72): nested deeper than 64 levels");
  });

  it("1 MiB of unknown parameters lists 50 and counts the rest", async () => {
    const lines = ["version: 1", "stages:", "  cluster:", "    params:"];
    for (let i = 0; i < 66_000; i++) lines.push(`      k${i}: 1`);
    const dir = testProject({ "pipeline.yaml": `${lines.join("\n")}\n` });
    const result = await runCli(dir, ["status"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("error: pipeline.yaml has 66001 problems:");
    expect(result.stderr).toContain('  - stages.cluster.params (line 5): Unrecognized key: "k0"');
    expect(result.stderr).toContain("  ... and 65951 more");
    expect(result.stderr.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(50);
  });
});
