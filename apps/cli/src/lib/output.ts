import { colorEnabled, createPainter, type Painter } from './colors.js';
import { describeError, type ErrorInfo } from './errors.js';

/** Where a command's result goes: one JSON document with `--json`, coloured text otherwise. */
export interface Output {
  readonly json: boolean;
  /** Colours for stdout (off with --json, when piped, or with NO_COLOR). */
  readonly paint: Painter;
  /** Prints the command's result: `data` as JSON, or the human text. */
  result(data: unknown, human: () => string): void;
  /** A dimmed progress line on stderr for people; silent with --json (stdout stays one document). */
  note(text: string): void;
  /**
   * Text a person must read before the command goes on (a QR code to scan before a prompt): on
   * stdout, or on stderr with --json so that stdout stays one document.
   */
  show(text: string): void;
  /** Reports a failure on stderr (or as JSON on stdout) and sets exit code 1. */
  fail(error: unknown, url: string): ErrorInfo;
}

export function toJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

export function createOutput(json: boolean): Output {
  const paint = createPainter(!json && colorEnabled(process.stdout));
  const paintErr = createPainter(colorEnabled(process.stderr));
  return {
    json,
    paint,
    result(data, human) {
      process.stdout.write(json ? toJson(data) : `${human()}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${paintErr.dim(text)}\n`);
    },
    show(text) {
      (json ? process.stderr : process.stdout).write(`${text}\n`);
    },
    fail(error, url) {
      const info = describeError(error, url);
      process.exitCode = 1;
      if (json) {
        process.stdout.write(toJson({ error: info }));
        return info;
      }
      process.stderr.write(`${formatError(info, paintErr)}\n`);
      return info;
    },
  };
}

/** "error: Wrong email or password (INVALID_CREDENTIALS)", then field errors, the wait and a hint. */
export function formatError(info: ErrorInfo, paint: Painter): string {
  const label = info.reason ?? (info.code && info.code !== 'NETWORK' ? info.code : undefined);
  const lines = [
    `${paint.red(paint.bold('error:'))} ${info.message}${label ? ` ${paint.dim(`(${label})`)}` : ''}`,
  ];
  for (const [field, messages] of Object.entries(info.fieldErrors ?? {})) {
    lines.push(`  ${paint.yellow(field || 'input')}: ${messages.join('; ')}`);
  }
  if (info.retryAfterSeconds !== undefined) {
    lines.push(`  ${paint.yellow(`try again in ${formatWait(info.retryAfterSeconds)}`)}`);
  }
  if (info.hint) lines.push(`  ${paint.dim(`hint: ${info.hint}`)}`);
  return lines.join('\n');
}

function formatWait(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.ceil(minutes / 60)} h`;
}
