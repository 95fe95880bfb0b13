/**
 * @module internal/validate
 * Option validation shared by every public entry point. Each check returns the
 * value (or its default) and throws a `TypeError` / `RangeError` whose `code` is
 * `ERR_MEMSTATS_INVALID_OPTION` and whose message names the option, the value
 * received and what is accepted.
 */

/** Error code carried by every option-validation error. */
export const ERR_INVALID_OPTION = 'ERR_MEMSTATS_INVALID_OPTION';

/** An Error with a `code`, as Node's own errors have. */
export interface CodedError extends Error {
  code: string;
}

/** Renders a received value for an error message (short, never throws). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array (length ${value.length})`;
  if (typeof value === 'object') return `object ${Object.prototype.toString.call(value).slice(8, -1)}`;
  return String(value);
}

/** Builds a coded error; `kind` picks TypeError (wrong type) or RangeError (right type, out of range). */
export function invalidOption(
  kind: 'type' | 'range',
  name: string,
  value: unknown,
  accepted: string,
): CodedError {
  const message = `memstats: option "${name}" must be ${accepted}; received ${describeValue(value)}`;
  const err = (kind === 'type' ? new TypeError(message) : new RangeError(message)) as CodedError;
  err.code = ERR_INVALID_OPTION;
  return err;
}

/** Edit distance of two short strings (a misspelt option name is one or two edits away). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * knownOptions throws a TypeError (code ERR_MEMSTATS_INVALID_OPTION) for a key
 * of `o` that is not one of `keys`, naming the nearest one: a misspelt option
 * (`maxProfileSecond`) would otherwise be ignored without a word.
 */
export function knownOptions(o: object, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (keys.includes(k)) continue;
    const near = keys.find((x) => x.toLowerCase() === k.toLowerCase()) ?? keys.find((x) => editDistance(x, k) <= 2);
    const err = new TypeError(
      `memstats: unknown option ${JSON.stringify(k.slice(0, 60))}${near ? ` (did you mean "${near}"?)` : ''}; accepted: ${keys.join(', ')}`,
    ) as CodedError;
    err.code = ERR_INVALID_OPTION;
    throw err;
  }
}

/** Builds a coded error for a state problem (something already running, not allowed now). */
export function stateError(code: string, message: string): CodedError {
  const err = new Error(message) as CodedError;
  err.code = code;
  return err;
}

export interface NumberRange {
  /** Inclusive lower bound (default: -Infinity). */
  min?: number;
  /** Inclusive upper bound (default: Infinity). */
  max?: number;
  /** Require an integer. */
  integer?: boolean;
}

function rangeText(r: NumberRange): string {
  const what = r.integer ? 'an integer' : 'a finite number';
  const hasMin = r.min !== undefined && r.min !== -Infinity;
  const hasMax = r.max !== undefined && r.max !== Infinity;
  if (hasMin && hasMax) return `${what} from ${r.min} to ${r.max}`;
  if (hasMin) return `${what} >= ${r.min}`;
  if (hasMax) return `${what} <= ${r.max}`;
  return what;
}

/** Validates a number option; `undefined` gives `fallback`. */
export function numberOption(name: string, value: unknown, fallback: number, range: NumberRange = {}): number {
  if (value === undefined) return fallback;
  return requireNumber(name, value, range);
}

/** Validates a required number. */
export function requireNumber(name: string, value: unknown, range: NumberRange = {}): number {
  if (typeof value !== 'number') throw invalidOption('type', name, value, rangeText(range));
  if (!Number.isFinite(value)) throw invalidOption('range', name, value, rangeText(range));
  if (range.integer && !Number.isInteger(value)) throw invalidOption('range', name, value, rangeText(range));
  if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) {
    throw invalidOption('range', name, value, rangeText(range));
  }
  return value;
}

/** Validates a boolean option; `undefined` gives `fallback`. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption('type', name, value, 'a boolean');
  return value;
}

/** Validates a string option; `undefined` gives `fallback`. */
export function stringOption<T extends string | undefined>(name: string, value: unknown, fallback: T, opts: { nonEmpty?: boolean } = {}): string | T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidOption('type', name, value, 'a string');
  if (opts.nonEmpty && value.length === 0) throw invalidOption('range', name, value, 'a non-empty string');
  return value;
}

/** Validates a choice among string literals; `undefined` gives `fallback`. */
export function enumOption<T extends string>(name: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidOption('type', name, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  if (!(choices as readonly string[]).includes(value)) {
    throw invalidOption('range', name, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

/** Validates a function option; `undefined` gives `fallback`. */
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback: F): F;
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback?: undefined): F | undefined;
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback?: F): F | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw invalidOption('type', name, value, 'a function');
  return value as F;
}

/** Validates that an options bag is an object (or undefined, giving `{}`). */
export function optionsObject<T extends object>(name: string, value: unknown, keys?: readonly string[]): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidOption('type', name, value, 'an object');
  if (keys) knownOptions(value, keys);
  return value as Partial<T>;
}

/**
 * optionNames lists every option of T, for optionsObject's check of unknown
 * names: the object must name each option once (one left out, or one T does
 * not have, does not compile), so the list follows the interface.
 */
export function optionNames<T extends object>(names: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}
