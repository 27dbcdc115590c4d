/** Text and number formatting for the report's server-rendered HTML. */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** A score in [0, 1] with 3 decimals; "–" when missing or not finite. */
export function formatScore(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "–";
}

/** A duration in milliseconds at a precision that suits its size. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** An integer with narrow no-break spaces between thousands, independent of the machine's locale. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const sign = value < 0 ? "-" : "";
  const digits = String(Math.round(Math.abs(value)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

/** Any JSON-like value as short readable text (numbers to 4 decimals, arrays comma-joined). */
export function formatValue(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value) && value.every((item) => typeof item === "number" || typeof item === "string")) {
    return value.map((item) => (typeof item === "number" ? formatNumber(item) : item)).join(", ");
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toFixed(4)));
}

/** A CSS class fragment made only of [a-z0-9-], for statuses that come from data. */
export function cssToken(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}
