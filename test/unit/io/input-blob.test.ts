import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sha256 } from "../../../src/core/hash.ts";
import { InputError } from "../../../src/core/errors.ts";
import { blobChangedError, isBlobChangedError, openInputBlob } from "../../../src/io/input-file.ts";

/* load reads the window parquet through a file-backed Blob: never whole in memory, still proven. */
describe("openInputBlob", () => {
  const fileOf = (bytes: string, hashedAs = bytes) => {
    const path = join(mkdtempSync(join(tmpdir(), "input-blob-")), "windows.parquet");
    writeFileSync(path, bytes);
    return { path, display: "data/windows.parquet", hash: sha256(hashedAs) };
  };

  it("reads the file's bytes by range when they hash to the key's hash", async () => {
    const blob = await openInputBlob(fileOf("0123456789"));
    expect(await blob.slice(3, 6).text()).toBe("345");
  });

  it("refuses a file whose bytes are not the ones the key names", async () => {
    const error = await openInputBlob(fileOf("new bytes", "old bytes")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe("E_INPUT_CHANGED");
    expect((error as InputError).message).toMatch(/data\/windows\.parquet: input changed while it was read/);
  });

  it("fails every later read once the file is rewritten after it was opened", async () => {
    const file = fileOf("0123456789");
    const blob = await openInputBlob(file);
    await new Promise((r) => setTimeout(r, 20)); // a later mtime
    writeFileSync(file.path, "9876543210");
    const error = await blob
      .slice(0, 4)
      .text()
      .catch((e: unknown) => e);
    expect(isBlobChangedError(error)).toBe(true);
    expect(blobChangedError(file).message).toMatch(/data\/windows\.parquet: input changed while it was read/);
  });

  it("names a missing file as not found", async () => {
    const file = { path: join(tmpdir(), "no-such-dir-here", "w.parquet"), display: "data/w.parquet", hash: sha256("") };
    await expect(openInputBlob(file)).rejects.toThrow(/data\/w\.parquet: file not found/);
  });
});
