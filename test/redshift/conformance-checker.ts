/**
 * Runs test/redshift/redshift_conformance.py (sqlglot, pinned in requirements.in) in the project's Python
 * environment on a list of Data API calls and returns its findings.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CHECKER = path.join(__dirname, 'redshift_conformance.py');

export interface DataApiCall {
  readonly api: 'ExecuteStatement' | 'BatchExecuteStatement';
  readonly statements: readonly { readonly label: string; readonly sql: string }[];
}

export interface ConformanceFinding {
  readonly label: string;
  readonly rule: 'parse' | 'statement' | 'reserved-word' | 'function' | 'window' | 'view' | 'limit';
  readonly message: string;
}

export interface ConformanceReport {
  /** Statements checked. */
  readonly checked: number;
  readonly sqlglot: string;
  readonly findings: ConformanceFinding[];
}

export function checkRedshiftConformance(calls: readonly DataApiCall[]): ConformanceReport {
  const run = spawnSync(PYTHON, [CHECKER], {
    input: JSON.stringify({ calls }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new Error(`cannot run ${PYTHON} (npm run setup creates it): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${CHECKER} exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as ConformanceReport;
}
