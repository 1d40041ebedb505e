import { Command } from 'commander';

export function registerSourcesCommand(program: Command): void {
  program.command('sources').description('The DeFtunes sources: API simulator and songs database.');
}
