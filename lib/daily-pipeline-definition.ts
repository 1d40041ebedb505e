/**
 * The DailyPipeline definition (Amazon States Language) as deployed, for the local runner: the app is
 * synthesized in-process (bundling skipped, no AWS access), and the references the definition holds (Lambda
 * ARNs, Glue job names, the topic ARN) are replaced by placeholder strings. The local runner binds Task
 * states by name, so it never needs the real values.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDeftunesApp, stageId } from './deftunes-app';

export interface StateMachineDefinitionDocument {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
}

export interface SynthesizedDefinition {
  readonly definition: StateMachineDefinitionDocument;
  /** Placeholder string -> the CloudFormation expression it stands for. */
  readonly placeholders: Record<string, unknown>;
  /** Logical id of the state machine in the Pipeline stack's template. */
  readonly logicalId: string;
}

/** Values of the pseudo parameters a definition may use (`AWS::Partition` in service integration ARNs). */
export interface PseudoParameters {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * A readable placeholder for a CloudFormation reference, without `:` or `"` so that it can sit inside an
 * ARN or a JSON string: `REF_LogicalId`, `GETATT_LogicalId_Arn`, `OUTPUT_OutputName`, `IMPORT_Name`.
 */
export function placeholderFor(expression: unknown): string {
  const value = expression as Record<string, unknown>;
  const clean = (text: string) => text.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (typeof value?.Ref === 'string') return `REF_${clean(value.Ref)}`;
  const getAtt = value?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `GETATT_${clean(getAtt.join('_'))}`;
  const output = value?.['Fn::GetStackOutput'] as { OutputName?: string } | undefined;
  if (output?.OutputName) return `OUTPUT_${clean(output.OutputName)}`;
  const imported = value?.['Fn::ImportValue'];
  if (typeof imported === 'string') return `IMPORT_${clean(imported)}`;
  return `EXPR_${clean(JSON.stringify(expression))}`;
}

function pseudoParameter(expression: unknown, pseudo?: PseudoParameters): string | undefined {
  const ref = (expression as { Ref?: unknown })?.Ref;
  if (!pseudo || typeof ref !== 'string') return undefined;
  return {
    'AWS::Partition': pseudo.partition,
    'AWS::Region': pseudo.region,
    'AWS::AccountId': pseudo.account,
    'AWS::URLSuffix': 'amazonaws.com',
  }[ref];
}

/** Turns a `DefinitionString` (a string, or `Fn::Join` of strings and references) into the definition. */
export function definitionFromTemplateValue(
  definitionString: unknown,
  pseudo?: PseudoParameters,
): Omit<SynthesizedDefinition, 'logicalId'> {
  const placeholders: Record<string, unknown> = {};
  let text: string;
  if (typeof definitionString === 'string') {
    text = definitionString;
  } else {
    const join = (definitionString as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
    if (!join)
      throw new Error(
        `DefinitionString is neither a string nor an Fn::Join: ${JSON.stringify(definitionString)}`,
      );
    const [delimiter, parts] = join;
    text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const pseudoValue = pseudoParameter(part, pseudo);
        if (pseudoValue !== undefined) return pseudoValue;
        const placeholder = placeholderFor(part);
        placeholders[placeholder] = part;
        return placeholder;
      })
      .join(delimiter);
  }
  const definition = JSON.parse(text) as StateMachineDefinitionDocument;
  return { definition, placeholders };
}

/** Which state machine of the Pipeline stack to read. */
export type PipelineStateMachine = 'DailyPipeline' | 'Backfill';

/**
 * Synthesizes the app for one environment (default `dev`) and returns DailyPipeline's definition with
 * placeholders. Needs the Lambda entries and Glue scripts to exist (they are referenced, not bundled).
 */
export async function synthesizeDailyPipelineDefinition(
  environmentName = 'dev',
): Promise<SynthesizedDefinition> {
  return synthesizePipelineDefinition('DailyPipeline', environmentName);
}

/** The same for any state machine of the Pipeline stack (the backfill's definition, for its tests). */
export async function synthesizePipelineDefinition(
  which: PipelineStateMachine,
  environmentName = 'dev',
): Promise<SynthesizedDefinition> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'deftunes-cdk-'));
  try {
    const { stages } = createDeftunesApp({
      context: { env: environmentName },
      skipBundling: true,
      nag: false,
      outdir,
    });
    const stage = stages.find((candidate) => candidate.node.id === stageId(environmentName));
    if (!stage) throw new Error(`no stage for environment ${environmentName}`);
    const assembly = stage.synth();
    const template = assembly.getStackArtifact(stage.pipeline.artifactId).template as {
      Resources: Record<string, { Type: string; Properties: { DefinitionString?: unknown } }>;
    };
    const stateMachine =
      which === 'DailyPipeline'
        ? stage.pipeline.dailyPipeline.stateMachine
        : stage.pipeline.backfill.stateMachine;
    const logicalId = stage.pipeline.resolve(
      (stateMachine.node.defaultChild as unknown as { logicalId: string }).logicalId,
    ) as string;
    const resource = template.Resources[logicalId];
    if (!resource || resource.Type !== 'AWS::StepFunctions::StateMachine') {
      throw new Error(`${which} state machine ${logicalId} not found in ${stage.pipeline.stackName}`);
    }
    const pseudo = { partition: 'aws', region: stage.pipeline.region, account: stage.pipeline.account };
    return { ...definitionFromTemplateValue(resource.Properties.DefinitionString, pseudo), logicalId };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
