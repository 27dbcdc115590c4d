import { createPrivateKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  createSigningKey,
  createSigningKeyPair,
  keyFingerprint,
  loadSigningKey,
  parsePublicKey,
  publicKeyText,
  signaturePayload,
  signEntry,
  SigningKeyError,
  verifyEntry,
  type SignableEntry,
} from "../../../src/cache/signing.ts";
import { keygenCommand } from "../../../src/cli/commands/cache-keygen.ts";
import type { CliIO } from "../../../src/cli/io.ts";
import { canonicalJson } from "../../../src/core/hash.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-signing-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newKey() {
  return createSigningKey(generateKeyPairSync("ed25519").privateKey);
}

function sampleEntry(): SignableEntry & { ms: number; created: string } {
  return {
    stage: "cluster",
    key: "a".repeat(64),
    outputs: {
      labels: { hash: "b".repeat(64), size: 1200, kind: "json" },
      centroids: { hash: "c".repeat(64), size: 96, kind: "matrix" },
    },
    ms: 12,
    created: "2024-01-01T00:00:00.000Z",
  };
}

function fakeIO(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    cwd,
    projectDir: cwd,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    isTTY: false,
    signal: new AbortController().signal,
  };
  return { io, out, err };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("signEntry / verifyEntry", () => {
  const signer = newKey();

  it("a key pair signs and its public key verifies", () => {
    const signed = signEntry(sampleEntry(), signer);
    expect(signed.signature.key).toBe(signer.publicKey);
    expect(Buffer.from(signed.signature.sig, "base64")).toHaveLength(64);
    expect(verifyEntry(signed, [signer.publicKey])).toEqual({ ok: true, signer: signer.publicKey });
  });

  it("signs exactly format, stage, key and outputs' hash, size and kind", () => {
    const entry = sampleEntry();
    const extra = { ...entry, outputs: { ...entry.outputs, labels: { ...entry.outputs.labels!, note: "x" } } };
    expect(signaturePayload(extra as SignableEntry)).toBe(
      canonicalJson({ format: "pipeline-entry-signature/1", stage: entry.stage, key: entry.key, outputs: entry.outputs }),
    );
  });

  it("survives changes to fields outside the payload (times, run ids) and a JSON round trip", () => {
    const signed = signEntry(sampleEntry(), signer);
    const moved = JSON.parse(JSON.stringify({ ...signed, ms: 99, created: "2030-01-01", runId: "r-1" }));
    expect(verifyEntry(moved, [signer.publicKey]).ok).toBe(true);
  });

  const tampers: [string, (e: ReturnType<typeof sampleEntry>) => void][] = [
    ["stage", (e) => (e.stage = "classify")],
    ["key", (e) => (e.key = "d".repeat(64))],
    ["an output's hash", (e) => (e.outputs = { ...e.outputs, labels: { ...e.outputs.labels!, hash: "e".repeat(64) } })],
    ["an output's size", (e) => (e.outputs = { ...e.outputs, labels: { ...e.outputs.labels!, size: 1201 } })],
    ["an output's kind", (e) => (e.outputs = { ...e.outputs, labels: { ...e.outputs.labels!, kind: "table" } })],
    ["an added output", (e) => (e.outputs = { ...e.outputs, extra: { hash: "f".repeat(64), size: 1, kind: "json" } })],
    ["a removed output", (e) => (e.outputs = { labels: e.outputs.labels! })],
    ["a renamed output", (e) => (e.outputs = { labels2: e.outputs.labels!, centroids: e.outputs.centroids! })],
  ];
  for (const [what, tamper] of tampers) {
    it(`changing ${what} breaks the signature`, () => {
      const signed = signEntry(sampleEntry(), signer);
      expect(verifyEntry(signed, [signer.publicKey]).ok).toBe(true);
      tamper(signed);
      expect(verifyEntry(signed, [signer.publicKey])).toEqual({ ok: false, reason: "bad signature" });
    });
  }

  it("a __proto__ slot cannot ride along on a signed entry", () => {
    const signed = signEntry(sampleEntry(), signer);
    const smuggled = JSON.parse(
      JSON.stringify(signed).replace('"outputs":{', `"outputs":{"__proto__":{"hash":"${"f".repeat(64)}","size":1,"kind":"json"},`),
    );
    expect(Object.keys(smuggled.outputs)).toContain("__proto__");
    expect(verifyEntry(smuggled, [signer.publicKey])).toEqual({ ok: false, reason: "bad signature" });
  });

  it("a trusted list without the signer gives the untrusted reason with the signer's short form", () => {
    const other = newKey();
    const signed = signEntry(sampleEntry(), signer);
    const result = verifyEntry(signed, [other.publicKey]);
    expect(result).toEqual({ ok: false, reason: `signed by an untrusted key ed25519:${signer.publicKey.slice(8, 20)}…` });
    expect(verifyEntry(signed, [])).toEqual(result);
    expect(verifyEntry(signed, [other.publicKey, signer.publicKey])).toEqual({ ok: true, signer: signer.publicKey });
  });

  it("a signature whose key field was swapped to a trusted key is bad", () => {
    const trustedOther = newKey();
    const signed = signEntry(sampleEntry(), signer);
    const swapped = { ...signed, signature: { ...signed.signature, key: trustedOther.publicKey } };
    expect(verifyEntry(swapped, [trustedOther.publicKey])).toEqual({ ok: false, reason: "bad signature" });
  });

  it("an unsigned entry is unsigned", () => {
    expect(verifyEntry(sampleEntry(), [signer.publicKey])).toEqual({ ok: false, reason: "unsigned" });
    expect(verifyEntry({ ...sampleEntry(), signature: null }, [signer.publicKey])).toEqual({ ok: false, reason: "unsigned" });
  });

  it("malformed signatures are bad, never exceptions", () => {
    const signed = signEntry(sampleEntry(), signer);
    const shapes: unknown[] = [
      "sig",
      42,
      {},
      { key: signer.publicKey },
      { key: signer.publicKey, sig: 5 },
      { key: "ed25519:short", sig: signed.signature.sig },
      { key: signer.publicKey, sig: "not base64!" },
      { key: signer.publicKey, sig: Buffer.alloc(63).toString("base64") },
      { key: signer.publicKey, sig: Buffer.alloc(64).toString("base64") },
    ];
    for (const signature of shapes) {
      expect(verifyEntry({ ...sampleEntry(), signature }, [signer.publicKey])).toEqual({ ok: false, reason: "bad signature" });
    }
  });

  it("an invalid trusted key is a configuration error, not a silent distrust", () => {
    const signed = signEntry(sampleEntry(), signer);
    expect(() => verifyEntry(signed, ["ed25519:nope"])).toThrow(SigningKeyError);
  });
});

