/**
 * The remote cache as a second tier behind the local one. It can only make a run faster:
 * every failure is counted and warned about once, three in a row (connection errors,
 * timeouts, 5xx) switch it off for the rest of the run, a refused upload (401/403) switches
 * uploads off, and nothing it does changes a run's exit code. Entries are accepted only with a
 * valid signature from a trusted key and only when they can hold the stage's outputs; objects
 * are re-hashed as they arrive and fetched only when a stage or a declared output needs them.
 */
import { z } from "zod";
import { writeSealedEntry, type CacheEntry, type ObjectRef } from "../cache/entries.ts";
import type { LocalDriver } from "../cache/local-driver.ts";
import { canonicalJson, sha256 } from "../core/hash.ts";
import { outputSlotsMismatch } from "../core/slot-check.ts";
import { jsonOutputsMismatch } from "../engine/entry-check.ts";
import type { AnyStage } from "../core/stage.ts";
import { RemoteError, type HttpDriver } from "./http-driver.ts";
import type { RemoteSettings } from "./settings.ts";

/** Consecutive failures after which the remote is switched off for the run. */
const FAILURES_TO_SWITCH_OFF = 3;
/** Uploads in flight at once. */
const UPLOAD_CONCURRENCY = 4;

const refSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  kind: z.enum(["matrix", "table", "json", "file"]),
});

/** An entry as it travels: what the local one holds (without its local seal), plus its signature. */
export const remoteEntrySchema = z.object({
  format: z.literal(2),
  stage: z.string(),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  parts: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), refSchema),
  ms: z.number(),
  created: z.string(),
  run: z.string().optional(),
  ci_job: z.string().optional(),
  signature: z.object({ key: z.string(), sig: z.string() }).optional(),
});
export type RemoteEntry = z.output<typeof remoteEntrySchema>;

export interface EntryTrust {
  /** signs what a writer uploads; undefined when no signing key is configured */
  sign?(fields: Pick<RemoteEntry, "stage" | "key" | "outputs">): { key: string; sig: string };
  verify(entry: RemoteEntry): { ok: true; signer: string } | { ok: false; reason: string };
}

export interface RemoteStats {
  hits: number;
  misses: number;
  downloaded_bytes: number;
  uploaded_bytes: number;
  errors: number;
  /** uploads refused by the server (read-only credentials) */
  refused: number;
}

export class RemoteTier {
  readonly settings: RemoteSettings;
  readonly stats: RemoteStats = { hits: 0, misses: 0, downloaded_bytes: 0, uploaded_bytes: 0, errors: 0, refused: 0 };
  private off = false;
  private writesOff: boolean;
  private failuresInARow = 0;
  private readonly rejected = new Set<string>();
  /** objects the remote served damaged in this run: a writer uploads them again, HEAD or not */
  private readonly damagedThere = new Set<string>();
  /** entries accepted in this run, by key (pull keeps them locally once their objects are here) */
  private readonly accepted = new Map<string, RemoteEntry>();
  private readonly warned = new Set<string>();
  private readonly uploads: Promise<void>[] = [];
  private active = 0;
  private closing: Promise<void> | undefined;
  private readonly waiting: (() => void)[] = [];

  constructor(
    settings: RemoteSettings,
    private readonly driver: HttpDriver,
    private readonly store: LocalDriver,
    private readonly trust: EntryTrust,
    private readonly warn: (message: string) => void,
  ) {
    this.settings = settings;
    this.writesOff = settings.mode !== "readwrite";
    if (settings.mode === "readwrite" && !trust.sign) {
      this.writesOff = true;
      this.warnOnce(
        "no-key",
        `remote cache ${settings.display}: readwrite mode, but PIPELINE_CACHE_SIGNING_KEY is not set; ` +
          "uploads are off (readers accept only signed entries)",
      );
    }
  }

  get enabled(): boolean {
    return !this.off;
  }

  get writable(): boolean {
    return !this.off && !this.writesOff;
  }

  /** The remote's entry for `key` when it is signed by a trusted key and can hold `def`'s outputs. */
  async lookup(stage: string, key: string, def: AnyStage): Promise<RemoteEntry | undefined> {
    if (this.off || this.rejected.has(key)) return undefined;
    const bytes = await this.attempt(() => this.driver.readEntry(stage, key));
    if (!bytes) {
      if (!this.off) this.stats.misses++;
      return undefined;
    }
    const entry = this.accept(bytes, stage, key, def);
    if (!entry || !(await this.jsonOutputsFit(entry, def))) {
      this.stats.misses++;
      this.rejected.add(key);
      return undefined;
    }
    this.stats.hits++;
    this.accepted.set(key, entry);
    return entry;
  }

