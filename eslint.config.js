// Lint that keeps classes of bugs out: a promise nobody awaits or catches ends the process on
// rejection (`void` does not catch: fire-and-forget work goes through `background()`), and a
// promise-returning function where a callback is expected loses its errors.
import tseslint from 'typescript-eslint';

const nodeTest = { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] };

export default tseslint.config(
  // test/e2e/clients/*.mjs: plain scripts the tests run as other processes (no types for the project service).
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'src/http/console/', 'console/dist/', 'test/e2e/clients/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, allowForKnownSafeCalls: [nodeTest] }],
      '@typescript-eslint/no-misused-promises': 'error',
      // Store and transport interfaces are async for every implementation; some answer at once.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a binding left out on purpose (`const { seq: _seq, ...rest } = event`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