describe("public key text form", () => {
  it("round-trips: text -> KeyObject -> text, and the raw bytes are the SPKI's last 32", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const text = publicKeyText(publicKey);
    expect(text).toMatch(/^ed25519:[A-Za-z0-9+/]{43}=$/);
    const der = publicKey.export({ format: "der", type: "spki" });
    expect(Buffer.from(text.slice(8), "base64")).toEqual(der.subarray(der.length - 32));
    const parsed = parsePublicKey(text);
    expect(parsed.export({ format: "der", type: "spki" })).toEqual(der);
    expect(publicKeyText(parsed)).toBe(text);
  });

  it("a parsed key verifies what the private key signed", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const data = Buffer.from("payload");
    expect(verify(null, data, parsePublicKey(publicKeyText(publicKey)), sign(null, data, privateKey))).toBe(true);
  });

  it("keyFingerprint is the first 12 characters of the base64", () => {
    const text = newKey().publicKey;
    expect(keyFingerprint(text)).toBe(text.slice(8, 20));
    expect(keyFingerprint(text)).toHaveLength(12);
  });

  const valid = newKey().publicKey;
  const { privateKeyPem } = createSigningKeyPair();
  const bad: [string, string, RegExp][] = [
    ["no prefix", valid.slice(8), /does not start with "ed25519:"/],
    ["upper-case prefix", `ED25519:${valid.slice(8)}`, /lower case/],
    ["other algorithm", `rsa:${valid.slice(8)}`, /does not start with "ed25519:"/],
    ["trailing newline", `${valid}\n`, /spaces or line breaks/],
    ["not base64", "ed25519:!!!!", /not base64/],
    ["too short", `ed25519:${Buffer.alloc(31).toString("base64")}`, /decodes to 31 bytes; an ed25519 public key has 32/],
    ["too long", `ed25519:${Buffer.alloc(33).toString("base64")}`, /decodes to 33 bytes/],
    ["missing padding", valid.slice(0, -1), /not canonical base64/],
    ["empty", "", /does not start with "ed25519:"/],
    ["a PEM private key", privateKeyPem, /private key, which must never be shared/],
    ["a PEM public key", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n", /PEM block/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with a clear message that does not echo the text`, () => {
      const error = thrown(() => parsePublicKey(text));
      expect(error).toBeInstanceOf(SigningKeyError);
      const e = error as SigningKeyError;
      expect(e.message).toMatch(/^not an ed25519 public key: /);
      expect(e.message).toMatch(message);
      expect(e.exitCode).toBe(3);
      if (text.length > 8) expect(e.message).not.toContain(text.slice(8, 30));
    });
  }

  it("rejects a non-canonical last base64 character (same bytes, other spelling)", () => {
    const b64 = valid.slice(8);
    const last = b64[42]!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!; // differs only in a padding bit
    const spelled = `ed25519:${b64.slice(0, 42)}${sibling}=`;
    expect(Buffer.from(spelled.slice(8), "base64")).toEqual(Buffer.from(b64, "base64"));
    expect(() => parsePublicKey(spelled)).toThrow(/not canonical base64/);
  });
});

