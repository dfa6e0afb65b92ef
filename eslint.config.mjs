// Lint policy for the whole tree: typescript-eslint's type-aware recommended and strict sets; formatting is prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', 'dist/**', 'test-results/**', 'contract/openapi-types.generated.ts', 'contract/*.generated.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers are how every message here is written.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // noUncheckedIndexedAccess is on: `!` marks an index the code has just checked or built, and says so at the use.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => void promise` and `(x) => doSomething(x)` shorthands in callbacks are the house style.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidOperator: true, ignoreVoidReturningFunctions: true },
      ],
      // The suite looks for control characters on purpose: ANSI escapes in output, NUL/CR/LF in hostile input and tokens.
      'no-control-regex': 'off',
      // Unused arguments and rest siblings named with a leading underscore are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Playwright fixtures must destructure their dependencies, even when there are none: `async ({}, use) => …`.
  { files: ['specs/**/*.ts', 'tests/**/*.ts'], rules: { 'no-empty-pattern': 'off' } },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // The one CommonJS file (tools/contract.cjs) starts Playwright in its own process without a TypeScript loader.
  { files: ['**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
