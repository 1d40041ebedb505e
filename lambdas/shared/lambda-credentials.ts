/**
 * The credential source of the SDK clients inside the Lambda bundles. esbuild aliases
 * `@aws-sdk/credential-provider-node` to this module in every bundle (lib/constructs/pipeline-function.ts),
 * and nowhere else: tests and local runs keep the SDK's full default chain.
 *
 * Why: the default chain tries the environment first, then SSO, shared ini files, web identity, a process,
 * ECS and EC2 metadata, and carries the STS, SSO and sign-in clients those need (about 110 KiB of every
 * bundle). In Lambda the execution role's credentials are always in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the chain never gets past its first source there. The
 * provider is the SDK's own `fromEnv`, at a pinned version; when the variables are missing it rejects with
 * the SDK's CredentialsProviderError naming them, as the chain's first step does.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/** Replaces `defaultProvider` of `@aws-sdk/credential-provider-node`, the one export the SDK clients use. */
export function defaultProvider(init?: FromEnvInit): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