describe("loadSigningKey", () => {
  function keyFile(content: string, mode: number): string {
    const path = join(tempDir(), "signing.key");
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    return path;
  }

  it("loads a 0600 PKCS#8 Ed25519 key whose public half matches", () => {
    const pair = createSigningKeyPair();
    const loaded = loadSigningKey(keyFile(pair.privateKeyPem, 0o600));
    expect(loaded.publicKey).toBe(pair.publicKey);
    expect(verifyEntry(signEntry(sampleEntry(), loaded), [pair.publicKey]).ok).toBe(true);
  });

  it("refuses a 0644 key file, names the env var and file, and hints chmod 600", () => {
    const pair = createSigningKeyPair();
    const path = keyFile(pair.privateKeyPem, 0o644);
    const e = thrown(() => loadSigningKey(path)) as SigningKeyError;
    expect(e).toBeInstanceOf(SigningKeyError);
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe(
      `PIPELINE_CACHE_SIGNING_KEY: ${path} is accessible by other users (mode 0644); a signing key must be private to its owner`,
    );
    expect(e.hint).toBe(`run \`chmod 600 ${path}\``);
  });

  it("refuses group-writable too (any bit in 0o077)", () => {
    const path = keyFile(createSigningKeyPair().privateKeyPem, 0o620);
    expect(() => loadSigningKey(path)).toThrow(/mode 0620/);
  });

  it("refuses an EC key and an RSA key without quoting them", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    for (const [pem, type] of [
      [ec, "ec"],
      [rsa, "rsa"],
    ] as const) {
      const path = keyFile(pem, 0o600);
      const e = thrown(() => loadSigningKey(path)) as SigningKeyError;
      expect(e).toBeInstanceOf(SigningKeyError);
      expect(e.exitCode).toBe(3);
      expect(e.message).toBe(`PIPELINE_CACHE_SIGNING_KEY: ${path} holds ${type} key, not an ed25519 one`);
      const body = pem.split("\n")[1]!;
      expect(`${e.message} ${e.hint}`).not.toContain(body);
    }
  });

  it("names a missing file", () => {
    const path = join(tempDir(), "nope.key");
    const e = thrown(() => loadSigningKey(path)) as SigningKeyError;
    expect(e.message).toBe(`PIPELINE_CACHE_SIGNING_KEY: ${path} does not exist`);
    expect(e.exitCode).toBe(3);
  });

  it("refuses garbage, a public key and a directory, quoting none of the content", () => {
    const garbage = keyFile("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END PRIVATE KEY-----\n", 0o600);
    const e = thrown(() => loadSigningKey(garbage)) as SigningKeyError;
    expect(e.message).toBe(`PIPELINE_CACHE_SIGNING_KEY: ${garbage} is not a PEM private key`);
    expect(e.cause).toBeUndefined();

    const pub = generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }) as string;
    expect(() => loadSigningKey(keyFile(pub, 0o600))).toThrow(/holds a public key/);
    expect(() => loadSigningKey(tempDir())).toThrow(/is not a regular file/);
  });

  it("checks the PEM actually parsed as the key it signs with", () => {
    const pair = createSigningKeyPair();
    const loaded = loadSigningKey(keyFile(pair.privateKeyPem, 0o400));
    expect(loaded.privateKey.export({ format: "pem", type: "pkcs8" })).toBe(
      createPrivateKey(pair.privateKeyPem).export({ format: "pem", type: "pkcs8" }),
    );
  });
});

