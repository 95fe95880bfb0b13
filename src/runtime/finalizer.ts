/**
 * @module runtime/finalizer
 * Go's runtime.SetFinalizer on FinalizationRegistry. JavaScript cannot hand the
 * dying object to the callback (that would resurrect it), so the callback gets a
 * held value of your choice instead.
 */
import { functionOption, invalidOption } from '../internal/validate.js';

type Finalizer = (held: unknown) => void;

// One registry for the whole process, kept reachable by this module: if a
// registry itself became unreachable its callbacks would never run.
const registry = new FinalizationRegistry<{ fn: Finalizer; held: unknown }>((entry) => {
  try {
    entry.fn(entry.held);
  } catch (err) {
    // A finalizer's error must not become an uncaught exception in a GC callback.
    process.emitWarning(`memstats finalizer threw: ${(err as Error)?.message ?? String(err)}`, 'MemstatsWarning');
  }
});

/**
 * setFinalizer arranges for `fn(held)` to run some time after `obj` is garbage
 * collected, like Go's runtime.SetFinalizer. `fn === null` removes the
 * finalizer. Finalizers run after the GC, from the event loop (after
 * microtasks), never for objects still reachable, and not at all if the process
 * exits first. Setting a second finalizer on the same object adds another.
 * Throws a TypeError (code ERR_MEMSTATS_INVALID_OPTION) if `obj` is not an
 * object or function, or `fn` is not a function or null.
 */
export function setFinalizer<T extends object>(obj: T, fn: ((held: unknown) => void) | null, held?: unknown): void {
  if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null) {
    throw invalidOption('type', 'obj', obj, 'an object or function');
  }
  if (fn === null) {
    registry.unregister(obj);
    return;
  }
  const f = functionOption<Finalizer>('fn', fn);
  if (held === obj) throw invalidOption('range', 'held', held, 'a value other than obj itself (it would keep obj alive)');
  registry.register(obj, { fn: f!, held }, obj);
}
