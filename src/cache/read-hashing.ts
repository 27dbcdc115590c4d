import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/**
 * A whole file and its sha256 in one pass: chunk i + 1 is read on libuv's pool while chunk i
 * is hashed on the calling thread, so reading and hashing a 134 MB cache object overlap
 * (~0.09 s instead of ~0.15 s one after the other). `shared` reads into a SharedArrayBuffer.
 */
export async function readHashing(path: string, chunk: number, shared = false): Promise<{ data: Uint8Array; digest: string }> {
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    const data = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    const hash = createHash("sha256");
    const readAt = (at: number) => file.read(data, at, Math.min(chunk, size - at), at);
    let at = 0;
    let next = size > 0 ? readAt(0) : undefined;
    while (next) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break; // the file shrank while being read: the digest will not match
      const start = at;
      at += bytesRead;
      next = at < size ? readAt(at) : undefined;
      hash.update(data.subarray(start, at));
    }
    return { data: at === size ? data : data.subarray(0, at), digest: hash.digest("hex") };
  } finally {
    await file.close();
  }
}