  /**
   * Downloads every object of an accepted entry and keeps the entry locally, so later runs
   * hit locally (`pipeline cache pull`). False when an object could not be had.
   */
  async adopt(key: string): Promise<boolean> {
    const entry = this.accepted.get(key);
    if (!entry) return false;
    for (const ref of Object.values(entry.outputs)) if (!(await this.ensureLocal(ref))) return false;
    return this.keepIfComplete(key);
  }

  /** Keeps an accepted entry locally when every object it names is already here (a full disk only costs the copy). */
  async keepIfComplete(key: string): Promise<boolean> {
    const entry = this.accepted.get(key);
    if (!entry) return false;
    for (const ref of Object.values(entry.outputs)) if (!(await this.isLocal(ref))) return false;
    const { signature, format: _format, ...fields } = entry;
    try {
      await writeSealedEntry(this.store, { ...fields, ...(signature ? { signer: signature.key } : {}) });
      return true;
    } catch (error) {
      this.warnOnce(
        "keep",
        `could not keep the remote's entry for ${entry.stage} locally (${error instanceof Error ? error.message : String(error)})`,
      );
      return false;
    }
  }

  /** Whether the remote answers at all (a HEAD of an object nobody has: 404 is an answer). */
  async reachable(): Promise<boolean> {
    return (await this.attempt(async () => (await this.driver.objectSize("0".repeat(64))) ?? 0)) !== undefined;
  }

  /** Forget a remote entry for the rest of the run (one of its objects turned out bad). */
  reject(key: string): void {
    this.rejected.add(key);
  }

  /** Makes the object local (downloading and re-hashing it); false when it cannot be had. */
  async ensureLocal(ref: Pick<ObjectRef, "hash" | "size">): Promise<boolean> {
    if (await this.isLocal(ref)) return true;
    if (this.off) return false;
    const bytes = await this.attempt(
      () => this.driver.downloadObject(ref.hash, this.store.objectPath(ref.hash), this.store.tmpDir, ref.size),
      "read",
      () => this.damagedThere.add(ref.hash),
    );
    if (bytes === undefined) return false;
    this.stats.downloaded_bytes += bytes;
    return true;
  }

  /** Uploads a stage's objects (those the remote lacks) and then its signed entry, in the background. */
  push(entry: CacheEntry): void {
    if (!this.writable) return;
    this.uploads.push(this.limited(() => this.upload(entry)));
  }

  /** Waits for every upload started so far. */
  async flush(): Promise<void> {
    await Promise.all(this.uploads.splice(0));
  }

  /** Waits for uploads (each bounded by its deadline), then closes the connections; a second call does nothing. */
  close(): Promise<void> {
    this.closing ??= this.flush().then(() => this.driver.close());
    return this.closing;
  }

  /** Ctrl-C: uploads not started are dropped, requests in flight are cut; safe after close(). */
  async abort(): Promise<void> {
    if (this.closing) return this.closing.catch(() => undefined);
    this.off = true;
    this.waiting.splice(0).forEach((wake) => wake());
    this.closing = this.driver.destroy().catch(() => undefined);
    await Promise.allSettled(this.uploads.splice(0));
    return this.closing;
  }

  private async upload(entry: CacheEntry): Promise<void> {
    for (const ref of Object.values(entry.outputs)) {
      if (!this.writable) return;
      const there = this.damagedThere.has(ref.hash) ? undefined : await this.attempt(() => this.driver.objectSize(ref.hash), "write");
      if (there === ref.size) continue;
      if (!this.writable) return;
      const ok = await this.attempt(async () => {
        await this.driver.uploadObject(ref.hash, this.store.objectPath(ref.hash), ref.size);
        return true;
      }, "write");
      if (!ok) return; // never an entry whose objects did not all arrive
      this.stats.uploaded_bytes += ref.size;
    }
    if (!this.writable) return;
    const travelling = remoteForm(entry, this.trust);
    const bytes = Buffer.from(canonicalJson(travelling));
    const ok = await this.attempt(async () => {
      await this.driver.writeEntry(entry.stage, entry.key, bytes);
      return true;
    }, "write");
    if (ok) this.stats.uploaded_bytes += bytes.length;
  }

