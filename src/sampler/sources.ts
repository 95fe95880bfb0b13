/**
 * @module sampler/sources
 * Extra counters that other parts of memstats (the recycler, user code) contribute
 * to every Sample, without the sampler importing them (arrows point down).
 */

/** Reads a flat set of numbers for one source; called once per sampler tick. */
export type SampleSourceReader = () => Record<string, number>;

const sources = new Map<string, SampleSourceReader>();

/**
 * addSampleSource registers `read` under `name`; each Sample then carries
 * `sources[name] = read()`. Returns a function that removes it. Registering the
 * same name again replaces the previous reader. A reader that throws is skipped
 * for that tick (the sample never fails because of a source).
 */
export function addSampleSource(name: string, read: SampleSourceReader): () => void {
  sources.set(name, read);
  return () => {
    if (sources.get(name) === read) sources.delete(name);
  };
}

/** Reads every registered source; used by the sampler. */
export function readSampleSources(): Record<string, Record<string, number>> | undefined {
  if (sources.size === 0) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const [name, read] of sources) {
    try {
      out[name] = read();
    } catch {
      // A broken source must not break sampling.
    }
  }
  return out;
}
