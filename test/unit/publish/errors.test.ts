import { describe, expect, it } from "vitest";
import { EXIT } from "../../../src/core/errors.ts";
import { describeReasons, PublishError } from "../../../src/publish/errors.ts";

const URL = "http://127.0.0.1:8447/publish";

describe("PublishError", () => {
  it("is exit 4 and its hint names a command that exists: `pipeline run publish`", () => {
    const error = new PublishError(3, 10, URL, { "HTTP 503": 3 });
    expect(error.exitCode).toBe(EXIT.publish);
    expect(error.code).toBe("E_PUBLISH_FAILED");
    expect(error.hint).toContain("`pipeline run publish`");
    // `pipeline publish` is not a command (publish is a stage, run by `pipeline run`)
    expect(error.hint).not.toMatch(/`pipeline publish`/);
  });

  it("keeps a caller's hint", () => {
    expect(new PublishError(1, 1, URL, { x: 1 }, "run `pipeline stream` again").hint).toBe("run `pipeline stream` again");
  });
});

describe("describeReasons", () => {
  it("names a single cause alone and several with counts, the most frequent first", () => {
    expect(describeReasons({ "connection refused": 4 })).toBe("connection refused");
    expect(describeReasons({ "HTTP 413": 1, "HTTP 400": 3 })).toBe("HTTP 400 (3), HTTP 413 (1)");
    expect(describeReasons({})).toBe("no reason recorded");
  });
});
