import { describe, expect, it } from "vitest";
import { EXIT } from "../../../src/core/errors.ts";
import { describeReasons, PublishError } from "../../../src/publish/errors.ts";

const URL = "http://127.0.0.1:8447/publish";

describe("PublishError", () => {
  it("is exit 4 and its hint names a command that exists: `pipeline run publish`", () => {
    const error = new PublishError({ url: URL, total: 10, sent: 7, failed: 3, reasons: { "HTTP 503": 3 } });
    expect(error.exitCode).toBe(EXIT.publish);
    expect(error.code).toBe("E_PUBLISH_FAILED");
    expect(error.hint).toContain("`pipeline run publish`");
    // `pipeline publish` is not a command (publish is a stage, run by `pipeline run`)
    expect(error.hint).not.toMatch(/`pipeline publish`/);
  });

  it("keeps a caller's hint", () => {
    const report = { url: URL, total: 1, sent: 0, failed: 1, reasons: { x: 1 } };
    expect(new PublishError(report, "run `pipeline stream` again").hint).toBe("run `pipeline stream` again");
  });

  it("names how many events were delivered, when some were", () => {
    const reasons = { "publish deadline of 60 s passed": 1902 };
    expect(new PublishError({ url: URL, total: 2002, sent: 100, failed: 1902, reasons }).message).toBe(
      `1902 of 2002 events were not delivered to ${URL}: publish deadline of 60 s passed (100 delivered)`,
    );
    const error = new PublishError({ url: URL, total: 2002, sent: 0, failed: 2002, reasons: { "connection refused": 2002 } });
    expect(error.message).toBe(`2002 of 2002 events were not delivered to ${URL}: connection refused`);
    expect(error).toMatchObject({ failed: 2002, delivered: 0, total: 2002, url: URL });
  });
});

describe("describeReasons", () => {
  it("names a single cause alone and several with counts, the most frequent first", () => {
    expect(describeReasons({ "connection refused": 4 })).toBe("connection refused");
    expect(describeReasons({ "HTTP 413": 1, "HTTP 400": 3 })).toBe("HTTP 400 (3), HTTP 413 (1)");
    expect(describeReasons({})).toBe("no reason recorded");
  });
});
