import { tableRows, type Matrix, type Table } from "./artifact.ts";
import type { AnyStage, OutputSlot } from "./stage.ts";

/** Why recorded outputs cannot be `def`'s (other slot names or kinds), or undefined. */
export function outputSlotsMismatch(outputs: Readonly<Record<string, { kind: string }>>, def: AnyStage): string | undefined {
  const declared = Object.keys(def.outputs).sort().join(", ");
  const recorded = Object.keys(outputs).sort().join(", ");
  if (declared !== recorded) return `it holds outputs [${recorded}], ${def.name} declares [${declared}]`;
  for (const [slot, spec] of Object.entries(def.outputs)) {
    if (outputs[slot]!.kind !== spec.kind) return `output ${slot} is a ${outputs[slot]!.kind}, ${def.name} declares a ${spec.kind}`;
  }
  return undefined;
}

/**
 * Why a decoded artifact cannot be a value of the output slot `spec`, or undefined when it
 * can: a json value must hold the slot's declared fields, a table its declared columns, all of
 * one length; with `thorough`, a matrix declared finite must be (a full scan). An entry pointed
 * at another stage's object (same kind, other content) fails here.
 */
export function slotMismatch(
  spec: Pick<OutputSlot, "kind" | "fields" | "columns" | "finite">,
  value: unknown,
  thorough = false,
): string | undefined {
  if (spec.kind === "matrix" && spec.finite && thorough) {
    const at = (value as Matrix).data.findIndex((v) => !Number.isFinite(v));
    if (at >= 0)
      return `it holds a non-finite value at row ${Math.floor(at / (value as Matrix).cols)}, and its slot declares finite values`;
  }
  if (spec.kind === "json" && spec.fields) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "it is not a JSON object";
    const missing = spec.fields.filter((f) => !(f in value));
    if (missing.length > 0) return `it lacks field${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`;
  }
  if (spec.kind === "table" && spec.columns) {
    const table = value as Table;
    const missing = spec.columns.filter((c) => !(c in table));
    if (missing.length > 0) return `it lacks column${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`;
    const rows = tableRows(table);
    const ragged = Object.entries(table).find(([, column]) => column.length !== rows);
    if (ragged) return `column ${ragged[0]} has ${ragged[1].length} rows, not ${rows}`;
  }
  return undefined;
}
