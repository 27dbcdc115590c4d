import type { ValidationRows } from "../../../src/split/index.ts";

export const DEMO_HOSTS = ["elliott-thinkpad", "lab-node-01", "lab-node-02", "lab-node-03", "qemu-vm-a", "qemu-vm-b"];
export const TRAIN_HOSTS = DEMO_HOSTS.slice(0, 3);

/**
 * profile -> its sample names. `shared` belongs to two profiles, so the splits must decide
 * it once; `low-and-slow` has a single sample of its own (plus the shared one).
 */
export const SAMPLES: Record<string, string[]> = {
  "cpu-saturate": ["cs-a", "cs-b", "cs-c", "cs-d", "cs-e", "cs-f", "cs-g", "cs-h", "cs-i", "cs-j"],
  "io-walk": ["io-a", "io-b", "shared"],
  "low-and-slow": ["ls-a", "shared"],
  single: ["only-one"],
};

/** One episode per (profile, sample, host, repeat); every 5th is rejected, every 7th degraded. */
export function validationRows(repeats = 2): ValidationRows {
  const rows = {
    episodeId: [] as string[],
    hostId: [] as string[],
    profile: [] as string[],
    sampleName: [] as string[],
    status: [] as string[],
  };
  let n = 0;
  for (const [profile, samples] of Object.entries(SAMPLES)) {
    for (const sample of samples) {
      for (const host of DEMO_HOSTS) {
        for (let r = 0; r < repeats; r++, n++) {
          rows.episodeId.push(`ep-${String(n).padStart(4, "0")}`);
          rows.hostId.push(host);
          rows.profile.push(profile);
          rows.sampleName.push(sample);
          rows.status.push(n % 5 === 4 ? "rejected" : n % 7 === 6 ? "degraded" : "accepted");
        }
      }
    }
  }
  return rows;
}

/** The same rows in another order (reversed), to show the split ignores row order. */
export function reversedRows(rows: ValidationRows): ValidationRows {
  return {
    episodeId: [...rows.episodeId].reverse(),
    hostId: [...rows.hostId].reverse(),
    profile: [...rows.profile].reverse(),
    sampleName: [...rows.sampleName].reverse(),
    status: [...rows.status].reverse(),
  };
}

/** Index of each episode id in `rows`. */
export function rowOf(rows: ValidationRows): Map<string, number> {
  return new Map(rows.episodeId.map((id, i) => [id, i]));
}
