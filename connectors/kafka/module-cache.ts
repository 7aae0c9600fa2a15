/**
 * Replacing a kafkajs module: our work-arounds for kafkajs 2.2.4 put a module of their own into the
 * CommonJS cache under kafkajs' path, so that kafkajs' `require` finds it instead of its own file. That
 * only works before kafkajs requires that path, hence `loadedModule`, which says whether it did already.
 */
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

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

/**
 * Puts `exports` at kafkajs' `specifier` unless something required that path already. True when
 * `exports` is what kafkajs gets there (installed now, or earlier by this same call).
 */
export function replaceUnlessLoaded(specifier: string, exports: unknown): boolean {
  const loaded = loadedModule(specifier);
  if (loaded !== undefined) return loaded.exports === exports;
  replaceModule(specifier, exports);
  return true;
}

/**
 * kafkajs' own module at `specifier`, compiled from its file but not registered in the module cache
 * (which may hold our replacement): what a replacement extends, or what tests compare it with.
 */
export function shippedModule<T>(specifier: string): T {
  const path = require.resolve(specifier);
  const original = new Module(path) as Module & { _compile(content: string, filename: string): void };
  original.filename = path;
  original.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(dirname(path));
  original._compile(readFileSync(path, 'utf8'), path);
  return original.exports as T;
}
