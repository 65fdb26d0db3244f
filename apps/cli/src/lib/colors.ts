import { stripVTControlCharacters, styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** Colour helpers for one output stream; plain text when it is not a terminal or NO_COLOR is set. */
export interface Painter {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** https://no-color.org: any non-empty NO_COLOR disables colour; FORCE_COLOR (not "0") forces it. */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0';
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

export function createPainter(enabled: boolean): Painter {
  const paint = (style: Style) => (text: string) => (enabled ? styleText(style, text) : text);
  return {
    enabled,
    green: paint('green'),
    red: paint('red'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
    dim: paint('dim'),
    bold: paint('bold'),
  };
}

/** The width a string takes on screen, ignoring colour codes. */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}
