/**
 * `deftunes dashboard`: builds the BI dashboard (one self-contained HTML file) from the local DuckDB
 * warehouse, or with `--env NAME` from that environment's Redshift Serverless workgroup through the Data API.
 */
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DuckDbWarehouse } from '../adapters/duckdb-warehouse';
import { LocalObjectStore } from '../adapters/local-object-store';
import type { ObjectStore } from '../../../lambdas/shared/object-store';
import { RedshiftDataWarehouse } from '../../../lambdas/shared/redshift-data-warehouse';
import { S3ObjectStore } from '../../../lambdas/shared/s3-object-store';
import type { Warehouse } from '../../../lambdas/shared/warehouse';
import { formatInteger, formatMoney } from '../dashboard/aggregate';
import { buildDashboard, DASHBOARD_FILE_NAME, type BuildDashboardResult } from '../dashboard';
import { localPaths } from '../data-dir';
import { SALES_WINDOW_MONTHS } from '../dashboard/load';
import { parseMonths } from './options';

interface DashboardOptions {
  readonly dataDir?: string;
  readonly out?: string;
  readonly env?: string;
  readonly workgroup?: string;
  readonly database?: string;
  readonly region?: string;
  readonly resultsBucket?: string;
  readonly salesMonths?: number;
  readonly json?: boolean;
}

/** Where the numbers are read from: the warehouse, the quality results, and a description for the page. */
interface DashboardSource {
  readonly warehouse: Warehouse;
  readonly resultsStore?: ObjectStore;
  readonly description: string;
  readonly defaultOut: string;
}

const CDK_JSON = path.join(__dirname, '..', '..', '..', 'cdk.json');

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description(
      'Build the BI dashboard: one HTML file (charts, tables, filters) that opens offline, from the BI views ' +
        'and the data-quality results.',
    )
    .option(
      '--data-dir <dir>',
      'local data directory (DuckDB warehouse, dq-results) (default: $DEFTUNES_DATA_DIR or ./data)',
    )
    .option(
      '--out <file>',
      'HTML file to write (default: <data-dir>/serving/dashboard.html; with --env: ./dashboard-<env>.html)',
    )
    .option(
      '--env <name>',
      'read Redshift Serverless of this cdk.json environment through the Data API instead',
    )
    .option('--workgroup <name>', 'Redshift Serverless workgroup (default with --env: deftunes-<env>)')
    .option('--database <name>', 'Redshift database (default with --env: cdk.json redshift.databaseName)')
    .option('--region <region>', 'AWS region (default with --env: cdk.json region; else the SDK default)')
    .option('--results-bucket <bucket>', 'S3 bucket holding dq-results/ (with --env or --workgroup)')
    .option(
      '--sales-months <n>',
      `calendar months of sales the page holds day by day, up to the newest sale (default: ${SALES_WINDOW_MONTHS})`,
      parseMonths,
    )
    .option('--json', 'print the result as JSON on stdout')
    .action(async (options: DashboardOptions) => {
      const source = await openSource(options);
      let result: BuildDashboardResult;
      try {
        result = await buildDashboard({
          warehouse: source.warehouse,
          resultsStore: source.resultsStore,
          outFile: options.out ?? source.defaultOut,
          source: source.description,
          salesWindowMonths: options.salesMonths,
        });
      } finally {
        await source.warehouse.close();
      }
      report(result, options.json === true);
    });
}

async function openSource(options: DashboardOptions): Promise<DashboardSource> {
  if (options.env !== undefined || options.workgroup !== undefined) {
    if (options.dataDir !== undefined) {
      throw new Error(
        '--data-dir reads the local warehouse; it cannot be combined with --env or --workgroup',
      );
    }
    return openRedshift(options);
  }
  for (const flag of ['database', 'region', 'resultsBucket'] as const) {
    if (options[flag] !== undefined) {
      const name = flag === 'resultsBucket' ? 'results-bucket' : flag;
      throw new Error(`--${name} applies to Redshift; give --env NAME (or --workgroup) with it`);
    }
  }
  const paths = localPaths(options.dataDir);
  if (!existsSync(paths.warehouseDb)) {
    throw new Error(`no warehouse at ${paths.warehouseDb}: run \`deftunes run\` first (or pass --data-dir)`);
  }
  return {
    warehouse: await DuckDbWarehouse.open(paths.warehouseDb),
    resultsStore: new LocalObjectStore(paths.serving),
    description: `local DuckDB warehouse ${paths.warehouseDb}`,
    defaultOut: path.join(paths.serving, DASHBOARD_FILE_NAME),
  };
}