  /** A parsed, signed, well-formed entry for (stage, key), or undefined (warned once). */
  private accept(bytes: Uint8Array, stage: string, key: string, def: AnyStage): RemoteEntry | undefined {
    let parsed: ReturnType<typeof remoteEntrySchema.safeParse> | undefined;
    try {
      parsed = remoteEntrySchema.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    } catch {
      parsed = undefined;
    }
    const problem = !parsed?.success
      ? "it is not a readable entry"
      : parsed.data.stage !== stage || parsed.data.key !== key
        ? `it names ${parsed.data.stage} ${parsed.data.key.slice(0, 12)}`
        : sha256(canonicalJson(parsed.data.parts)) !== key
          ? "its key parts do not hash to its key"
          : outputSlotsMismatch(parsed.data.outputs, def);
    if (problem || !parsed?.success) {
      this.warnOnce(`bad:${key}`, `remote cache entry for ${stage} (${key.slice(0, 12)}) is unusable (${problem}); the stage runs here`);
      return undefined;
    }
    const verdict = this.trust.verify(parsed.data);
    if (!verdict.ok) {
      this.warnOnce(
        `unsigned:${verdict.reason.split(" ")[0]}`,
        `remote cache entry for ${stage} (${key.slice(0, 12)}) is not accepted: ${verdict.reason}; ` +
          "such entries are misses (trusted keys: cache.remote.trust in pipeline.yaml)",
      );
      return undefined;
    }
    return parsed.data;
  }

  /** Json outputs are small: they are fetched now, so a json slot's declared fields are checked. */
  private async jsonOutputsFit(entry: RemoteEntry, def: AnyStage): Promise<boolean> {
    for (const [slot, spec] of Object.entries(def.outputs)) {
      if (spec.kind === "json" && spec.fields && !(await this.ensureLocal(entry.outputs[slot]!))) return false;
    }
    const mismatch = await jsonOutputsMismatch(entry.outputs, def, this.store);
    if (mismatch)
      this.warnOnce(
        `bad:${entry.key}`,
        `remote cache entry for ${entry.stage} (${entry.key.slice(0, 12)}) is unusable (${mismatch}); the stage runs here`,
      );
    return mismatch === undefined;
  }

  /**
   * One request under the health rules: undefined when it failed (counted, warned about).
   * A damaged download is an error but not a sign the remote is down.
   */
  private async attempt<T>(
    request: () => Promise<T>,
    direction: "read" | "write" = "read",
    onDamaged?: () => void,
  ): Promise<T | undefined> {
    if (this.off || (direction === "write" && this.writesOff)) return undefined;
    try {
      const result = await request();
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      this.stats.errors++;
      if (error.kind === "denied") {
        if (direction === "write") {
          this.stats.refused++;
          this.writesOff = true;
          this.warnOnce(
            "denied-write",
            `remote cache ${this.settings.display} refused an upload (${error.message}); uploads are off for this run ` +
              "(read-only credentials are normal for laptops and pull requests)",
          );
        } else {
          this.off = true;
          this.warnOnce(
            "denied-read",
            `remote cache ${this.settings.display} refused a read (${error.message}); ` +
              "it is off for this run (check PIPELINE_REMOTE_CACHE_TOKEN)",
          );
        }
        return undefined;
      }
      if (error.kind === "local") {
        this.warnOnce(`local:${error.message}`, `remote cache: ${error.message}; that transfer was skipped`);
        return undefined;
      }
      if (error.kind === "damaged") {
        onDamaged?.();
        this.warnOnce(`damaged:${error.message}`, `${error.message}; it was not used, and what needs it is computed here`);
        return undefined;
      }
      this.failuresInARow++;
      if (this.failuresInARow >= FAILURES_TO_SWITCH_OFF) {
        this.off = true;
        this.warnOnce(
          "off",
          `remote cache ${this.settings.display} is switched off for the rest of this run ` +
            `after ${FAILURES_TO_SWITCH_OFF} failures in a row (last: ${error.message}); the run goes on locally`,
        );
      }
      return undefined;
    }
  }

  /** Whether the local tier holds the object at its recorded size (its bytes are checked when read). */
  private async isLocal(ref: Pick<ObjectRef, "hash" | "size">): Promise<boolean> {
    return (await this.store.objectSize(ref.hash)) === ref.size;
  }

  private warnOnce(topic: string, message: string): void {
    if (this.warned.has(topic)) return;
    this.warned.add(topic);
    this.warn(message);
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= UPLOAD_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** The entry as it is uploaded: the local fields without the local seal, signed. */
function remoteForm(entry: CacheEntry, trust: EntryTrust): RemoteEntry {
  const { seal: _seal, ...fields } = entry;
  const signature = trust.sign?.({ stage: entry.stage, key: entry.key, outputs: entry.outputs });
  return { ...fields, format: 2, ...(signature ? { signature } : {}) } as RemoteEntry;
}
