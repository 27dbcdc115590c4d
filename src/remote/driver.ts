/**
 * The store contract every cache tier meets (as unstorage and Hamilton test their backends):
 * objects by their sha256, entries by stage and key. Both drivers verify an object's bytes
 * against its hash before handing them out, so a reader never sees damaged bytes.
 */
export interface CacheDriver {
  /** "local" or the remote's printable URL */
  readonly name: string;
  /** size of the object, or undefined when the store lacks it */
  objectSize(hash: string): Promise<number | undefined>;
  /** the object's bytes; undefined when missing or damaged (never wrong bytes) */
  readObject(hash: string): Promise<Uint8Array | undefined>;
  /** stores bytes under their sha256 (a no-op when an intact copy is there); returns the hash */
  writeObject(bytes: Uint8Array): Promise<string>;
  /** an entry's raw bytes, or undefined */
  readEntry(stage: string, key: string): Promise<Uint8Array | undefined>;
  writeEntry(stage: string, key: string, bytes: Uint8Array): Promise<void>;
}
