/**
 * @module export/prometheus
 * `/metrics` through prom-client: memstats' metrics registered in a prom-client
 * Registry (ours, or one the application already has), rendered by prom-client.
 *
 * Each metric is a small object prom-client's Registry accepts (name, help,
 * type, `get()`), whose values are computed from one MetricsSnapshot per scrape
 * — shared by every metric of that scrape, so the runtime is read once. Why not
 * prom-client's Gauge/Histogram classes: a Histogram cannot be set from the
 * GC tracker's cumulative counts (only `observe()` one value at a time), and a
 * labelled Gauge hashes its labels on every `set()`; computing the values
 * straight from the snapshot halves the scrape (bench/agent-overhead.ts).
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { registerPrometheusMetrics } from 'memstats';
 * const registry = new Registry();
 * registerPrometheusMetrics({ registry });      // next to your own metrics
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { createMetricsReader, type MetricsReader, type MetricsSnapshot } from './metrics-snapshot.js';
import { PROMETHEUS_METRICS, type PrometheusMetricDef, type PrometheusValue } from './prometheus-metrics.js';
import { booleanOption, functionOption, invalidOption, optionsObject, stateError, optionNames } from '../internal/validate.js';
const PROMETHEUS_METRICS_OPTIONS_NAMES = optionNames<PrometheusMetricsOptions>({ registry: true, read: true, compatibleMetrics: true, prefix: true });

/** Options of registerPrometheusMetrics. */
export interface PrometheusMetricsOptions {
  /** prom-client Registry to register into (default: a Registry of its own, created when first read). */
  registry?: Registry;
  /**
   * Source of snapshots (default: this process, through createMetricsReader()).
   * A debug server passes its backend's readMetrics, so a remote process's
   * figures are published the same way.
   */
  read?: () => MetricsSnapshot | Promise<MetricsSnapshot>;
  /**
   * Register prom-client's default metric names (`process_*`, `nodejs_*`) too
   * (default true). Pass false when the registry already has
   * prom-client's `collectDefaultMetrics()`: only `memstats_*` are added.
   */
  compatibleMetrics?: boolean;
  /** Prefix added to every metric name (default none), like collectDefaultMetrics' `prefix`. */
  prefix?: string;
}

/** Handle of the registered metrics. */
export interface PrometheusMetrics {
  /** The registry holding the metrics. */
  readonly registry: Registry;
  /** Content type of `metrics()` (the registry's: Prometheus text 0.0.4 by default). */
  readonly contentType: string;
  /** Names registered. */
  readonly names: readonly string[];
  /**
   * metrics renders the registry (memstats' metrics and any others it holds) in
   * the text format; rejects with the read error when the snapshot could not be read.
   */
  metrics(): Promise<string>;
  /** unregister removes memstats' metrics from the registry and releases the reader. Calling it twice is harmless. */
  unregister(): void;
}

