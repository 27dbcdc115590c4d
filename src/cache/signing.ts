import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { EXIT, PipelineError } from "../core/errors.ts";
import { canonicalJson } from "../core/hash.ts";
import type { ObjectRef } from "./entries.ts";

/**
 * Signed cache entries, for a shared remote cache: a CI writer holds an Ed25519 private key,
 * pipeline.yaml lists the public keys it trusts (`cache.remote.trust`), and a reader accepts a
 * remote entry only when a trusted key signed it. Readers need no secret, so a laptop can verify
 * entries but never forge one.
 *
 * What is signed is the canonical JSON of exactly
 *   { format: "pipeline-entry-signature/1", stage, key, outputs: { slot: { hash, size, kind } } }
 * and nothing else of the entry, so fields added later (times, run ids) never break old
 * signatures. A reader must therefore trust only these fields of a remote entry.
 */

/** The environment variable that names the writer's private key file. */
export const SIGNING_KEY_ENV = "PIPELINE_CACHE_SIGNING_KEY";
export const SIGNATURE_FORMAT = "pipeline-entry-signature/1";

const KEY_PREFIX = "ed25519:";
/** DER of SubjectPublicKeyInfo { algorithm: id-Ed25519 }, up to the 32 raw key bytes. */
const SPKI_HEADER = Buffer.from("302a300506032b6570032100", "hex");
const RAW_KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
const SIGNATURE_BASE64 = /^[A-Za-z0-9+/]{86}==$/;
/** A PEM Ed25519 key is 119 bytes; anything this large is not a key file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** How a signature travels with an entry: `signature: { key: "ed25519:...", sig: "<base64>" }`. */
export interface EntrySignature {
  key: string;
  sig: string;
}

/** The fields of an entry that a signature covers. */
export interface SignableEntry {
  stage: string;
  key: string;
  outputs: Readonly<Record<string, ObjectRef>>;
}

export interface SigningKey {
  privateKey: KeyObject;
  /** its public half in text form, `ed25519:<base64>` */
  publicKey: string;
}

export type Verification = { ok: true; signer: string } | { ok: false; reason: string };

/** A public key or key file pipeline cannot use; exit 3, like other configuration problems. */
export class SigningKeyError extends PipelineError {
  constructor(message: string, hint: string, code: `E_${string}` = "E_SIGNING_KEY") {
    super(message, { code, exitCode: EXIT.config, hint });
  }
}

/** A public key's text form: `ed25519:` and the base64 of its raw 32 bytes. */
export function publicKeyText(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== "ed25519")
    throw new TypeError(`expected an ed25519 key, got ${publicKey.asymmetricKeyType ?? publicKey.type}`);
  const der = publicKey.export({ format: "der", type: "spki" });
  return KEY_PREFIX + der.subarray(SPKI_HEADER.length).toString("base64");
}

/** The KeyObject for `ed25519:<base64>`; a SigningKeyError saying what is wrong otherwise. */
export function parsePublicKey(text: string): KeyObject {
  const problem = _publicKeyProblem(text);
  if (problem) {
    throw new SigningKeyError(
      `not an ed25519 public key: ${problem}`,
      "a trusted key is one line like ed25519:<44 base64 characters>, as `pipeline cache keygen` prints it",
      "E_PUBLIC_KEY_INVALID",
    );
  }
  const raw = Buffer.from(text.slice(KEY_PREFIX.length), "base64");
  return createPublicKey({ key: Buffer.concat([SPKI_HEADER, raw]), format: "der", type: "spki" });
}

// NOTE: the messages never quote the text itself: a private key pasted by mistake must not be
// echoed into logs.
function _publicKeyProblem(text: unknown): string | undefined {
  if (typeof text !== "string") return `expected a string, got ${text === null ? "null" : typeof text}`;
  if (text.includes("PRIVATE KEY")) return "this is a private key, which must never be shared; generate a new pair and list its public key";
  if (text.startsWith("-----BEGIN")) return "this is a PEM block; use the ed25519:... line that `pipeline cache keygen` printed";
  if (text.trim() !== text) return "it has spaces or line breaks around it";
  if (!text.startsWith(KEY_PREFIX)) {
    return text.toLowerCase().startsWith(KEY_PREFIX) ? 'the prefix must be "ed25519:" in lower case' : 'it does not start with "ed25519:"';
  }
  const b64 = text.slice(KEY_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return "the part after ed25519: is not base64";
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 32) return `the part after ed25519: decodes to ${raw.length} bytes; an ed25519 public key has 32`;
  if (!RAW_KEY_BASE64.test(b64) || raw.toString("base64") !== b64) return "the part after ed25519: is not canonical base64";
  return undefined;
}

/** A short form of a public key text for messages: the first 12 characters of its base64. */
export function keyFingerprint(publicKeyText: string): string {
  const b64 = publicKeyText.startsWith(KEY_PREFIX) ? publicKeyText.slice(KEY_PREFIX.length) : publicKeyText;
  return b64.slice(0, 12);
}

/** A fresh key pair: the private key as PKCS#8 PEM (for the CI secret) and the public key text. */
export function createSigningKeyPair(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKeyPem: String(privateKey.export({ format: "pem", type: "pkcs8" })), publicKey: publicKeyText(publicKey) };
}

