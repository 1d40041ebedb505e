/**
 * The README is a front door (issue 16) and the docs stay whole:
 * - the first screen, defined as every line before the `## To change X, edit Y` heading, fits 60 lines and
 *   holds the picture, the Quick start and the map of what ships;
 * - the Quick start block is exactly `npm run demo` and `npm test`;
 * - every link in the repository's markdown stays inside it and reaches an existing file (and heading);
 * - every `deftunes` command (read from the CLI's own program) and every environment variable the code
 *   reads (scanned from the sources) is mentioned in some markdown file.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  codeSpanPaths,
  envVarsOfScript,
  envVarsOfTypeScript,
  exists,
  fencedBlocks,
  filesUnder,
  headingAnchors,
  markdownLinks,
  readRepoFile,
  sectionLines,
  stringConstants,
} from './markdown';

const ROOT = path.resolve(__dirname, '..', '..');
/**
 * The CLI's own program, as `npx deftunes` builds it. Loaded by its full file name: a bare
 * `../../bin/deftunes` resolves to bin/deftunes.cjs, the launcher, which runs the CLI on jest's argv.
 */
function cliProgram(): Command {
  const cli = jest.requireActual<{ buildProgram: () => Command }>(path.join(ROOT, 'bin', 'deftunes.ts'));
  return cli.buildProgram();
}
const FIRST_SCREEN_LINES = 60;
const SECOND_SCREEN_HEADING = '## To change X, edit Y';

/** The README, the docs and the area READMEs: the pages a newcomer is sent to. */
const FRONT_DOOR_PAGES = [
  'README.md',
  ...filesUnder(ROOT, 'docs', /\.md$/),
  'lambdas/README.md',
  'dbt_modeling/README.md',
  'lib/local/README.md',
  'glue-scripts/README.md',
  'bench/README.md',
];
/** Every markdown file of the repository (dependencies and generated output excluded). */
const ALL_MARKDOWN = filesUnder(ROOT, '.', /\.md$/);

