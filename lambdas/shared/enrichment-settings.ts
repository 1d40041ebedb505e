/**
 * Settings of the enrichment extracts (docs/artist-enrichment.md, "Configuration"): one schema for the
 * CDK config (cdk.json's `enrichment` block), the Lambdas' `ENRICHMENT_SETTINGS` variable and the local
 * runner, with the contract's dev values as defaults.
 */
import * as z from './zod';
import { describeIssues } from './contracts';

export const DEFAULT_ENRICHMENT_COUNTRIES = ['US', 'GB', 'DE', 'FR', 'BR'] as const;

export const EnrichmentSettingsSchema = z.object({
  /** ISO 3166-1 alpha-2 codes whose concerts are extracted. */
  countries: z._default(
    z.array(z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. "US"'))).check(
      z.minLength(1, 'must name at least one country'),
      z.refine((codes: string[]) => new Set(codes).size === codes.length, 'must not repeat a country'),
    ),
    [...DEFAULT_ENRICHMENT_COUNTRIES],
  ),
  /** A run for D extracts concerts dated D+1 .. D+concertHorizonDays. */
  concertHorizonDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(366)), 30),
  /** Client-side pace of each API, below the APIs' 5 requests per second. */
  requestsPerSecond: z._default(z.number().check(z.positive(), z.lte(1000)), 4),
  /** Requests one run may send to each API, retries included. */
  dailyRequestBudget: z.prefault(
    z.object({
      concerts: z._default(z.number().check(z.int(), z.positive()), 4000),
      artistStats: z._default(z.number().check(z.int(), z.positive()), 2000),
    }),
    {},
  ),
});
export type EnrichmentSettings = z.infer<typeof EnrichmentSettingsSchema>;
/** What a caller may give: any field left out takes the contract's dev value. */
export type EnrichmentSettingsInput = z.input<typeof EnrichmentSettingsSchema>;

/** Validates settings; the error names each bad field and where the settings came from. */
export function parseEnrichmentSettings(value: unknown, source = 'enrichment settings'): EnrichmentSettings {
  const parsed = EnrichmentSettingsSchema.safeParse(value);
  if (!parsed.success) throw new Error(`Invalid ${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The environment variable holding the settings as JSON (ENRICHMENT_SETTINGS); required. */
export const enrichmentSettingsVar = z.pipe(
  z.string({ error: 'must be set to the JSON of the enrichment settings' }),
  z.transform((value: string, context) => {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      context.issues.push({
        code: 'custom',
        message: 'must be JSON of the enrichment settings',
        input: value,
      });
      return z.NEVER;
    }
    const parsed = EnrichmentSettingsSchema.safeParse(json);
    if (!parsed.success) {
      context.issues.push({ code: 'custom', message: describeIssues(parsed.error), input: value });
      return z.NEVER;
    }
    return parsed.data;
  }),
);
