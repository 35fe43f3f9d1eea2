/** One column of a listing: a header and how a row fills it, shared by CSV downloads, terminal tables and the console. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
}

/** RFC 4180 CSV. Cells that a spreadsheet would run as a formula get a leading quote mark. */
export function toCsv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const line = (cells: readonly string[]) => cells.map(csvCell).join(',');
  return [line(columns.map((c) => c.header)), ...rows.map((r) => line(columns.map((c) => c.cell(r))))].join('\r\n') + '\r\n';
}

function csvCell(value: string): string {
  const safe = /^[=+@\t\r]|^-[^0-9]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
