import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHashing } from "../../../src/cache/read-hashing.ts";

describe("readHashing", () => {
  const dir = mkdtempSync(join(tmpdir(), "read-hashing-"));
  it.each([
    ["empty", 0, 4],
    ["smaller than a chunk", 3, 4],
    ["exactly two chunks", 8, 4],
    ["many chunks and a tail", 100_003, 4096],
  ])("returns the bytes and their sha256 (%s)", async (_name, size, chunk) => {
    const bytes = randomBytes(size);
    const path = join(dir, `f-${size}-${chunk}`);
    writeFileSync(path, bytes);
    const { data, digest } = await readHashing(path, chunk);
    expect(Buffer.from(data)).toEqual(bytes);
    expect(digest).toBe(createHash("sha256").update(bytes).digest("hex"));
  });
});
