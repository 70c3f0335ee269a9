// Text cells to numbers, shared by the file and serial line parsers.
//
// Stricter than Number(): '' , ' ', '0x10', 'Infinity' and 'NaN' are rejected,
// so a blank or garbled cell is reported instead of silently becoming 0 or NaN.

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The decimal number in `cell` (surrounding spaces allowed), or undefined. */
export function parseNumberCell(cell: string): number | undefined {
  const t = cell.trim();
  if (!DECIMAL.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}
