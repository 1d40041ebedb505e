// Flat config: typescript-eslint's recommended rules on every TypeScript file of the project.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      // The `z` object pulls all of zod (its 40 locales included) into every Lambda bundle, about 370 KiB
      // that esbuild cannot tree-shake; the namespace import keeps only what is used.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
          message: "Use `import * as z from 'zod'`: the `z` object keeps all of zod in every Lambda bundle.",
        },
      ],
    },
  },
);
