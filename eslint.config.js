import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.out/', 'charts/', 'deploy/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // The operator has no import circles: each folder depends only on the layers below it.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // The cloud behind one door: only src/cloud/ speaks the SDK; controllers call its named operations.
    files: ['src/**/*.ts'],
    ignores: ['src/cloud/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', '@smithy/*', '@aws-crypto/*'], message: 'only src/cloud/ talks to the cloud SDK: add a named operation there' }] }],
    },
  },
  {
    // The build bundles only the EC2 operations src/cloud/ec2-sdk.ts names: a direct import would load them all.
    files: ['src/cloud/**/*.ts'],
    ignores: ['src/cloud/ec2-sdk.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@aws-sdk/client-ec2', message: 'import EC2 commands and types through src/cloud/ec2-sdk.ts (add them there)' }] }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
