import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/errors.ts";
import { createRng } from "../../../src/core/rng.ts";
import { countRoles, heldOutGroupCount, randomRowSplit, ROLE, rowsWithRole, windowRoles } from "../../../src/split/index.ts";

describe("randomRowSplit", () => {
  it("holds out exactly round(20%) of the rows, reproducibly per seed", () => {
    const roles = randomRowSplit(1001, createRng(5));
    expect(countRoles(roles)).toEqual({ train: 801, val: 0, test: 200, other: 0 });
    expect(randomRowSplit(1001, createRng(5))).toEqual(roles);
    expect(randomRowSplit(1001, createRng(6))).not.toEqual(roles);
  });

  it("spreads the test rows over the whole range", () => {
    const test = rowsWithRole(randomRowSplit(1000, createRng(1)), ROLE.test);
    expect(test.filter((r) => r < 500).length).toBeGreaterThan(60);
    expect(test.filter((r) => r >= 500).length).toBeGreaterThan(60);
  });

  it("refuses a table too small to hold out a row", () => {
    expect(() => randomRowSplit(2, createRng(1))).toThrow(InputError);
    expect(() => randomRowSplit(2, createRng(1))).toThrow(/classify\.split=random/);
  });
});

describe("windowRoles", () => {
  it("gives windows their episode's role and 'other' to unknown episodes", () => {
    const roles = windowRoles(
      ["a", "b", "zz", "a", "c"],
      new Map([
        ["a", ROLE.train],
        ["b", ROLE.val],
        ["c", ROLE.test],
      ] as const),
    );
    expect([...roles]).toEqual([ROLE.train, ROLE.val, ROLE.other, ROLE.train, ROLE.test]);
    expect([...rowsWithRole(roles, ROLE.train)]).toEqual([0, 3]);
  });
});

describe("heldOutGroupCount", () => {
  it.each([
    [0, 0.2, 0],
    [1, 0.2, 0],
    [2, 0.2, 1],
    [5, 0.2, 1],
    [10, 0.2, 2],
    [13, 0.2, 3],
    [3, 0.9, 2],
  ])("%i groups at %f -> %i held out", (groups, fraction, expected) => {
    expect(heldOutGroupCount(groups, fraction)).toBe(expected);
  });
});
