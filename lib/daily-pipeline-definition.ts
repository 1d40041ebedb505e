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

/** A readable placeholder for a CloudFormation expression: `${Ref:LogicalId}`, `${GetAtt:LogicalId.Arn}`, ... */
export function placeholderFor(expression: unknown): string {
  const value = expression as Record<string, unknown>;
  if (typeof value?.Ref === 'string') return `\${Ref:${value.Ref}}`;
  const getAtt = value?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `\${GetAtt:${getAtt.join('.')}}`;
  const output = value?.['Fn::GetStackOutput'] as { OutputName?: string } | undefined;
  if (output?.OutputName) return `\${Output:${output.OutputName}}`;
  const imported = value?.['Fn::ImportValue'];
  if (typeof imported === 'string') return `\${Import:${imported}}`;
  return `\${Expr:${JSON.stringify(expression).replace(/["\\]/g, '')}}`;
}

/** Turns a `DefinitionString` (a string, or `Fn::Join` of strings and references) into the definition. */
export function definitionFromTemplateValue(
  definitionString: unknown,
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
        const placeholder = placeholderFor(part);
        placeholders[placeholder] = part;
        return placeholder;
      })
      .join(delimiter);
  }
  const definition = JSON.parse(text) as StateMachineDefinitionDocument;
  return { definition, placeholders };
}

/**
 * Synthesizes the app for one environment (default `dev`) and returns DailyPipeline's definition with
 * placeholders. Needs the Lambda entries and Glue scripts to exist (they are referenced, not bundled).
 */
export async function synthesizeDailyPipelineDefinition(
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
    const stateMachineNode = stage.pipeline.dailyPipeline.stateMachine.node.defaultChild;
    const logicalId = stage.pipeline.resolve(
      (stateMachineNode as unknown as { logicalId: string }).logicalId,
    ) as string;
    const resource = template.Resources[logicalId];
    if (!resource || resource.Type !== 'AWS::StepFunctions::StateMachine') {
      throw new Error(`DailyPipeline state machine ${logicalId} not found in ${stage.pipeline.stackName}`);
    }
    return { ...definitionFromTemplateValue(resource.Properties.DefinitionString), logicalId };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
