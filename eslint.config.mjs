// ESLint 9 flat config for the Ratchet workspace.
//
//   npx eslint .            (or `npm run lint`)
//
// TypeScript is linted with typescript-eslint's type-checked rules against the root
// tsconfig.json (project service). Plain JS (scripts/, this file) is linted without
// type information. Library boundaries follow STYLE.md (Nx tags): `type:domain` imports no
// framework or infrastructure client; nothing imports an app.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

// @nx/enforce-module-boundaries reads the *cached* project graph and silently skips
// itself when there is none (fresh clone, CI). Build or refresh it here so `eslint .`
// always checks boundaries, and sees projects other engineers have just added.
// The daemon is not wanted for a one-shot lint run (it would outlive ESLint).
process.env.NX_DAEMON ??= 'false';
try {
  await createProjectGraphAsync({ exitOnError: false });
} catch (error) {
  // A project.json being edited must not take the whole lint down; the rule then uses the
  // last cached graph, or skips itself with a warning if there is none.
  console.warn(`eslint.config.mjs: could not refresh the Nx project graph: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Entry points a library declares in tsconfig.base.json `paths` (`@ratchet/platform`,
 * `@ratchet/platform/services`, ...). Anything else under `@ratchet/<lib>/` is a deep import.
 */
const tsconfigBasePath = join(root, 'tsconfig.base.json');
const { config: tsconfigBase, error: tsconfigError } = ts.parseConfigFileTextToJson(
  tsconfigBasePath,
  readFileSync(tsconfigBasePath, 'utf8'),
);
if (tsconfigError) throw new Error(`${tsconfigBasePath}: ${ts.flattenDiagnosticMessageText(tsconfigError.messageText, '\n')}`);
const declaredEntryPoints = Object.keys(tsconfigBase?.compilerOptions?.paths ?? {}).filter((p) => p.startsWith('@ratchet/'));

/** Packages a `type:domain` library must never import: frameworks, infrastructure clients, telemetry. */
const infrastructureImports = ['@nestjs/*', 'kafkajs', 'ioredis', '@opentelemetry/*', 'fastify', 'prom-client', '@kubernetes/*'];

/**
 * Which tags a project may import. Nothing lists `type:app`: apps are composition roots
 * and are never imported. `type:testing` is only reachable from spec files (see below).
 */
const dependencyRules = {
  'type:domain': ['type:domain'],
  'type:platform': ['type:domain'],
  'type:feature': ['type:domain', 'type:platform'],
  'type:app': ['type:feature', 'type:platform', 'type:domain'],
  'type:testing': ['type:domain', 'type:platform'],
};

/** @param {{ forSpecs: boolean }} options */
function depConstraints({ forSpecs }) {
  return Object.entries(dependencyRules).map(([sourceTag, allowed]) => ({
    sourceTag,
    // Specs may additionally use the shared test kit (port contract suites, event builders).
    onlyDependOnLibsWithTags: forSpecs && sourceTag !== 'type:testing' ? [...allowed, 'type:testing'] : allowed,
    ...(sourceTag === 'type:domain' ? { bannedExternalImports: infrastructureImports } : {}),
  }));
}

/** @param {{ forSpecs: boolean }} options */
function moduleBoundaries({ forSpecs }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      // The test kit imports the libraries whose ports and contracts it exercises, and those
      // libraries' specs import the test kit: a cycle only through spec files, by design.
      // Cycles that do not pass through `type:testing` are still reported.
      ignoredCircularDependencies: [
        ['tag:type:testing', 'tag:type:domain'],
        ['tag:type:testing', 'tag:type:platform'],
      ],
      depConstraints: depConstraints({ forSpecs }),
    },
  ];
}

const tsFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];
const jsFiles = ['**/*.js', '**/*.mjs', '**/*.cjs'];
const specFiles = ['**/*.spec.ts', '**/*.int.spec.ts', '**/*.e2e.spec.ts'];

export default defineConfig(
  globalIgnores(['**/node_modules/', '**/dist/', '**/tmp/', '**/coverage/', '.nx/', '**/*.d.ts']),

  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // ---- TypeScript: type-checked ---------------------------------------------------------
  {
    files: tsFiles,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    plugins: { '@nx': nx, 'import-x': importX },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: root,
        // Mirrors tsconfig.base.json. With type information the parser reads these from the
        // program anyway; stating them keeps `consistent-type-imports` decorator-aware (it
        // leaves value imports alone in files whose decorators emit metadata, which Nest's
        // constructor injection needs) even if the program is not available.
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.node'],
          conditionNames: ['types', 'import', 'require', 'node', 'default'],
          tsconfig: { configFile: join(root, 'tsconfig.json') },
        }),
      ],
    },
    rules: {
      // node:test's describe()/it()/test() return promises the runner itself awaits; the port
      // contract suites in libs/testing call them outside spec files too.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // Off on purpose: in-memory adapters implement async ports (EventLog, StateStore, …)
      // with `async` methods that need no `await`; `async` is what makes them reject instead
      // of throwing synchronously, exactly like the Kafka/Redis adapters they stand in for.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],

      // Cycles between files. Cross-library cycles are also caught by the Nx rule below.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],

      // Import a library through an entry point it declares in tsconfig.base.json `paths`,
      // never a file inside it. (Relative imports across libraries: the Nx rule below.)
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@ratchet/*/**', ...declaredEntryPoints.map((p) => `!${p}`)],
              message: 'Import the library through an entry point declared in tsconfig.base.json `paths`, not a file inside it.',
            },
          ],
        },
      ],

      '@nx/enforce-module-boundaries': moduleBoundaries({ forSpecs: false }),
    },
  },

  // ---- Specs: may also import the shared test kit (libs/testing) ---------------------------
  {
    files: specFiles,
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ forSpecs: true }),
    },
  },

  // ---- Plain JavaScript: no type information -----------------------------------------------
  {
    files: jsFiles,
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
