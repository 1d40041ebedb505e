import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
import { encryptedLogGroup } from './encrypted-log-group';

/** The repository root: entries, the lock file and the serving plan are resolved from it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** What `@aws-sdk/credential-provider-node` resolves to inside a bundle (relative to PROJECT_ROOT). */
const LAMBDA_CREDENTIALS = 'lambdas/shared/lambda-credentials.ts';

/** A file copied into the bundle after esbuild ran (e.g. the serving plan). */
export interface BundledFile {
  /** Path relative to the repository root (or absolute). */
  readonly source: string;
  /** File name inside the bundle. */
  readonly target: string;
  /**
   * Command that writes or refreshes the source, run from the repository root before the copy, as an argv
   * (each word is quoted: nothing in it is expanded by the shell). It must work offline and return quickly
   * when the source is up to date, since it runs on every bundling.
   * @default - none: the source must already exist
   */
  readonly build?: string[];
  /** Printed, never executed, when the source is missing or its build fails, e.g. which command produces it. */
  readonly hint: string;
}

/** One word for `bash -c`: single-quoted, so backticks, `$(...)` and quotes stay literal text. */
function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The shell commands (`afterBundling`) that build each file if it has a build command, check it exists and
 * copy it into the bundle. Messages are printed with `printf '%s'` so no part of a hint runs.
 */
export function bundledFileCommands(files: BundledFile[], inputDir: string, outputDir: string): string[] {
  const fail = (message: string): string => `{ printf '%s\\n' ${shellWord(message)} >&2; exit 1; }`;
  return files.map((file) => {
    const source = path.resolve(inputDir, file.source);
    const target = path.join(outputDir, file.target);
    const steps: string[] = [];
    if (file.build) {
      steps.push(
        `{ ( cd ${shellWord(inputDir)} && ${file.build.map(shellWord).join(' ')} ) || ${fail(
          `cannot build ${file.source} (${file.build.join(' ')} failed): ${file.hint}`,
        )}; }`,
      );
    }
    steps.push(`{ test -f ${shellWord(source)} || ${fail(`missing ${file.source}: ${file.hint}`)}; }`);
    steps.push(`cp ${shellWord(source)} ${shellWord(target)}`);
    return steps.join(' && ');
  });
}

export interface PipelineFunctionProps {
  /** Entry file relative to the repository root, e.g. `lambdas/extract-api/index.ts`; it exports `handler`. */
  readonly entry: string;
  /** What the function does (the Lambda description). */
  readonly description: string;
  /** Powertools service name, also the metric dimension `service`. */
  readonly serviceName: string;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Longest run. */
  readonly timeout: Duration;
  /** Retention of the function's log group. */
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the function's log group. */
  readonly logEncryptionKey: kms.IKey;
  /**
   * Environment variables beside the Powertools and Node.js ones.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Files copied into the bundle.
   * @default - none
   */
  readonly bundledFiles?: BundledFile[];
  /**
   * Modules left out of the bundle because the handler never loads them in AWS (optional native add-ons).
   * @default - none
   */
  readonly externalModules?: string[];
  /**
   * The execution role. Shared when two functions must act as the same identity.
   * @default - a new role that can only write its own log group
   */
  readonly role?: iam.IRole;
  /**
   * Removal policy of the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What the functions of one group (PipelineFunctions, EnrichmentFunctions) share. */
export interface PipelineFunctionGroupProps {
  /** Encrypts the functions' log groups. */
  readonly key: kms.IKey;
  /** Memory in MB of each function. */
  readonly memorySize: number;
  /** Longest run of each function. */
  readonly timeout: Duration;
  /** Retention of the functions' log groups. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Removal policy of the log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The props a group gives each of its functions. */
export function groupFunctionProps(
  props: PipelineFunctionGroupProps,
): Pick<
  PipelineFunctionProps,
  'memorySize' | 'timeout' | 'logRetention' | 'logEncryptionKey' | 'logRemovalPolicy'
> {
  return {
    memorySize: props.memorySize,
    timeout: props.timeout,
    logRetention: props.logRetention,
    logEncryptionKey: props.key,
    logRemovalPolicy: props.logRemovalPolicy,
  };
}

/**
 * A TypeScript handler bundled by esbuild (minified, source maps, AWS SDK v3 bundled so it is tree-shaken
 * and pinned to the project's version), on Node.js 22 / arm64, with X-Ray, structured JSON logs in its own
 * log group, Powertools settings, and an execution role with no permission beyond that log group.
 */
export class PipelineFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.IRole;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = encryptedLogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      key: props.logEncryptionKey,
      removalPolicy: props.logRemovalPolicy,
    });
    const role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${props.serviceName} Lambda`,
      });
    this.role = role;
    this.logGroup.grantWrite(role);

    const bundledFiles = props.bundledFiles ?? [];
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      // Retries belong to the state machine, which knows whether a step is safe to repeat.
      retryAttempts: 0,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'DeFtunes',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        ...props.environment,
      },
      bundling: bundlingOptions(props.externalModules ?? [], bundledFiles),
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the platform is built and tested for (docs/design.md, Versions); moving to a newer one is a deliberate upgrade',
    );
    if (!props.role) {
      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) has no resource-level permissions',
      );
    }
  }
}

/**
 * esbuild as the functions are bundled: minified, source maps without sources, ES module builds first, the
 * SDK bundled with its environment-only credentials; `bundledFiles` are copied beside the handler.
 */
function bundlingOptions(externalModules: string[], bundledFiles: BundledFile[]): nodejs.BundlingOptions {
  return {
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    target: 'node22',
    format: nodejs.OutputFormat.CJS,
    // The SDK's and Powertools' ES module builds tree-shake far better than their CommonJS ones.
    mainFields: ['module', 'main'],
    bundleAwsSDK: true,
    // In Lambda the credentials are in the environment: the SDK's default chain (SSO, ini files, STS,
    // metadata services) is replaced by its environment source alone (see lambda-credentials.ts).
    esbuildArgs: {
      '--alias': [`@aws-sdk/credential-provider-node=${path.join(PROJECT_ROOT, LAMBDA_CREDENTIALS)}`],
    },
    externalModules,
    tsconfig: path.join(PROJECT_ROOT, 'tsconfig.json'),
    commandHooks:
      bundledFiles.length === 0
        ? undefined
        : {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) =>
              bundledFileCommands(bundledFiles, inputDir, outputDir),
          },
  };
}
