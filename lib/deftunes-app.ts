/**
 * Builds the CDK app: one DeftunesStage per environment of cdk.json (or only the one chosen with
 * `-c env=NAME`), with cdk-nag's AwsSolutions checks plugged into the synthesis. Used by bin/app.ts, the
 * tests, and the local runner (which synthesizes DailyPipeline in-process).
 */
import { App, Validations } from 'aws-cdk-lib';
import {
  DESTROY_ON_REMOVAL_CONTEXT_KEY,
  readCdkJsonContext,
  ENVIRONMENT_SELECTOR_CONTEXT_KEY,
  ENVIRONMENTS_CONTEXT_KEY,
  parseBooleanFlag,
  parseEnvironments,
} from './config';
import { DeftunesStage } from './deftunes-stage';
import { DeftunesAwsSolutionsChecks } from './nag';

export { CDK_JSON_PATH, readCdkJsonContext } from './config';

export interface DeftunesAppOptions {
  /** Context merged over cdk.json's (what `-c key=value` does on the command line). */
  readonly context?: Record<string, unknown>;
  /**
   * Skip bundling of Lambda code and assets (`aws:cdk:bundling-stacks` = []): for tests and the local runner.
   * @default false
   */
  readonly skipBundling?: boolean;
  /**
   * Register the cdk-nag AwsSolutions checks as a validation plugin.
   * @default true
   */
  readonly nag?: boolean;
  /** @default - a temporary directory chosen by the CDK */
  readonly outdir?: string;
}

export interface DeftunesApp {
  readonly app: App;
  readonly stages: DeftunesStage[];
}

/** PascalCase construct id of an environment: `dev` -> `Dev`. */
export function stageId(environmentName: string): string {
  return environmentName.charAt(0).toUpperCase() + environmentName.slice(1);
}

export function createDeftunesApp(options: DeftunesAppOptions = {}): DeftunesApp {
  const context: Record<string, unknown> = { ...readCdkJsonContext(), ...options.context };
  if (options.skipBundling) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({ context, outdir: options.outdir });

  const environments = parseEnvironments(app.node.tryGetContext(ENVIRONMENTS_CONTEXT_KEY));
  const selected = app.node.tryGetContext(ENVIRONMENT_SELECTOR_CONTEXT_KEY) as string | undefined;
  const chosen = selected === undefined ? environments : environments.filter((env) => env.name === selected);
  if (chosen.length === 0) {
    throw new Error(
      `-c env=${selected}: no such environment in cdk.json (known: ${environments.map((env) => env.name).join(', ')})`,
    );
  }
  const destroyOnRemoval = parseBooleanFlag(
    DESTROY_ON_REMOVAL_CONTEXT_KEY,
    app.node.tryGetContext(DESTROY_ON_REMOVAL_CONTEXT_KEY),
  );
  const stages = chosen.map(
    (config) => new DeftunesStage(app, stageId(config.name), { config, destroyOnRemoval }),
  );
  if (options.nag ?? true) Validations.of(app).addPlugins(new DeftunesAwsSolutionsChecks(app));
  return { app, stages };
}
