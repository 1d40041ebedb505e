// Flat config: typescript-eslint's recommended rules on every TypeScript file of the project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The `z` object pulls all of zod (its 40 locales included) into every Lambda bundle, about 370 KiB that
// esbuild cannot tree-shake; the namespace import keeps only what is used. Same for zod/mini and the Lambdas'
// lambdas/shared/zod.ts.
const ZOD_NAMESPACE_IMPORT = {
  selector:
    "ImportDeclaration[source.value=/(^|\\/)zod(\\/mini)?$/] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
  message:
    "Use `import * as z from 'zod'` (or its zod/mini module): the `z` object keeps all of zod in every Lambda bundle.",
};
/** The one module of lambdas/ that imports zod itself. */
const LAMBDA_ZOD_MODULE = 'lambdas/shared/zod.ts';

// The tree says what ships (issue 16): lambdas/ is bundled into the Lambdas, the CDK code synthesizes the
// stacks, lib/local/ runs only on a laptop. An import across these lines would ship local code or pull the
// CDK into a bundle, so eslint refuses it.
const LAMBDAS_IMPORT_ONLY_LAMBDAS = {
  regex: '^(\\.\\./)+(lib|bin|bench|test)(/|$)',
  message:
    'lambdas/ is what the Lambda bundles hold: it never imports lib/, bin/, bench/ or test/ (CDK code or ' +
    'local-only stand-ins would be bundled, or the bundle would break). Move the shared code into lambdas/shared/ ' +
    'and import it from there.',
};
const CDK_NEVER_IMPORTS_LOCAL = {
  regex: '^\\.{1,2}/(\\.\\./)*(lib/)?local(/|$)',
  message:
    'lib/local/ is the local runtime and never ships: CDK code (lib/constructs, lib/stacks, lib/*.ts, bin/app.ts) ' +
    'must not import it. Local code may import the CDK code, not the other way round.',
};

/**
 * The same rule for `import('...')` and `require('...')` (a string or a template literal), which
 * no-restricted-imports does not see: the `regex` of a restricted-imports pattern on the module text.
 */
const dynamicImportsMatching = ({ regex, message }) => {
  const pattern = `/${regex.replaceAll('/', '\\/')}/`;
  const call = ":matches(ImportExpression, CallExpression[callee.name='require'])";
  return [
    { selector: `${call} > Literal[value=${pattern}]`, message },
    { selector: `${call} > TemplateLiteral > TemplateElement[value.raw=${pattern}]`, message },
  ];
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'dist/',
      '.venv/',
      '.jars/',
      'dbt_modeling/target/',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
      'data/',
      'dbt_modeling/dbt_packages/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ZOD_NAMESPACE_IMPORT],
    },
  },
  {
    // Lambda bundles: zod/mini only, through lambdas/shared/zod.ts (issue 17, every bundle <= 512 KiB).
    files: ['lambdas/**/*.ts'],
    ignores: [LAMBDA_ZOD_MODULE],
    rules: {
      'no-restricted-syntax': [
        'error',
        ZOD_NAMESPACE_IMPORT,
        {
          selector:
            ':matches(ImportDeclaration, ExportAllDeclaration, ExportNamedDeclaration)[source.value=/^zod($|\\/)/]',
          message:
            "Lambdas import zod from lambdas/shared/zod.ts (`import * as z from '../shared/zod'`): it is zod/mini, " +
            'about 35 KiB of a bundle where classic zod is about 95 KiB (issue 17: every bundle <= 512 KiB), and it ' +
            'configures the English messages zod/mini does not load (without them every issue reads "Invalid input").',
        },
        ...dynamicImportsMatching(LAMBDAS_IMPORT_ONLY_LAMBDAS),
      ],
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LAMBDAS_IMPORT_ONLY_LAMBDAS] }] },
  },
  {
    files: ['lib/*.ts', 'lib/constructs/**/*.ts', 'lib/stacks/**/*.ts', 'bin/app.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [CDK_NEVER_IMPORTS_LOCAL] }],
      'no-restricted-syntax': [
        'error',
        ZOD_NAMESPACE_IMPORT,
        ...dynamicImportsMatching(CDK_NEVER_IMPORTS_LOCAL),
      ],
    },
  },
  {
    files: [LAMBDA_ZOD_MODULE],
    rules: {
      'no-restricted-syntax': [
        'error',
        ZOD_NAMESPACE_IMPORT,
        {
          selector:
            ':matches(ImportDeclaration, ExportAllDeclaration, ExportNamedDeclaration)[source.value=/^zod($|\\/)/][source.value!=/^zod\\/(mini|locales)$/]',
          message:
            "The Lambdas' zod is zod/mini (and its English locale): classic zod would add about 95 KiB to every bundle (issue 17).",
        },
      ],
    },
  },
);
