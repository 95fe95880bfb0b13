/**
 * @module profile/options
 * Validation of the options every capture shares: `seconds`, `signal`, `path`.
 */
import { invalidOption, numberOption } from '../internal/validate.js';

/** Longest capture accepted, in seconds (an hour, as the issue asks). */
export const MAX_SECONDS = 3600;

/** Validates `seconds`: a finite number > 0 and ≤ 3600; `undefined` gives `fallback`. */
export function secondsOption(value: unknown, fallback: number, name = 'seconds'): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidOption('type', name, value, `a number > 0 and <= ${MAX_SECONDS}`);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_SECONDS) {
    throw invalidOption('range', name, value, `a number > 0 and <= ${MAX_SECONDS}`);
  }
  return value;
}

/** Validates an optional AbortSignal. */
export function signalOption(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidOption('type', name, value, 'an AbortSignal');
  return value;
}

/** Validates a required, non-empty path string. */
export function pathOption(value: unknown, name = 'path'): string {
  if (typeof value !== 'string') throw invalidOption('type', name, value, 'a non-empty string (a file path)');
  if (value.length === 0 || value.includes('\0')) throw invalidOption('range', name, value, 'a non-empty file path without NUL bytes');
  return value;
}

/** Validates an integer option within [min, max]. */
export function intOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return numberOption(name, value, fallback, { min, max, integer: true });
}
