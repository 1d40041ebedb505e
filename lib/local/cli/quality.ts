/**
 * `deftunes quality --date D --stage transform|serving`: runs the data-quality gate of one date and stage
 * on the local data directory (the same function the Lambda runs), writes the result document to
 * `<data-dir>/serving/dq-results/run_date=D/<stage>.json` and exits non-zero when the gate failed.
 */
import { Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { openLocalDataQuality } from '../local-data-quality';
import { ResultDocumentSchema, type ResultDocument } from '../../../lambdas/data-quality/result-document';
import { runDataQuality } from '../../../lambdas/data-quality/run-data-quality';
import { QUALITY_STAGES, type QualityStage } from '../../../lambdas/shared/platform-names';
import { localPaths } from '../data-dir';
import { openCliTelemetry } from './cli-telemetry';
import { parseRunDate } from './options';

interface QualityOptions {
  readonly date: string;
  readonly stage: QualityStage;
  readonly dataDir?: string;
  readonly json?: boolean;
}

function parseStage(value: string): QualityStage {
  const stage = QUALITY_STAGES.find((candidate) => candidate === value);
  if (stage === undefined) {
    throw new InvalidArgumentError(`must be ${QUALITY_STAGES.join(' or ')}; got "${value}"`);
  }
  return stage;
}

export function registerQualityCommand(program: Command): void {
  program
    .command('quality')
    .description(
      'Run the data-quality gate of one date and stage on the local data: the dbt tests of the duckdb serving plan ' +
        "(transform: the run date's partition of the transform tables, plus the quarantine rate per source; " +
        'serving: the star schema and BI views). Writes <data-dir>/serving/dq-results/run_date=D/<stage>.json; ' +
        'exits with 1 when an error-severity rule failed or a rule could not run.',
    )
    .requiredOption('--date <YYYY-MM-DD>', 'run date', parseRunDate)
    .requiredOption('--stage <stage>', QUALITY_STAGES.join(' | '), parseStage)
    .option('--data-dir <dir>', 'local data directory (default: $DEFTUNES_DATA_DIR or ./data)')
    .option('--json', 'print the result document as JSON on stdout (logs go to stderr)')
    .action(async (options: QualityOptions) => {
      const paths = localPaths(options.dataDir);
      // Rule-by-rule logs go to the run log; stderr gets them too so a person sees failures as they happen.
      const telemetry = openCliTelemetry(paths.runLog, 'data-quality', process.stderr);
      const { logger, metrics } = telemetry;
      const gate = await openLocalDataQuality({ dataDir: options.dataDir, logger, metrics });
      let document: ResultDocument;
      try {
        const result = await runDataQuality({ run_date: options.date, stage: options.stage }, gate.deps);
        document = ResultDocumentSchema.parse(
          JSON.parse((await gate.deps.resultsStore.getObject(result.results_key)).toString('utf8')),
        );
        if (options.json) {
          process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
        } else {
          process.stdout.write(formatDocument(document, path.join(gate.resultsDir, result.results_key)));
        }
      } finally {
        await gate.close();
        await telemetry.close();
      }
      if (document.status === 'failed') process.exitCode = 1;
    });
}

/** The result as a table a person can read, failures first. */
export function formatDocument(document: ResultDocument, file: string): string {
  const order = { failed: 0, warned: 1, passed: 2 } as const;
  const rules = [...document.rules].sort(
    (a, b) => order[a.status] - order[b.status] || a.rule.localeCompare(b.rule),
  );
  const rows = rules.map((rule) => [
    rule.status.toUpperCase(),
    rule.rule,
    rule.column ? `${rule.table}.${rule.column}` : rule.table,
    String(rule.failing_rows),
    rule.observed === null ? '-' : String(rule.observed),
    rule.error ?? rule.threshold,
  ]);
  const header = ['STATUS', 'RULE', 'TABLE', 'FAILING', 'OBSERVED', 'THRESHOLD / ERROR'];
  const widths = header.map((title, column) =>
    Math.min(60, Math.max(title.length, ...rows.map((row) => row[column].length))),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ');
  const samples = rules
    .filter((rule) => rule.status !== 'passed' && rule.sample_failing_keys.length > 0)
    .map(
      (rule) => `  ${rule.rule}: ${rule.sample_failing_keys.map((keys) => JSON.stringify(keys)).join(', ')}`,
    );
  return [
    `data quality ${document.run_date} ${document.stage}: ${document.status.toUpperCase()} ` +
      `(${document.summary.passed} passed, ${document.summary.warned} warned, ${document.summary.failed} failed)`,
    '',
    line(header),
    ...rows.map(line),
    ...(samples.length > 0 ? ['', 'sample failing keys:', ...samples] : []),
    '',
    `result document: ${file}`,
    '',
  ].join('\n');
}
