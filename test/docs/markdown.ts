/**
 * Small pure readers of the repository's markdown and sources, for the documentation tests
 * (test/docs/readme.test.ts): links, heading anchors, sections, and the names the code reads (CLI commands,
 * environment variables) that the docs must mention.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** A link written in a markdown file: its target as written and the line it is on (1-based). */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/**
 * The markdown text with code blocks and code spans blanked out (same line count), so a `[x](y)` shown as
 * code is not read as a link and a `## ` inside a fenced block is not a heading.
 */
export function withoutCode(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`+[^`]*`+/g, '');
    })
    .join('\n');
}

/** Inline links and images `[text](target "title")` and reference definitions `[id]: target`. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, index) => {
      for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        links.push({ target: match[1], line: index + 1 });
      }
      const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(text);
      if (definition) links.push({ target: definition[1], line: index + 1 });
    });
  return links;
}

/**
 * The anchor GitHub gives a heading: lower case, markup and punctuation dropped (letters, digits, `_`, `-`
 * and spaces kept), each space a `-`.
 */
export function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a markdown file offers: its headings' slugs, a repeated slug numbered `-1`, `-2`, ... */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of stripFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/** Fenced blocks blanked out, code spans kept (a heading's `code` is part of its anchor). */
function stripFences(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
      return inFence || /^\s*(```|~~~)/.test(line) ? '' : line;
    })
    .join('\n');
}

/** The lines of the `## ` section whose title is `title`, up to the next `## ` heading (fences respected). */
export function sectionLines(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const plain = stripFences(markdown).split('\n');
  const start = plain.findIndex((line) => line.trim() === `## ${title}`);
  if (start < 0) return [];
  const end = plain.findIndex((line, index) => index > start && /^## /.test(line));
  return lines.slice(start + 1, end < 0 ? lines.length : end);
}

/** The contents of the fenced code blocks among `lines`, one array of lines per block. */
export function fencedBlocks(lines: readonly string[]): string[][] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (current) {
        blocks.push(current);
        current = undefined;
      } else {
        current = [];
      }
    } else if (current) {
      current.push(line);
    }
  }
  return blocks;
}

/** Directories never walked: dependencies, generated output, local data. */
const NOT_WALKED = new Set([
  '.git',
  'node_modules',
  '.venv',
  '.jars',
  'cdk.out',
  'data',
  'dist',
  'test-artifacts',
  'target',
  'plan',
  'dbt_packages',
  'logs',
  '__pycache__',
  '.pytest_cache',
]);

/** Files under `dir` (relative to `root`) whose name matches `name`, skipping {@link NOT_WALKED}. */
export function filesUnder(root: string, dir: string, name: RegExp): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!NOT_WALKED.has(entry.name)) walk(child);
      } else if (name.test(entry.name)) {
        found.push(child);
      }
    }
  };
  walk(dir);
  return found.sort();
}

/** Whether `relative` (from the repository root) names an existing file or directory. */
export function exists(root: string, relative: string): boolean {
  try {
    statSync(path.join(root, relative));
    return true;
  } catch {
    return false;
  }
}

/** Reads a file of the repository. */
export function readRepoFile(root: string, relative: string): string {
  return readFileSync(path.join(root, relative), 'utf8');
}

/**
 * Environment variables a TypeScript source reads: `process.env.NAME`, `process.env['NAME']`,
 * `process.env[CONSTANT]` (resolved through `constants`), and the upper-case keys of object literals (the
 * zod schemas `readEnv` parses, the CDK functions' `environment` blocks).
 */
export function envVarsOfTypeScript(source: string, constants: ReadonlyMap<string, string>): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]);
  for (const match of source.matchAll(/process\.env\[\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z_][\w.]*))\s*\]/g)) {
    const name = match[1] ?? match[2] ?? constants.get(match[3].split('.').pop()!);
    if (name) names.add(name);
  }
  for (const match of source.matchAll(/^\s+([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\??:/gm)) names.add(match[1]);
  return [...names];
}

/** `const NAME = 'VALUE'` string constants of a TypeScript source, to resolve `process.env[NAME]`. */
export function stringConstants(source: string): Map<string, string> {
  const constants = new Map<string, string>();
  for (const match of source.matchAll(
    /const\s+([A-Za-z_]\w*)\s*(?::\s*string\s*)?=\s*'([A-Z][A-Z0-9_]*)'/g,
  )) {
    constants.set(match[1], match[2]);
  }
  return constants;
}

/** Environment variables a shell script (`${NAME...}`, `$NAME`), a Python source or a dbt profile reads. */
export function envVarsOfScript(source: string, kind: 'sh' | 'py' | 'yml'): string[] {
  const patterns: Record<typeof kind, RegExp> = {
    sh: /\$\{?(DEFTUNES_[A-Z0-9_]+|JAVA_HOME)/g,
    py: /os\.environ(?:\.get)?[[(]\s*["']([A-Z][A-Z0-9_]*)["']/g,
    yml: /env_var\(\s*'([A-Z][A-Z0-9_]*)'/g,
  };
  return [...new Set([...source.matchAll(patterns[kind])].map((match) => match[1]))];
}

/**
 * Repository paths written as code spans (`lambdas/shared/retry.ts`, `lib/local/`), from the repository root:
 * a span that starts with a top-level directory of the project and holds no placeholder (`*`, `<`, `{`, `|`).
 */
export function codeSpanPaths(markdown: string): MarkdownLink[] {
  const paths: MarkdownLink[] = [];
  markdown.split('\n').forEach((text, index) => {
    const spans = text.matchAll(
      /`((?:lambdas|lib|glue-scripts|dbt_modeling|test|bench|bin|docs)\/[^`\s*<>{}|]+)`/g,
    );
    for (const match of spans) paths.push({ target: match[1].replace(/[/.,]+$/, ''), line: index + 1 });
  });
  return paths;
}
