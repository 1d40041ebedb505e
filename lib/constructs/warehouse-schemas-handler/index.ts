/**
 * CloudFormation custom resource (Provider framework onEvent) creating the warehouse schemas. Delete does
 * nothing: schemas hold the serving layer's data and live as long as the namespace.
 */
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftDataWarehouse } from '../../../lambdas/shared/redshift-data-warehouse';
import { ensureWarehouseSchemas, type WarehouseSchemasSpec } from './ensure-schemas';

interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown> & { Spec?: WarehouseSchemasSpec };
}

const client = new RedshiftDataClient({});

export async function handler(event: CustomResourceEvent, context: { getRemainingTimeInMillis(): number }) {
  const spec = event.ResourceProperties.Spec;
  if (!spec) throw new Error('ResourceProperties.Spec is required');
  const physicalResourceId = `${spec.workgroupName}/${spec.database}/${spec.externalSchema},${spec.servingSchema}`;
  if (event.RequestType === 'Delete')
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalResourceId };
  const deadline = Date.now() + context.getRemainingTimeInMillis() - 30_000;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const warehouse = new RedshiftDataWarehouse({
    client,
    workgroupName: spec.workgroupName,
    database: spec.database,
    secretArn: spec.secretArn,
    sleep,
    polling: { timeoutMs: Math.max(1000, deadline - Date.now()) },
  });
  const statements = await ensureWarehouseSchemas(spec, {
    warehouse,
    sleep,
    now: () => Date.now(),
    deadline,
    log: (message) => console.log(message),
  });
  return { PhysicalResourceId: physicalResourceId, Data: { Statements: statements.length } };
}