describe('README first screen', () => {
  const readme = readRepoFile(ROOT, 'README.md');
  const lines = readme.split('\n');
  const screenEnd = lines.findIndex((line) => line.trim() === SECOND_SCREEN_HEADING);
  const firstScreen = lines.slice(0, screenEnd).join('\n');

  it(`ends at "${SECOND_SCREEN_HEADING}" within ${FIRST_SCREEN_LINES} lines`, () => {
    expect(screenEnd).toBeGreaterThan(0);
    expect(screenEnd).toBeLessThanOrEqual(FIRST_SCREEN_LINES);
  });

  it('holds what it is, the picture, the Quick start and the map of what ships and what is local-only', () => {
    expect(lines[0]).toMatch(/^# /);
    expect(firstScreen).toMatch(/ResolveRunDate[\s\S]*LoadServing[\s\S]*CheckServingQuality/);
    expect(firstScreen).toContain('\n## Quick start\n');
    expect(firstScreen).toMatch(/\n## .*ships.*\n/);
    expect(firstScreen).toMatch(/\*\*ships\*\*/);
    expect(firstScreen).toMatch(/local-only/);
  });

  it('has a Quick start of exactly the two commands', () => {
    const blocks = fencedBlocks(sectionLines(readme, 'Quick start'));
    expect(blocks).toHaveLength(1);
    const commands = blocks[0].map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    expect(commands).toEqual(['npm run demo', 'npm test']);
  });

  it('keeps a Performance section that points to bench/README.md', () => {
    expect(sectionLines(readme, 'Performance').join('\n')).toContain('](bench/README.md)');
  });
});

describe('markdown links', () => {
  it('reads every front-door page', () => {
    for (const page of FRONT_DOOR_PAGES) expect(exists(ROOT, page)).toBe(true);
  });

  it.each(ALL_MARKDOWN)('%s links only inside the repository, to files and headings that exist', (page) => {
    const problems: string[] = [];
    for (const { target, line } of markdownLinks(readRepoFile(ROOT, page))) {
      const problem = linkProblem(page, target);
      if (problem) problems.push(`${page}:${line} ${target}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it.each(FRONT_DOOR_PAGES)('%s names only repository paths that exist', (page) => {
    const missing = codeSpanPaths(readRepoFile(ROOT, page))
      .filter(({ target }) => !exists(ROOT, target))
      .map(({ target, line }) => `${page}:${line} ${target}`);
    expect(missing).toEqual([]);
  });

  it('finds a broken link, an escaping link, an external link and a missing heading', () => {
    expect(linkProblem('README.md', 'docs/nowhere.md')).toMatch(/no such file/);
    expect(linkProblem('docs/design.md', '../../shared/DESIGN.md')).toMatch(/outside the repository/);
    expect(linkProblem('README.md', 'https://example.com/')).toMatch(/outside the repository/);
    expect(linkProblem('README.md', '/work/shared/DESIGN.md')).toMatch(/outside the repository/);
    expect(linkProblem('README.md', 'bench/README.md#no-such-heading')).toMatch(/no heading/);
    expect(linkProblem('README.md', 'bench/README.md#extraction')).toBeUndefined();
    expect(codeSpanPaths('see `lib/local/nowhere.ts`, not `lib/*/x.ts`').map(({ target }) => target)).toEqual(
      ['lib/local/nowhere.ts'],
    );
  });
});

describe('no reference to the design notes outside the repository', () => {
  it('in markdown, code or comments: the design is docs/design.md', () => {
    const sources = [
      ...ALL_MARKDOWN,
      ...['bin', 'lib', 'lambdas', 'glue-scripts', 'dbt_modeling', 'test', 'bench'].flatMap((dir) =>
        filesUnder(ROOT, dir, /\.(ts|cjs|mjs|js|py|sql|yml|sh|json)$/),
      ),
      ...['jest.config.js', 'eslint.config.mjs', 'package.json', 'cdk.json'],
    ];
    const outside = sources.filter(
      (file) =>
        file !== 'test/docs/readme.test.ts' &&
        /DESIGN\.md|\.\.\/shared\/DESIGN|\/work\/shared/.test(readRepoFile(ROOT, file)),
    );
    expect(outside).toEqual([]);
  });
});

describe('everything the code offers is documented', () => {
  const markdown = ALL_MARKDOWN.map((file) => readRepoFile(ROOT, file)).join('\n');

  it('every deftunes command of the CLI program', () => {
    const commands = commandPaths(cliProgram());
    expect(commands).toEqual(expect.arrayContaining(['run', 'step', 'sources serve']));
    expect(commands.filter((command) => !markdown.includes(`deftunes ${command}`))).toEqual([]);
  });

  it('every option of every deftunes command', () => {
    const options = commandOptions(cliProgram());
    expect(options).toEqual(expect.arrayContaining(['run --from', 'sources serve --fault-rate']));
    expect(options.filter((option) => !markdown.includes(option.split(' ').pop()!))).toEqual([]);
  });

  it('every environment variable read by lambdas/, lib/, bin/, glue-scripts/ and the dbt profile', () => {
    const variables = environmentVariables();
    expect(variables).toEqual(expect.arrayContaining(['LANDING_BUCKET', 'DEFTUNES_DATA_DIR', 'JAVA_HOME']));
    expect(variables.filter((name) => !new RegExp(`\\b${name}\\b`).test(markdown))).toEqual([]);
  });
});

/** Why a link of `page` to `target` is broken, or undefined when it is fine. */
function linkProblem(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) return 'points outside the repository';
  const [file, anchor] = target.split('#', 2);
  const resolved = file ? path.normalize(path.join(path.dirname(page), decodeURI(file))) : page;
  if (resolved.startsWith('..') || path.isAbsolute(resolved)) return 'points outside the repository';
  if (!exists(ROOT, resolved)) return `no such file (${resolved})`;
  if (
    anchor !== undefined &&
    resolved.endsWith('.md') &&
    !headingAnchors(readRepoFile(ROOT, resolved)).has(anchor)
  ) {
    return `no heading with anchor #${anchor} in ${resolved}`;
  }
  return undefined;
}

/** Every command of the program as typed after `deftunes`: `run`, `sources serve`, ... */
function commandPaths(program: Command, prefix = ''): string[] {
  return program.commands.flatMap((command) => {
    const name = `${prefix}${command.name()}`;
    const children = commandPaths(command, `${name} `);
    return children.length ? children : [name];
  });
}

/** Every long option as `<command path> --option`: `run --from`, `sources serve --port`, ... */
function commandOptions(program: Command, prefix = ''): string[] {
  return program.commands.flatMap((command) => {
    const name = `${prefix}${command.name()}`;
    const own = command.options.flatMap((option) => (option.long ? [`${name} ${option.long}`] : []));
    return [...own, ...commandOptions(command, `${name} `)];
  });
}

/** The environment variables the project's own code reads, by scanning its sources. */
function environmentVariables(): string[] {
  const typescript = ['lambdas', 'lib', 'bin']
    .flatMap((dir) => filesUnder(ROOT, dir, /\.ts$/))
    .map((file) => readRepoFile(ROOT, file));
  const constants = new Map(typescript.flatMap((source) => [...stringConstants(source)]));
  const names = new Set(typescript.flatMap((source) => envVarsOfTypeScript(source, constants)));
  const scripts: [string, RegExp, 'sh' | 'py' | 'yml'][] = [
    ['bin', /\.sh$/, 'sh'],
    ['glue-scripts', /\.py$/, 'py'],
    ['dbt_modeling', /^profiles\.yml$/, 'yml'],
  ];
  for (const [dir, name, kind] of scripts) {
    for (const file of filesUnder(ROOT, dir, name)) {
      for (const variable of envVarsOfScript(readRepoFile(ROOT, file), kind)) names.add(variable);
    }
  }
  return [...names].sort();
}
