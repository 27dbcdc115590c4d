import { loadSigningKey, signEntry, verifyEntry } from "../cache/signing.ts";
import type { RemoteSettings } from "./settings.ts";
import type { EntryTrust } from "./tier.ts";

/**
 * Signing and verification as the settings ask: a writer signs with the Ed25519 key at
 * PIPELINE_CACHE_SIGNING_KEY (a missing or exposed key is a clear exit 3 before anything runs);
 * a reader accepts what a key in `cache.remote.trust` signed.
 */
export function entryTrust(settings: RemoteSettings): EntryTrust {
  const key = settings.mode === "readwrite" && settings.signingKeyPath ? loadSigningKey(settings.signingKeyPath) : undefined;
  return {
    ...(key ? { sign: (fields) => signEntry(fields, key).signature } : {}),
    verify: (entry) => verifyEntry(entry, settings.trust),
  };
}
