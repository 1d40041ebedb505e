/**
 * zod as every Lambda module imports it (`import * as z from '../shared/zod'`, enforced by eslint): zod 4's
 * `zod/mini`, its functional API (`z.string().check(z.minLength(1))`, `z.optional(schema)`), with English
 * messages.
 *
 * Why mini: esbuild keeps of it only the functions a bundle calls (31 to 37 KiB), where the classic API's
 * method-chaining classes and JSON Schema generator stay whole (91 to 98 KiB of every bundle, which kept
 * extract-songs and extract-artist-stats above the 512 KiB of issue 17). Same package, same core, same
 * parsing and issues: lib/ (the CDK, the local runner) may use classic schemas around these.
 *
 * Why this module: `zod/mini` registers no locale, so on its own every issue would read "Invalid input"
 * (quarantine reasons, configuration errors). Classic zod registers English on its first schema, which hides
 * the difference wherever both are loaded (the tests, the local runner) but not in a Lambda. Importing zod
 * only from here configures English before any schema of a Lambda parses.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
