// ESLint flat config. Workflow files run inside Temporal's deterministic sandbox: they may not import
// Node built-ins (no I/O, no clocks, no randomness outside the SDK), and a floating promise there is a
// lost command. The same no-floating-promises rule applies everywhere else too.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.hubsync/**', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Plain CommonJS JavaScript (the CLI shim, Jest config and reporter): no type information, require() is the norm.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code runs in a deterministic sandbox: do I/O in an activity instead.',
          })),
          patterns: [
            { group: ['../activities/*', '!../activities/index'], message: 'Workflows import activities as types only.' },
            { group: ['@temporalio/worker', '@temporalio/client', '@temporalio/activity', 'pg', 'jsforce'], message: 'Not allowed in workflow code.' },
          ],
        },
      ],
    },
  },
);
