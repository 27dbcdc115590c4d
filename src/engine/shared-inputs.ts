/**
 * Matrix inputs read once, into shared memory, for every stage running at once that reads them.
 * With `--jobs 2`, project, cluster and classify all read standardize's matrix (896 MB at a
 * million windows); each worker reading its own copy held two or three of them at a time. Here
 * the engine reads an object (verified against its hash) into a SharedArrayBuffer when the
 * first stage that needs it starts, hands the same memory to each such stage's worker (posting
 * a SharedArrayBuffer shares it), and lets it go when the last of them ends.
 */
import { LocalDriver } from "../cache/local-driver.ts";
import { collectGarbage } from "./collect-garbage.ts";
import type { StageRequest } from "./protocol.ts";

interface Held {
  bytes: Promise<Uint8Array | undefined>;
  users: number;
}

export class SharedInputs {
  private readonly held = new Map<string, Held>();

  /** The request's matrix inputs, read or already held; an object that cannot be read is left to the worker to report. */
  async acquire(request: StageRequest): Promise<Record<string, Uint8Array>> {
    const hashes = matrixHashes(request);
    const store = new LocalDriver(request.cacheRoot);
    const shared: Record<string, Uint8Array> = {};
    for (const hash of hashes) {
      let held = this.held.get(hash);
      if (!held) {
        held = { bytes: store.readObject(hash, { shared: true }).catch(() => undefined), users: 0 };
        this.held.set(hash, held);
      }
      held.users += 1;
    }
    for (const hash of hashes) {
      const bytes = await this.held.get(hash)!.bytes;
      if (bytes) shared[hash] = bytes;
    }
    return shared;
  }

  /**
   * Drops the request's hold. Memory that no stage holds any more is collected in the next
   * turn of the event loop (the caller's frame may still point at it now), before the next
   * stage's read of its own inputs completes.
   */
  release(request: StageRequest): void {
    let dropped = false;
    for (const hash of matrixHashes(request)) {
      const held = this.held.get(hash);
      if (!held) continue;
      held.users -= 1;
      if (held.users > 0) continue;
      this.held.delete(hash);
      dropped = true;
    }
    if (dropped) setImmediate(collectGarbage);
  }
}

function matrixHashes(request: StageRequest): string[] {
  const hashes = new Set<string>();
  for (const input of Object.values(request.inputs)) if (input.kind === "matrix") hashes.add(input.hash);
  return [...hashes];
}
