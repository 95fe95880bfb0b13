/**
 * @module attach/bundle
 * The script `memstats attach` evaluates in a target: memstats' readers
 * (attach/injected/agent.ts and what it imports) bundled into one file at
 * build time (`npm run build:attach`), read once from the package.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AttachError } from './errors.js';
import type { InstallOptions } from './injected/agent.js';

/** The global name the bundle's IIFE assigns (a `var`: kept local by the wrapper in installExpression). */
const BUNDLE_GLOBAL = '__memstatsAttach';

let cached: string | undefined;

/** Path of the built bundle. */
export function bundlePath(): string {
  return fileURLToPath(new URL('./injected/agent.bundle.js', import.meta.url));
}

/** readBundle returns the bundle's source. Throws an AttachError when the package was built without it. */
export function readBundle(): string {
  if (cached !== undefined) return cached;
  try {
    cached = readFileSync(bundlePath(), 'utf8');
  } catch (err) {
    throw new AttachError('ERR_MEMSTATS_INSPECTOR', `memstats was built without its attach script (${bundlePath()}): run npm run build`, { cause: err });
  }
  return cached;
}

/**
 * installExpression wraps the bundle in a function (so its `var` stays local:
 * nothing is left on the target's global object but the agent's one
 * non-enumerable symbol) that installs the agent with `options`.
 */
export function installExpression(options: InstallOptions): string {
  return `(function () {\n${readBundle()}\n;return ${BUNDLE_GLOBAL}.install(${JSON.stringify(options)});\n})()`;
}
