import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Svelte components and rune modules: TypeScript, linted with its types where it can be.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    rules: {
      // TypeScript itself reports an undefined name (typescript-eslint's advice for TS code).
      'no-undef': 'off',
      // The state classes keep sets and maps in $state.raw, replaced whole and never mutated,
      // and private maps of timers that nothing shows: a SvelteSet or SvelteMap would track
      // what is not meant to be tracked.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['**/*.svelte'],
    rules: {
      // typescript-eslint cannot see the types of what a component imports from another
      // .svelte file (it has no Svelte language service), so these would flag every use of a
      // child component's exports as `any`; svelte-check (npm run typecheck) checks them.
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // `onclick={() => act()}` is how a template hands over a handler.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `void state.field;` is how an $effect declares what it depends on.
      '@typescript-eslint/no-meaningless-void-operator': 'off',
      // {' '} and {' — '} at a tag's edge keep a space that markup whitespace would lose.
      'svelte/no-useless-mustaches': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
