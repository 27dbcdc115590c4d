import { describe, expect, it } from "vitest";
import { listByOrigin, originOf } from "../../../src/core/stage-origin.ts";

describe("listByOrigin", () => {
  it("groups names by origin: built in first, then each plugin file in the order met, command stages last", () => {
    const listed = listByOrigin([
      { name: "plot", origin: { kind: "command" } },
      { name: "total", origin: { kind: "plugin", file: "stages/total.mjs" } },
      { name: "load", origin: { kind: "built-in" } },
      { name: "norms", origin: { kind: "plugin", file: "lib/norms.mjs" } },
      { name: "mean", origin: { kind: "plugin", file: "stages/total.mjs" } },
      { name: "cluster", origin: { kind: "built-in" } },
    ]);
    expect(listed).toBe(
      "load, cluster (built in); total, mean (plugin stages/total.mjs); norms (plugin lib/norms.mjs); plot (command stage)",
    );
  });

  it("says only what is there", () => {
    expect(listByOrigin([{ name: "load", origin: { kind: "built-in" } }])).toBe("load (built in)");
    expect(listByOrigin([])).toBe("");
  });
});

describe("originOf", () => {
  it("reads a resolved stage: a command spec makes it a command stage, a plugin file a plugin's, else built in", () => {
    expect(originOf({ command: { cmd: "true" }, plugin: "x.mjs" })).toEqual({ kind: "command" });
    expect(originOf({ plugin: "x.mjs" })).toEqual({ kind: "plugin", file: "x.mjs" });
    expect(originOf({})).toEqual({ kind: "built-in" });
  });
});
