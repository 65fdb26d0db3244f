/**
 * The commands a reader of README.md would type: every line of its ```sh blocks (split at `&&`,
 * comments dropped) and every inline `code` span of its prose that starts like a command.
 */
export interface ReadmeCommand {
  /** The `## ` heading it sits under. */
  section: string;
  /** One command: a step of an `&&` chain, without its comment. */
  text: string;
  /** Where it was written: a ```sh block line, or inline code in the prose. */
  from: 'block' | 'inline';
  /** 1-based line in README.md, for failure messages. */
  line: number;
}

/**
 * An inline code span is a command when it starts like one and has arguments (`pnpm start`, not
 * `cryptweb`) and no placeholder ellipsis (`pnpm cryptweb …`).
 */
const COMMAND_START =
  /^(?:[A-Z][A-Z0-9_]*=\S+\s+)*(?:pnpm|npm|npx|node|cryptweb|curl|source|bash|sh|createdb|dropdb|psql|apt-get|docker)\s+\S/;

export function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let section = '';
  let fence: string | undefined;
  let paragraph: { text: string; line: number } | undefined;
  const flushParagraph = () => {
    if (!paragraph) return;
    for (const match of paragraph.text.matchAll(/`([^`]+)`/g)) {
      const span = match[1]?.trim() ?? '';
      if (!COMMAND_START.test(span) || span.includes('…')) continue;
      for (const text of span.split(/\s+&&\s+/)) {
        commands.push({ section, text: text.trim(), from: 'inline', line: paragraph.line });
      }
    }
    paragraph = undefined;
  };
  markdown.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const fenceMatch = /^```(\S*)/.exec(raw);
    if (fenceMatch) {
      flushParagraph();
      fence = fence === undefined ? (fenceMatch[1] ?? '') : undefined;
      return;
    }
    if (fence !== undefined) {
      if (fence !== 'sh' && fence !== 'bash') return;
      const text = raw.replace(/\s+#\s.*$/, '').trim();
      if (!text || text.startsWith('#')) return;
      for (const step of text.split(/\s+&&\s+/)) {
        commands.push({ section, text: step.trim(), from: 'block', line });
      }
      return;
    }
    const heading = /^##\s+(.+)$/.exec(raw);
    if (heading) {
      flushParagraph();
      section = heading[1]?.trim() ?? '';
      return;
    }
    if (!raw.trim() || raw.startsWith('|')) {
      flushParagraph();
      return;
    }
    paragraph = paragraph
      ? { text: `${paragraph.text} ${raw.trim()}`, line: paragraph.line }
      : { text: raw.trim(), line };
  });
  flushParagraph();
  return commands;
}

/** The `http://…` addresses the prose of `section` names. */
export function readmeUrls(markdown: string, section: string): string[] {
  const body = markdown.split(/^## /m).find((part) => part.startsWith(`${section}\n`)) ?? '';
  const prose = body.replace(/```[\s\S]*?```/g, '');
  return [...new Set(prose.match(/https?:\/\/[^\s`)]+/g) ?? [])].map((url) =>
    url.replace(/[.,;]$/, ''),
  );
}