/** Error code when a metric name is already registered in the registry given. */
export const ERR_METRIC_EXISTS = 'ERR_MEMSTATS_METRIC_EXISTS';

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const NEEDS_ESCAPE = /[\\\n"]/;

function labelValue(v: string | number): string {
  if (typeof v !== 'string') return String(v);
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function valueText(v: number): string {
  // As prom-client's getValueAsString, so both paths print the same bytes.
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

/**
 * Renders metrics exactly as prom-client's Registry.metrics() does (Prometheus
 * text 0.0.4, same order, same number and label formatting, no default labels)
 * without its per-value object spreading: ~5× faster on these ~340 lines
 * (bench/agent-overhead.ts). A test compares both outputs byte for byte.
 */
function renderText(metrics: readonly SnapshotMetric[], s: MetricsSnapshot): string {
  let out = '';
  const values: PrometheusValue[] = [];
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    if (i > 0) out += '\n\n';
    out += m.header;
    values.length = 0;
    m.collectInto(s, values);
    for (const v of values) {
      out += '\n';
      out += v.metricName ?? m.name;
      const keys = Object.keys(v.labels);
      if (keys.length > 0) {
        out += '{';
        for (let k = 0; k < keys.length; k++) {
          if (k > 0) out += ',';
          out += `${keys[k]}="${labelValue(v.labels[keys[k]])}"`;
        }
        out += '}';
      }
      out += ' ';
      out += valueText(v.value);
    }
  }
  return out + '\n';
}

/** Shares one snapshot among the metrics of one scrape. */
class SnapshotSource {
  private pending: Promise<MetricsSnapshot> | undefined;
  /** The last read failure, for the handle's metrics() to report. */
  lastError: unknown;
  constructor(private readonly read: () => MetricsSnapshot | Promise<MetricsSnapshot>) {}

  current(): Promise<MetricsSnapshot> {
    // prom-client calls every metric's get() in one synchronous loop, then
    // awaits them all: the first call starts the read, the others join it, and
    // the next scrape (after this one settled) reads afresh.
    if (this.pending) return this.pending;
    const p = (async () => this.read())();
    this.pending = p;
    const clear = () => {
      if (this.pending === p) this.pending = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}

/** A metric object in the shape prom-client's Registry renders. */
class SnapshotMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames: string[];
  readonly aggregator: string;
  /** `# HELP` and `# TYPE` lines, computed once. */
  readonly header: string;
  constructor(
    private readonly def: PrometheusMetricDef,
    private readonly source: SnapshotSource,
    prefix: string,
  ) {
    this.name = prefix + def.name;
    this.help = def.help;
    this.type = def.type;
    this.labelNames = def.labelNames;
    this.aggregator = def.aggregator;
    const esc = (x: string) => x.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    this.header = `# HELP ${this.name} ${esc(this.help)}\n# TYPE ${this.name} ${this.type}`;
  }

  /** Appends this metric's values for snapshot `s` (empty if the snapshot lacks a figure). */
  collectInto(s: MetricsSnapshot, values: PrometheusValue[]): void {
    const start = values.length;
    try {
      this.def.collect(s, values);
    } catch {
      // A snapshot missing a figure (e.g. from an older remote agent) leaves this metric empty, not the scrape broken.
      values.length = start;
    }
    if (this.name !== this.def.name) {
      for (let i = start; i < values.length; i++) {
        const v = values[i];
        if (v.metricName) v.metricName = this.name + v.metricName.slice(this.def.name.length);
      }
    }
  }

  async get(): Promise<{ name: string; help: string; type: string; values: PrometheusValue[]; aggregator: string }> {
    const values: PrometheusValue[] = [];
    let s: MetricsSnapshot;
    try {
      s = await this.source.current();
    } catch (err) {
      // A failed read must not fail the scrape of an application's own
      // registry: our metrics come out empty; the handle's metrics() throws.
      this.source.lastError = err;
      return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    }
    this.collectInto(s, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** prom-client's Registry.resetMetrics() calls this; values are read at scrape time, nothing to reset. */
  reset(): void {}
}

/** The Prometheus text format's content type (prom-client's Registry.PROMETHEUS_CONTENT_TYPE). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type PromClient = typeof import('prom-client');
let promClient: PromClient | undefined;

/** Loads prom-client synchronously on first need: it costs ~100 ms to load, which the agent must not add to start-up. */
function loadPromClient(): PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as PromClient;
  return promClient;
}

/**
 * registerPrometheusMetrics registers memstats' metrics (see docs/metrics.md:
 * prom-client's default names with truthful values, plus `memstats_*`) in a
 * prom-client Registry and returns a handle whose `metrics()` renders it.
 * Values are read once per scrape (~100 µs for this process); window figures
 * (event-loop lag and utilization) cover the time since the previous scrape,
 * or since registration for the first. unregister() releases the reader.
 *
 * Without `registry`, the handle's own Registry is created (and prom-client
 * loaded) only when `handle.registry` is first read; until then, and while it
 * holds only memstats' metrics, `metrics()` renders the very bytes prom-client
 * would, without loading it.
 *
 * Throws a coded Error (ERR_MEMSTATS_METRIC_EXISTS) naming the metrics the
 * registry already has (e.g. from collectDefaultMetrics: pass
 * `compatibleMetrics: false`), and TypeError/RangeError
 * (ERR_MEMSTATS_INVALID_OPTION) for bad options. Registering twice in one
 * registry throws; unregister() first.
 */
export function registerPrometheusMetrics(options?: PrometheusMetricsOptions): PrometheusMetrics {
  const o = optionsObject<PrometheusMetricsOptions>('options', options, PROMETHEUS_METRICS_OPTIONS_NAMES);
  if (o.registry !== undefined) {
    // A registry from another copy of prom-client does too: check its shape, not its class.
    const r = o.registry as unknown as { registerMetric?: unknown; metrics?: unknown; getSingleMetric?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.registerMetric !== 'function' || typeof r.metrics !== 'function' || typeof r.getSingleMetric !== 'function') {
      throw invalidOption('type', 'registry', o.registry, 'a prom-client Registry');
    }
  }
  const compatible = booleanOption('compatibleMetrics', o.compatibleMetrics, true);
  const prefix = o.prefix ?? '';
  if (typeof prefix !== 'string') throw invalidOption('type', 'prefix', prefix, 'a string');
  if (prefix !== '' && !NAME_RE.test(prefix)) throw invalidOption('range', 'prefix', prefix, 'a valid Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)');
  const readOption = functionOption<() => MetricsSnapshot | Promise<MetricsSnapshot>>('read', o.read);
  // Opened at registration, so that the first scrape covers the time since
  // then (event-loop lag, utilization), not an empty window.
  let reader: MetricsReader | undefined = readOption ? undefined : createMetricsReader();
  const read =
    readOption ??
    (() => {
      if (reader) return reader.read();
      // Read after unregister(): a window of its own, not kept open.
      const once = createMetricsReader();
      try {
        return once.read();
      } finally {
        once.close();
      }
    });

  const defs = PROMETHEUS_METRICS.filter((d) => compatible || d.family === 'memstats');
  const source = new SnapshotSource(read);
  const metrics = defs.map((d) => new SnapshotMetric(d, source, prefix));
  const names = metrics.map((m) => m.name);

  const registerIn = (registry: Registry) => {
    const taken = names.filter((n) => registry.getSingleMetric(n) !== undefined);
    if (taken.length > 0) {
      const hint = compatible ? ' (prom-client collectDefaultMetrics()? pass compatibleMetrics: false)' : '';
      throw stateError(ERR_METRIC_EXISTS, `memstats: the registry already has ${taken.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')}${taken.length > 3 ? ` and ${taken.length - 3} more` : ''}${hint}`);
    }
    for (const m of metrics) registry.registerMetric(m as never);
  };

  let registry: Registry | undefined = o.registry;
  if (registry) {
    try {
      registerIn(registry);
    } catch (err) {
      // Nothing half-started: the reader's event-loop window (and its timer) goes too.
      reader?.close();
      reader = undefined;
      throw err;
    }
  }
  const ownRegistry = registry === undefined;
  let registered = true;

  const getRegistry = (): Registry => {
    if (!registry) {
      const { Registry: RegistryClass } = loadPromClient();
      registry = new RegistryClass();
      if (registered) registerIn(registry);
    }
    return registry;
  };

  const isOwnOnly = () => {
    if (!ownRegistry) return false;
    if (!registry) return true;
    if (registry.contentType !== PROMETHEUS_CONTENT_TYPE) return false;
    const defaults = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
    if (defaults && Object.keys(defaults).length > 0) return false;
    const all = registry.getMetricsAsArray();
    return all.length === metrics.length && all.every((m, i) => m === (metrics[i] as never));
  };

  return {
    get registry() {
      return getRegistry();
    },
    get contentType() {
      return registry ? registry.contentType : PROMETHEUS_CONTENT_TYPE;
    },
    names,
    async metrics() {
      if (isOwnOnly()) {
        // Only our metrics in a plain Prometheus-format registry: render directly.
        return renderText(metrics, await read());
      }
      source.lastError = undefined;
      const text = await getRegistry().metrics();
      if (source.lastError !== undefined) throw source.lastError;
      return text;
    },
    unregister() {
      if (!registered) return;
      registered = false;
      if (registry) {
        for (const m of metrics) {
          if (registry.getSingleMetric(m.name) === (m as never)) registry.removeSingleMetric(m.name);
        }
      }
      reader?.close();
      reader = undefined;
    },
  };
}