interface RedshiftTarget {
  readonly workgroup: string;
  readonly database: string;
  readonly region?: string;
}

/** The workgroup, database and region of `--env NAME` from cdk.json, overridden by explicit flags. */
export function redshiftTarget(options: DashboardOptions, cdkJsonFile = CDK_JSON): RedshiftTarget {
  let fromEnv: Partial<RedshiftTarget> = {};
  if (options.env !== undefined) {
    const environment = environmentOf(options.env, cdkJsonFile);
    fromEnv = {
      // The name lib/stacks/warehouse-stack.ts gives the workgroup.
      workgroup: `deftunes-${options.env}`,
      database: stringAt(environment, ['redshift', 'databaseName']),
      region: stringAt(environment, ['region']),
    };
  }
  const workgroup = options.workgroup ?? fromEnv.workgroup;
  const database = options.database ?? fromEnv.database;
  if (workgroup === undefined || database === undefined) {
    throw new Error('reading Redshift needs --env NAME, or --workgroup and --database');
  }
  const region = options.region ?? fromEnv.region;
  return { workgroup, database, ...(region === undefined ? {} : { region }) };
}

function environmentOf(name: string, cdkJsonFile: string): Record<string, unknown> {
  let cdkJson: unknown;
  try {
    cdkJson = JSON.parse(readFileSync(cdkJsonFile, 'utf8'));
  } catch (error: unknown) {
    throw new Error(`cannot read ${cdkJsonFile}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const environments = (cdkJson as { context?: Record<string, unknown> }).context?.['deftunes:environments'];
  const environment = (environments as Record<string, unknown> | undefined)?.[name];
  if (environment === null || typeof environment !== 'object') {
    const known = environments !== null && typeof environments === 'object' ? Object.keys(environments) : [];
    throw new Error(
      `environment "${name}" is not in ${cdkJsonFile} context "deftunes:environments" (known: ${known.join(', ') || 'none'})`,
    );
  }
  return environment as Record<string, unknown>;
}

function stringAt(object: Record<string, unknown>, keys: readonly string[]): string | undefined {
  let value: unknown = object;
  for (const key of keys) value = (value as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

function openRedshift(options: DashboardOptions): DashboardSource {
  const target = redshiftTarget(options);
  const clientConfig = target.region === undefined ? {} : { region: target.region };
  return {
    warehouse: new RedshiftDataWarehouse({
      client: new RedshiftDataClient(clientConfig),
      workgroupName: target.workgroup,
      database: target.database,
    }),
    ...(options.resultsBucket === undefined
      ? {}
      : {
          resultsStore: new S3ObjectStore({
            client: new S3Client(clientConfig),
            bucket: options.resultsBucket,
          }),
        }),
    description: `Redshift Serverless workgroup ${target.workgroup}, database ${target.database}${
      target.region === undefined ? '' : ` (${target.region})`
    }`,
    defaultOut: path.resolve(`dashboard-${options.env ?? target.workgroup}.html`),
  };
}

function report(result: BuildDashboardResult, json: boolean): void {
  const differing = result.checks.filter((check) => !check.ok);
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stderr.write(
      `dashboard: wrote ${result.path} (${Math.round(result.bytes / 1024)} KiB): ` +
        `${formatMoney(result.totals.revenueCents)} revenue, ${formatInteger(result.totals.items)} items, ` +
        `${result.totals.days} days\n`,
    );
    for (const note of result.notes) process.stderr.write(`dashboard: note: ${note}\n`);
  }
  for (const check of differing) process.stderr.write(`dashboard: ${check.name} differs: ${check.detail}\n`);
  if (differing.length > 0) {
    process.stderr.write(
      'dashboard: the page was written, but its numbers disagree with the warehouse (above)\n',
    );
    process.exitCode = 1;
  }
}
