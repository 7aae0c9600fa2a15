/**
 * Replacing a kafkajs module: our work-arounds for kafkajs 2.2.4 put a module of their own into the
 * CommonJS cache under kafkajs' path, so that kafkajs' `require` finds it instead of its own file. That
 * only works before kafkajs requires that path, hence `loadedModule`, which says whether it did already.
 */
import { createRequire, Module } from 'node:module';

const require = createRequire(import.meta.url);

/** The cached module at kafkajs' `specifier` (e.g. 'kafkajs/src/…/x.js'), if anything required it yet. */
export function loadedModule(specifier: string): NodeJS.Module | undefined {
  return require.cache[require.resolve(specifier)];
}

/** Makes `exports` what a `require` of kafkajs' `specifier` returns from now on. */
export function replaceModule(specifier: string, exports: unknown): void {
  const path = require.resolve(specifier);
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = exports;
  require.cache[path] = module;
}
