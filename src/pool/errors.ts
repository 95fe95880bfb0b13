/**
 * @module pool/errors
 * The errors a recycler or pool raises when it is misused. Each has a `code`,
 * and a message saying what happened and what to do instead.
 */
import { invalidOption, stateError, type CodedError } from '../internal/validate.js';

/** What give() does with a buffer or object it must not take: throw (default) or ignore it. */
export type MisuseAction = 'throw' | 'ignore';

/** The kinds of misuse a recycler or pool detects. */
export type MisuseKind = 'given-twice' | 'foreign' | 'view' | 'wrong-type';

/** Error codes by misuse kind (`foreign` is `ERR_MEMSTATS_FOREIGN_OBJECT` for a pool). */
export const MISUSE_CODES: Readonly<Record<MisuseKind, string>> = {
  'given-twice': 'ERR_MEMSTATS_GIVEN_TWICE',
  foreign: 'ERR_MEMSTATS_FOREIGN_BUFFER',
  view: 'ERR_MEMSTATS_BUFFER_VIEW',
  'wrong-type': 'ERR_MEMSTATS_INVALID_OPTION',
};

/**
 * misuseError builds the error for one misuse; `what` is "recycler" or "pool",
 * `detail` names the thing ("Buffer", "object"), `value` is what give() received.
 */
export function misuseError(kind: MisuseKind, what: 'recycler' | 'pool', detail: string, value?: unknown): CodedError {
  if (kind === 'wrong-type') return invalidOption('type', `${what}.give() argument`, value, detail);
  const text: Record<Exclude<MisuseKind, 'wrong-type'>, string> = {
    'given-twice': `memstats ${what}: give() received a ${detail} that was already given back; give each ${detail} once, and never use it after give()`,
    foreign: `memstats ${what}: give() received a ${detail} that this ${what} did not hand out; give only what get() returned`,
    view: `memstats ${what}: give() received a view (subarray/slice) of a recycled Buffer, or a Buffer given back before; give the Buffer that get() returned, once`,
  };
  const code = kind === 'foreign' && what === 'pool' ? 'ERR_MEMSTATS_FOREIGN_OBJECT' : MISUSE_CODES[kind];
  return stateError(code, text[kind]);
}
