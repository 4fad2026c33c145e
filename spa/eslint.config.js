// The web app's lint gate (`npm run lint`, zero warnings): ESLint's and typescript-eslint's
// recommended rules, type-aware on the TypeScript sources, and jsx-a11y's recommended rules on
// the JSX, so that accessibility mistakes are caught before the browser suite runs.

import js from '@eslint/js';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  // Type-aware rules need the program tsconfig.json describes (src/ and vite.config.ts).
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['src/**/*.tsx'],
    ...jsxA11y.flatConfigs.recommended,
    settings: {
      'jsx-a11y': {
        // Preact writes the DOM's own attribute names: <label for>, not React's htmlFor.
        attributes: { for: ['for', 'htmlFor'] },
      },
    },
  },
  {
    rules: {
      // Parameters named with a leading underscore are unused on purpose (event callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Node scripts and this file: plain JavaScript outside the TypeScript program.
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
);
