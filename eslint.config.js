import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'deploy/**', 'bench/peers/**', 'bench/results/**', '.cache/**', '.stack/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "Program > VariableDeclaration MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through core/config at start-up, never process.env at import time.',
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              allowTypeImports: true,
              message: "Import kafkajs' values from connectors/kafka/kafkajs.js, which installs our kafkajs work-arounds before kafkajs loads.",
            },
          ],
        },
      ],
    },
  },
);
