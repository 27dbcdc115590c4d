/**
 * A grid of already formatted cells, drawn three ways: aligned text, CSV, markdown. It knows
 * nothing about runs; table and diff renderers build the grid.
 */
export interface Grid {
  header: readonly string[];
  rows: readonly (readonly string[])[];
  /** per column: right-align (numbers) */
  right?: readonly boolean[];
}

/** Columns padded to their widest cell, two spaces apart, the header underlined. */
export function renderText(grid: Grid): string {
  const header = grid.header.map(_oneLine);
  const rows = grid.rows.map((r) => r.map(_oneLine));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (grid.right?.[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * RFC 4180 quoting: a field with a comma, quote, CR or LF is quoted and its quotes doubled.
 * Records end in LF (as the rest of the CLI's output), which every CSV reader accepts.
 */
export function renderCsv(grid: Grid): string {
  return [grid.header, ...grid.rows].map((row) => row.map(csvField).join(",")).join("\n");
}

export function csvField(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** A GitHub markdown table; pipes escaped, line breaks folded, numbers right-aligned. */
export function renderMarkdown(grid: Grid): string {
  const row = (cells: readonly string[]) => `| ${cells.map(_markdownCell).join(" | ")} |`;
  const rule = `|${grid.header.map((_, c) => (grid.right?.[c] ? "---:" : "---")).join("|")}|`;
  return [row(grid.header), rule, ...grid.rows.map(row)].join("\n");
}

function _markdownCell(cell: string): string {
  const text = _oneLine(cell).replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
  return text === "" ? " " : text;
}

/** A cell is drawn on one line: line breaks become spaces. */
function _oneLine(cell: string): string {
  return cell.replace(/\r\n|\r|\n/g, " ");
}
