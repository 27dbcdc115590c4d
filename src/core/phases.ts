/**
 * The phase vocabulary, defined once: the code of each phase is its index (SPEC section 1).
 * Inputs are checked against it, the demo data is generated with it, metrics and the report
 * name classes by it, and publish maps it onto the dashboard's closed enum.
 */
export const PHASE_NAMES = ["clean", "armed", "infecting", "infected_running", "dormant", "failed"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** Code by name: `PHASE.dormant` is 4. */
export const PHASE = Object.freeze(Object.fromEntries(PHASE_NAMES.map((name, code) => [name, code]))) as Readonly<
  Record<PhaseName, number>
>;

/** How many classes the classifier votes over: every phase code. */
export const PHASE_COUNT = PHASE_NAMES.length;
export const MAX_PHASE = PHASE_COUNT - 1;

/** The dashboard's closed phase enum, indexed by phase code: every phase but failed (SPEC section 4). */
export const DASHBOARD_PHASES = ["clean", "armed", "infecting", "infected_running", "dormant"] as const satisfies readonly PhaseName[];

/** The phase name of a code; codes outside the table (and -1, "no vote") are named by number. */
export function phaseName(code: number): string {
  return PHASE_NAMES[code] ?? `phase_${code}`;
}

/** "0 clean, 1 armed, ..." for messages about phase codes. */
export function describePhaseCodes(): string {
  return PHASE_NAMES.map((name, code) => `${code} ${name}`).join(", ");
}
