import objectHash from "object-hash";
import { describe, expect, it } from "vitest";
import { canonicalJson, deriveSeed, sha256 } from "../../../src/core/hash.ts";
import { diffKeyParts, stageKey, type KeyParts } from "../../../src/core/keys.ts";

describe("canonicalJson", () => {
  it("ignores key order at every depth", () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: "s" } };
    const b = { a: { x: "s", y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"p":2,"q":1}]},"b":1}');
  });

  it("agrees with object-hash on what counts as equal params", () => {
    // object-hash is the user's choice for hashing small records; our keys must not be
    // stricter or looser than it about key order
    const p1 = { k: 8, batch_size: 2048, n_init: 4 };
    const p2 = { n_init: 4, k: 8, batch_size: 2048 };
    expect(objectHash(p1)).toBe(objectHash(p2));
    expect(sha256(canonicalJson(p1))).toBe(sha256(canonicalJson(p2)));
    expect(objectHash({ ...p1, k: 9 })).not.toBe(objectHash(p1));
    expect(sha256(canonicalJson({ ...p1, k: 9 }))).not.toBe(sha256(canonicalJson(p1)));
  });

  it("folds -0 into 0, drops undefined, keeps null", () => {
    expect(canonicalJson({ a: -0, b: undefined, c: null })).toBe('{"a":0,"c":null}');
  });

  it("refuses values with no single spelling", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN at \$\.a/);
    expect(() => canonicalJson([Infinity])).toThrow(/\$\[0\]/);
    expect(() => canonicalJson({ m: new Float32Array(2) })).toThrow(/typed array/);
  });
});

describe("stage keys", () => {
  const parts: KeyParts = {
    engine: "1",
    stage: "cluster",
    uses: "cluster",
    version: "1",
    code: "c0de",
    params: { k: 8 },
    seed: deriveSeed(0, "cluster"),
    inputs: { features: "a".repeat(64) },
    sources: {},
  };

  it("the key format is frozen: a change here means bump ENGINE_VERSION", () => {
    expect(stageKey(parts)).toBe(sha256(canonicalJson(parts)));
    expect(deriveSeed(0, "cluster")).toBe(Number.parseInt(sha256("0:cluster").slice(0, 8), 16));
  });

  it("derives distinct seeds per stage and per global seed", () => {
    expect(deriveSeed(0, "cluster")).not.toBe(deriveSeed(0, "project"));
    expect(deriveSeed(0, "cluster")).not.toBe(deriveSeed(1, "cluster"));
  });

  it("explains a difference in the user's words", () => {
    const after = { ...parts, params: { k: 5 }, inputs: { features: "b".repeat(64) } };
    expect(diffKeyParts(parts, after)).toEqual(["params.k: 8 -> 5", "input features: sha aaaaaaaa.. -> bbbbbbbb.."]);
    expect(diffKeyParts(parts, parts)).toEqual([]);
  });
});
