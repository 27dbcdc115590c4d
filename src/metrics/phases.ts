/** Phase names by code (SPEC section 1), as evaluate's metrics label them. */
export const PHASE_NAMES: readonly string[] = ["clean", "armed", "infecting", "infected_running", "dormant", "failed"];

/** The phase name of a code; codes outside the table (and -1, "no vote") are named by number. */
export function phaseName(code: number): string {
  return PHASE_NAMES[code] ?? `phase_${code}`;
}