/** A SigningKey from an Ed25519 private KeyObject. */
export function createSigningKey(privateKey: KeyObject): SigningKey {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`expected an ed25519 private key, got ${privateKey.asymmetricKeyType ?? "a"} ${privateKey.type} key`);
  }
  return { privateKey, publicKey: publicKeyText(privateKey) };
}

/**
 * Reads the writer's PKCS#8 PEM private key. Refuses, like ssh, a file that its group or other
 * users can read or write. Errors name the file and PIPELINE_CACHE_SIGNING_KEY, never its content.
 */
export function loadSigningKey(path: string): SigningKey {
  const where = `${SIGNING_KEY_ENV}: ${path}`;
  const pem = _readKeyFile(path, where);
  if (pem.includes("ENCRYPTED"))
    throw new SigningKeyError(
      `${where} is encrypted with a passphrase`,
      "pipeline needs an unencrypted key file; keep it safe as a CI secret instead",
    );
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(pem))
    throw new SigningKeyError(
      `${where} holds a public key`,
      `point ${SIGNING_KEY_ENV} at the private key file that \`pipeline cache keygen\` wrote`,
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    // the crypto error is not attached: its text can quote parts of the file
    throw new SigningKeyError(
      `${where} is not a PEM private key`,
      `point ${SIGNING_KEY_ENV} at the file that \`pipeline cache keygen\` wrote`,
    );
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new SigningKeyError(
      `${where} holds ${privateKey.asymmetricKeyType ?? "an unknown"} key, not an ed25519 one`,
      "make an ed25519 key with `pipeline cache keygen`",
    );
  }
  return createSigningKey(privateKey);
}

function _readKeyFile(path: string, where: string): string {
  let fd: number;
  try {
    // non-blocking, so a FIFO in its place cannot hang the run
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "cannot be read (permission denied)"
          : `cannot be opened (${code ?? "unknown error"})`;
    throw new SigningKeyError(`${where} ${what}`, `set ${SIGNING_KEY_ENV} to the private key file that \`pipeline cache keygen\` wrote`);
  }
  try {
    // checked on the open file, so the file read is the file checked
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SigningKeyError(`${where} is not a regular file`, `set ${SIGNING_KEY_ENV} to the private key file itself`);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      throw new SigningKeyError(
        `${where} is accessible by other users (mode ${mode}); a signing key must be private to its owner`,
        `run \`chmod 600 ${_shellQuote(path)}\``,
        "E_SIGNING_KEY_EXPOSED",
      );
    }
    if (st.size > MAX_KEY_FILE_BYTES)
      throw new SigningKeyError(
        `${where} is ${st.size} bytes, too large for a key file`,
        `set ${SIGNING_KEY_ENV} to the private key file that \`pipeline cache keygen\` wrote`,
      );
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function _shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** The exact bytes a signature covers (as a string): see the format at the top of this file. */
export function signaturePayload(entry: SignableEntry): string {
  const slots = Object.entries(entry.outputs);
  // canonicalJson builds plain objects, where a "__proto__" key would vanish from the payload
  // and so could be added to a signed entry unnoticed
  if (slots.some(([slot]) => slot === "__proto__")) throw new TypeError('"__proto__" is not a slot name');
  const outputs = Object.fromEntries(slots.map(([slot, ref]) => [slot, { hash: ref.hash, size: ref.size, kind: ref.kind }]));
  return canonicalJson({ format: SIGNATURE_FORMAT, stage: entry.stage, key: entry.key, outputs });
}

/** The entry with `signature` set (replacing any earlier one). */
export function signEntry<E extends SignableEntry>(entry: E, key: SigningKey): E & { signature: EntrySignature } {
  const sig = sign(null, Buffer.from(signaturePayload(entry), "utf8"), key.privateKey).toString("base64");
  return { ...entry, signature: { key: key.publicKey, sig } };
}

/**
 * Whether a trusted key signed this entry's stage, key and outputs. The entry is untrusted input:
 * any malformed signature is "bad signature", never an exception. `trusted` holds public key
 * texts (from `cache.remote.trust`); an invalid one throws, as it is a configuration error.
 */
export function verifyEntry(entry: SignableEntry & { signature?: unknown }, trusted: readonly string[]): Verification {
  const trustedKeys = new Map(trusted.map((text) => [text, parsePublicKey(text)]));
  const signature = entry.signature;
  if (signature === undefined || signature === null) return { ok: false, reason: "unsigned" };
  if (!_isSignatureShape(signature) || _publicKeyProblem(signature.key) || !SIGNATURE_BASE64.test(signature.sig))
    return { ok: false, reason: "bad signature" };
  const key = trustedKeys.get(signature.key);
  if (!key) return { ok: false, reason: `signed by an untrusted key ${KEY_PREFIX}${keyFingerprint(signature.key)}…` };
  try {
    const payload = Buffer.from(signaturePayload(entry), "utf8");
    if (verify(null, payload, key, Buffer.from(signature.sig, "base64"))) return { ok: true, signer: signature.key };
  } catch {
    // a payload that cannot be built (a "__proto__" slot, a non-finite size) was not signed
  }
  return { ok: false, reason: "bad signature" };
}

function _isSignatureShape(value: unknown): value is EntrySignature {
  if (typeof value !== "object" || value === null) return false;
  const { key, sig } = value as Record<string, unknown>;
  return typeof key === "string" && typeof sig === "string";
}
