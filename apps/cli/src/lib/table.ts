import { visibleLength } from './colors.js';

/** Renders rows as aligned columns; cells may contain colour codes. */
export function renderTable(
  headers: string[],
  rows: string[][],
  options: { align?: ('left' | 'right')[]; header?: (text: string) => string } = {},
): string {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const pad = ' '.repeat((widths[column] ?? 0) - visibleLength(cell));
        return options.align?.[column] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const head = options.header ?? ((text: string) => text);
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [head(line(headers)), head(rule), ...rows.map(line)].join('\n');
}
