/**
 * Role codes of a window in a split, as stored in classify's `role` column. Train and val
 * are both fitted by classify's KNN; evaluate fits on train only and scores test.
 */
export const ROLE = { train: 0, val: 1, test: 2, other: 3 } as const;

export type RoleCode = (typeof ROLE)[keyof typeof ROLE];

export const ROLE_NAMES = ["train", "val", "test", "other"] as const;

export type RoleName = (typeof ROLE_NAMES)[number];

/** How many entries of `roles` carry each role code. */
export function countRoles(roles: Int8Array): Record<RoleName, number> {
  const counts = [0, 0, 0, 0];
  for (const role of roles) counts[role] = (counts[role] ?? 0) + 1;
  return { train: counts[0]!, val: counts[1]!, test: counts[2]!, other: counts[3]! };
}

/** Row ids (ascending) whose role is `role`. */
export function rowsWithRole(roles: Int8Array, role: RoleCode): Int32Array {
  let n = 0;
  for (const r of roles) if (r === role) n++;
  const out = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < roles.length; i++) if (roles[i] === role) out[at++] = i;
  return out;
}

/**
 * Maps each window to the role of its episode. Windows whose episode has no role (not in the
 * validation table, or not accepted/degraded) become "other": never trained on.
 */
export function windowRoles(windowEpisodes: readonly string[], episodeRoles: ReadonlyMap<string, RoleCode>): Int8Array {
  const roles = new Int8Array(windowEpisodes.length);
  for (let i = 0; i < windowEpisodes.length; i++) {
    roles[i] = episodeRoles.get(windowEpisodes[i]!) ?? ROLE.other;
  }
  return roles;
}
