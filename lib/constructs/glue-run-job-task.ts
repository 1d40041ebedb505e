import type { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export interface GlueRunJobTaskProps extends tasks.GlueStartJobRunProps {
  /** The state's own TimeoutSeconds (the job keeps its own timeout). */
  readonly stateTimeout: Duration;
}

/**
 * `GlueStartJobRun` turns `taskTimeout` into the job run's `Timeout` argument, overriding the job's own
 * timeout; this keeps the job's timeout and gives the state a TimeoutSeconds of its own instead.
 */
export class GlueRunJobTask extends tasks.GlueStartJobRun {
  private readonly stateTimeout: Duration;

  constructor(scope: Construct, id: string, props: GlueRunJobTaskProps) {
    super(scope, id, props);
    this.stateTimeout = props.stateTimeout;
  }

  public toStateJson(topLevelQueryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(topLevelQueryLanguage), TimeoutSeconds: this.stateTimeout.toSeconds() };
  }
}
