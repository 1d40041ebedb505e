import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { LANDING_QUARANTINE_PREFIX } from '../../lambdas/shared/landing-keys';
import { acknowledgeWildcardResources } from '../nag';

/**
 * What an extractor needs to land one source: PutObject (single and multipart) on the source's landing and
 * quarantine prefixes, DeleteObject on its manifests only, and the key to encrypt. `source` is the landing
 * prefix of the source (`api`, `db`, `ext/concerts`), without a trailing slash.
 */
export function grantLandingWrite(role: iam.IRole, source: string, landing: s3.IBucket, key: kms.IKey): void {
  const prefixes = [`${source}/*`, `${LANDING_QUARANTINE_PREFIX}/${source}/*`];
  // A run first withdraws the date's manifest (readers then know the date is being replaced).
  const manifests = landing.arnForObjects(`${source}/*/_manifest.json`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WithdrawManifest',
      actions: ['s3:DeleteObject'],
      resources: [manifests],
    }),
  );
  acknowledgeWildcardResources(
    role,
    [manifests],
    "delete only the manifests of the extractor's own source (one per date), before replacing the date's objects",
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteLandingPrefixes',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: prefixes.map((prefix) => landing.arnForObjects(prefix)),
    }),
  );
  acknowledgeWildcardResources(
    role,
    prefixes.map((prefix) => landing.arnForObjects(prefix)),
    "write-only (PutObject) on the extractor's own landing and quarantine prefixes; keys below them are per date",
  );
  // Multipart uploads of SSE-KMS objects need Decrypt as well as GenerateDataKey.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptLandingObjects',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
    }),
  );
}
