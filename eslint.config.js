// Lint for src/, test/, scripts/ and bench/: typescript-eslint's type-aware
// rules, plus the import-boundary rule that encodes the architecture.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { plugin as portcullis } from './scripts/eslint/architecture.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.portcullis/', 'coverage/', 'test/fixtures/real/', 'test/fixtures/upstream/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Implementations of async interfaces (a store, a scan cache) are async without awaiting.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks what is left out on purpose (rest siblings, unused parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    // Tests read parsed JSON bodies and responses, which are untyped by nature.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { portcullis },
    rules: { 'portcullis/architecture': 'error' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
);
