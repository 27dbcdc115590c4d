import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/errors.ts";
import { createRng } from "../../../src/core/rng.ts";
import { heldOutHost, heldOutSample, ROLE, type RoleCode, type ValidationRows } from "../../../src/split/index.ts";
import { DEMO_HOSTS, reversedRows, rowOf, SAMPLES, TRAIN_HOSTS, validationRows } from "./validation-fixture.ts";

const FILE = "validation_v1.parquet";
const options = (seed = 1, valFraction = 0.2) => ({ valFraction, rng: createRng(seed), file: FILE });

/** role -> the set of sample names with an episode in that role */
function samplesByRole(rows: ValidationRows, roles: Map<string, RoleCode>): Map<RoleCode, Set<string>> {
  const index = rowOf(rows);
  const out = new Map<RoleCode, Set<string>>();
  for (const [episode, role] of roles) {
    if (!out.has(role)) out.set(role, new Set());
    out.get(role)!.add(rows.sampleName[index.get(episode)!]!);
  }
  return out;
}

function intersection(a: Set<string> | undefined, b: Set<string> | undefined): string[] {
  return [...(a ?? [])].filter((x) => b?.has(x));
}

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("heldOutHost", () => {
  const rows = validationRows();
  const roles = heldOutHost(rows, TRAIN_HOSTS, options());
  const index = rowOf(rows);
  const hostOf = (episode: string) => rows.hostId[index.get(episode)!]!;

  it("tests exactly the usable episodes of the other hosts and trains only on train hosts", () => {
    for (const [episode, role] of roles) {
      expect(TRAIN_HOSTS.includes(hostOf(episode))).toBe(role !== ROLE.test);
    }
    const usableOffHost = rows.episodeId.filter((_, i) => rows.status[i] !== "rejected" && !TRAIN_HOSTS.includes(rows.hostId[i]!));
    expect(
      [...roles]
        .filter(([, r]) => r === ROLE.test)
        .map(([e]) => e)
        .sort(),
    ).toEqual(usableOffHost.sort());
  });

  it("never gives a role to an episode that is not accepted or degraded", () => {
    const rejected = rows.episodeId.filter((_, i) => rows.status[i] === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    for (const episode of rejected) expect(roles.has(episode)).toBe(false);
    const degraded = rows.episodeId.filter((_, i) => rows.status[i] === "degraded");
    for (const episode of degraded) expect(roles.has(episode)).toBe(true);
  });

  it("never lets a sample straddle train and val, even one shared by two profiles", () => {
    const byRole = samplesByRole(rows, roles);
    expect(intersection(byRole.get(ROLE.train), byRole.get(ROLE.val))).toEqual([]);
    for (let seed = 0; seed < 20; seed++) {
      const other = samplesByRole(rows, heldOutHost(rows, TRAIN_HOSTS, options(seed)));
      expect(intersection(other.get(ROLE.train), other.get(ROLE.val))).toEqual([]);
    }
  });

  it("puts about val_fraction of each profile's sample groups in val, at least one when it has two", () => {
    const val = samplesByRole(rows, roles).get(ROLE.val)!;
    const valIn = (profile: string) => SAMPLES[profile]!.filter((s) => val.has(s)).length;
    expect(valIn("cpu-saturate")).toBe(2); // 20% of 10
    expect(valIn("io-walk") + valIn("low-and-slow")).toBeGreaterThanOrEqual(1);
    expect(valIn("single")).toBe(0); // one group: nothing to spare
    expect(valIn("io-walk")).toBeGreaterThanOrEqual(1);
  });

  it("is a pure function of the rows' content and the seed", () => {
    expect(heldOutHost(rows, TRAIN_HOSTS, options())).toEqual(roles);
    const reordered = heldOutHost(reversedRows(rows), TRAIN_HOSTS, options());
    expect(new Map([...reordered].sort())).toEqual(new Map([...roles].sort()));
    const valSets = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      const val = samplesByRole(rows, heldOutHost(rows, TRAIN_HOSTS, options(seed))).get(ROLE.val)!;
      valSets.add([...val].sort().join(","));
    }
    expect(valSets.size).toBeGreaterThan(1);
  });

  it("names the file, the host and the parameter when a train host has no usable episode", () => {
    const error = thrown(() => heldOutHost(rows, ["lab-node-01", "no-such-host"], options()));
    expect(error.message).toContain("classify.train_hosts");
    expect(error.message).toContain('"no-such-host"');
    expect(error.message).toContain(FILE);
    expect(error.message).toContain("lab-node-03");
    expect(error.hint).toContain("classify.train_hosts");
  });

  it("treats a host whose episodes are all rejected as having no episodes", () => {
    const status = rows.status.map((s, i) => (rows.hostId[i] === "lab-node-02" ? "rejected" : s));
    const error = thrown(() => heldOutHost({ ...rows, status }, TRAIN_HOSTS, options()));
    expect(error.message).toContain('"lab-node-02"');
  });

  it("fails when train_hosts leaves no test episode", () => {
    const error = thrown(() => heldOutHost(rows, DEMO_HOSTS, options()));
    expect(error.message).toContain("no test episodes");
    expect(error.hint).toContain("remove at least one host");
  });
});

describe("heldOutSample", () => {
  const rows = validationRows();
  const roles = heldOutSample(rows, options());

  it("keeps test, val and train samples disjoint", () => {
    const byRole = samplesByRole(rows, roles);
    expect(intersection(byRole.get(ROLE.test), byRole.get(ROLE.train))).toEqual([]);
    expect(intersection(byRole.get(ROLE.test), byRole.get(ROLE.val))).toEqual([]);
    expect(intersection(byRole.get(ROLE.train), byRole.get(ROLE.val))).toEqual([]);
  });

  it("holds out about 20% of each profile's samples as test, at least one when it has two", () => {
    const test = samplesByRole(rows, roles).get(ROLE.test)!;
    expect(SAMPLES["cpu-saturate"]!.filter((s) => test.has(s))).toHaveLength(2);
    expect(SAMPLES["io-walk"]!.filter((s) => test.has(s)).length).toBeGreaterThanOrEqual(1);
    expect(test.has("only-one")).toBe(false);
  });

  it("uses every usable episode of a test sample, on every host", () => {
    const test = samplesByRole(rows, roles).get(ROLE.test)!;
    rows.episodeId.forEach((episode, i) => {
      const usable = rows.status[i] !== "rejected";
      expect(roles.get(episode) === ROLE.test).toBe(usable && test.has(rows.sampleName[i]!));
    });
  });

  it("fails when no profile has two sample groups", () => {
    const one = validationRows();
    const sampleName = one.profile.map((p) => `only-${p}`);
    const error = thrown(() => heldOutSample({ ...one, sampleName }, options()));
    expect(error.message).toContain(FILE);
    expect(error.message).toContain("sample_name");
    expect(error.hint).toContain("classify.split");
  });
});
