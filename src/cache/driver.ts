import type { ObjectBytes } from "./byte-parts.ts";

/**
 * The store contract every cache tier meets (as unstorage and Hamilton test their backends):
 * objects by their sha256, entries by stage and key, all async. Entries are opaque bytes here;
 * what they hold (a sealed local entry, a signed remote one) is the layer above's business
 * (entries.ts, remote/tier.ts). Every driver verifies an object's bytes against its hash before
 * handing them out, so a reader never sees damaged bytes.
 *
 * Listing and deleting are capabilities, not promises: the local folder has both, while the
 * HTTP driver has neither, because Bazel's remote cache protocol defines no listing and no
 * deletion, and nginx's stock WebDAV module answers no PROPFIND (that needs the third-party
 * dav_ext module). Code that needs them (gc, cache verify) asks for a driver type that has them,
 * so a driver without them cannot be handed to it; a shared cache is trimmed by its server
 * (bazel-remote's --max_size).
 */
export interface CacheDriver {
  /** "local" or the remote's printable URL */
  readonly name: string;
  /** size of the object, or undefined when the store lacks it */
  objectSize(hash: string): Promise<number | undefined>;
  /** the object's bytes; undefined when missing or damaged (never wrong bytes) */
  readObject(hash: string, options?: ReadOptions): Promise<Uint8Array | undefined>;
  /** stores bytes (one buffer, or its parts in order) under their sha256 (a no-op when an intact copy is there); returns the hash */
  writeObject(bytes: ObjectBytes): Promise<string>;
  /** an entry's raw bytes, or undefined */
  readEntry(stage: string, key: string): Promise<Uint8Array | undefined>;
  /** stores an entry whole (a reader sees the old bytes or the new, never a mix) */
  writeEntry(stage: string, key: string, bytes: Uint8Array): Promise<void>;
  /** enumerating what the store holds; absent where the protocol has no listing (HTTP) */
  readonly listing?: CacheListing;
  /** removing entries and objects; absent where the protocol has no deletion (HTTP) */
  readonly deleting?: CacheDeleting;
}

export interface ReadOptions {
  /** the bytes in a SharedArrayBuffer, so a stage's helper threads use them in place (no copy each) */
  shared?: boolean;
}

export interface EntryName {
  stage: string;
  key: string;
}

export interface ObjectInfo {
  hash: string;
  size: number;
}

export interface CacheListing {
  /** every entry the store holds, by name; readEntry gives its bytes (which may be damaged) */
  entries(): Promise<EntryName[]>;
  /** every object the store holds, with its stored size (its bytes are checked when read) */
  objects(): Promise<ObjectInfo[]>;
}

export interface CacheDeleting {
  /** removes the entry; nothing happens when it is not there */
  deleteEntry(stage: string, key: string): Promise<void>;
  /** removes the object; nothing happens when it is not there */
  deleteObject(hash: string): Promise<void>;
}

/** A driver that can delete: what holds sealed entries, since a damaged one is removed when found. */
export type DeletingDriver = CacheDriver & { readonly deleting: CacheDeleting };

/** A driver that can list and delete everything it holds: what gc and cache verify walk. */
export type ListingDriver = DeletingDriver & { readonly listing: CacheListing };
