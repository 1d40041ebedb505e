/**
 * `deftunes`: the project's command line. `npx deftunes` runs bin/deftunes.cjs, which registers tsx and
 * calls {@link main}; importing this module runs nothing (tests build the program themselves). Each
 * command lives in its own module under lib/local/cli/ and registers itself here; `deftunes <command>
 * --help` documents it.
 */
import { Command } from 'commander';
import '../lib/local/polyfills';
import { registerDashboardCommand } from '../lib/local/cli/dashboard';
import { registerExtractCommand } from '../lib/local/cli/extract';
import { registerQualityCommand } from '../lib/local/cli/quality';
import { registerQueryCommand } from '../lib/local/cli/query';
import { registerRunCommand, registerStepCommand } from '../lib/local/cli/run';
import { registerSourcesCommand } from '../lib/local/cli/sources';

export function buildProgram(): Command {
  const program = new Command('deftunes')
    .description('DeFtunes data platform: run the daily pipeline and its pieces locally, offline.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerDashboardCommand(program);
  registerExtractCommand(program);
  registerQualityCommand(program);
  registerQueryCommand(program);
  registerRunCommand(program);
  registerSourcesCommand(program);
  registerStepCommand(program);
  return program;
}

/** Runs the CLI; errors are printed as one line naming what went wrong, with a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error: unknown) {
    process.stderr.write(`deftunes: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