describe("pipeline cache keygen", () => {
  it("writes a 0600 PEM at the default path in cwd and prints a public key that verifies its signatures", async () => {
    const dir = tempDir();
    const { io, out } = fakeIO(dir);
    expect(await keygenCommand([], io)).toBe(0);

    const path = join(dir, "pipeline-cache-signing.key");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const pem = readFileSync(path, "utf8");
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);

    const printed = out.filter((line) => /^ed25519:[A-Za-z0-9+/]{43}=$/.test(line));
    expect(printed).toHaveLength(1);
    const publicKey = printed[0]!;
    const signed = signEntry(sampleEntry(), loadSigningKey(path));
    expect(verifyEntry(signed, [publicKey])).toEqual({ ok: true, signer: publicKey });
    const raw = Buffer.from("made with the written key");
    expect(verify(null, raw, parsePublicKey(publicKey), sign(null, raw, createPrivateKey(pem)))).toBe(true);

    const text = out.join("\n");
    expect(text).toContain(`        - "${publicKey}"`);
    expect(text).toMatch(/cache:\n {4}remote:\n {6}trust:/);
    expect(text).toContain("PIPELINE_CACHE_SIGNING_KEY=");
    expect(text).not.toContain(pem.split("\n")[1]!);
  });

  it("resolves --out against cwd and refuses to overwrite, exit 3, leaving the old key intact", async () => {
    const dir = tempDir();
    const { io } = fakeIO(dir);
    expect(await keygenCommand(["--out", "ci.key"], io)).toBe(0);
    const before = readFileSync(join(dir, "ci.key"), "utf8");

    const e = (await keygenCommand(["--out", "ci.key"], io).catch((error: unknown) => error)) as SigningKeyError;
    expect(e).toBeInstanceOf(SigningKeyError);
    expect(e.exitCode).toBe(3);
    expect(e.code).toBe("E_KEY_EXISTS");
    expect(e.message).toBe("ci.key already exists; pipeline cache keygen never overwrites a key");
    expect(readFileSync(join(dir, "ci.key"), "utf8")).toBe(before);
  });

  it("a missing directory is a clear exit 3, and a stray positional is a usage error", async () => {
    const { io } = fakeIO(tempDir());
    await expect(keygenCommand(["--out", "no/such/dir.key"], io)).rejects.toMatchObject({ exitCode: 3, code: "E_KEY_WRITE" });
    await expect(keygenCommand(["extra"], io)).rejects.toMatchObject({ exitCode: 2 });
  });

  it("prints its help", async () => {
    const { io, out } = fakeIO(tempDir());
    expect(await keygenCommand(["--help"], io)).toBe(0);
    expect(out.join("\n")).toMatch(/^usage: pipeline cache keygen \[--out PATH\]/);
  });
});
