/**
 * @module internal/source-map
 * Maps a position in compiled JavaScript back to its original source (usually a
 * `.ts` file) through the file's source map. Shared by the profiler (every frame
 * of every profile) and by `runtime.caller()`.
 *
 * It works without `--enable-source-maps`: it reads the `//# sourceMappingURL=`
 * comment of the compiled file itself (a file next to it or an inline `data:` URL)
 * and parses the map with Node's own `SourceMap` class. V8 call sites and
 * inspector frames are never source-mapped by Node (see REFERENCE.md), so this is
 * the one place that does it.
 *
 * Results are cached per compiled file, negative results included, so a profile
 * with 10,000 frames from 200 files reads each file once. Nothing here throws:
 * a missing, unreadable or malformed map gives `null`.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** An original position: absolute path (or the map's source URL when it is not a file), 1-based line and column. */
export interface MappedLocation {
  /** Absolute path of the original source file, or the source URL as written when it is not a `file:` URL. */
  file: string;
  /** 1-based line in the original source. */
  line: number;
  /** 1-based column in the original source. */
  column: number;
  /** The name the source map gives for this position, when it has one. */
  name?: string;
}

interface LoadedMap {
  map: SourceMap;
}

// Compiled file path → its parsed map, or null when it has none (cached too:
// most frames of a profile come from node_modules files without maps).
const cache = new Map<string, LoadedMap | null>();
// A long-lived process can touch many files; keep the cache bounded. Insertion
// order of a Map makes dropping the oldest entry cheap.
const MAX_CACHED_FILES = 2000;
// Source maps inlined as data: URLs can be large; compiled files larger than this
// are not read (bundles that big would make every first lookup slow).
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Turns what V8 reports as a script (path or `file:` URL) into an absolute path, or null. */
function toPath(fileOrUrl: string): string | null {
  if (fileOrUrl.startsWith('file:')) {
    try {
      return fileURLToPath(fileOrUrl);
    } catch {
      return null;
    }
  }
  // node:internal/..., evalmachine.<anonymous>, wasm://, http(s):// and empty
  // names have no file on disk to read a map from.
  if (isAbsolute(fileOrUrl)) return fileOrUrl;
  return null;
}

/** The map a sourceMappingURL names: inline (`data:`), or the `file:` URL of a `.map` file to read; null otherwise. */
function payloadSource(url: string, compiledPath: string): { inline: unknown } | { file: string } | null {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    if (comma < 0) return null;
    const header = url.slice(5, comma);
    const body = url.slice(comma + 1);
    const text = /;base64$/i.test(header) ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
    return { inline: JSON.parse(text) };
  }
  const target = new URL(url, pathToFileURL(compiledPath));
  if (target.protocol !== 'file:') return null;
  return { file: fileURLToPath(target) };
}

function mapUrlFor(url: string, compiledPath: string): URL {
  if (url.startsWith('data:')) return pathToFileURL(compiledPath);
  return new URL(url, pathToFileURL(compiledPath));
}

/** Finds the last sourceMappingURL comment of a compiled file's text. */
function findMappingUrl(text: string): string | null {
  const re = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/gm;
  let last: string | null = null;
  // Only the tail can hold the comment that applies; scanning from the last
  // occurrence avoids running the regex over a multi-megabyte bundle.
  const at = text.lastIndexOf('sourceMappingURL=');
  if (at < 0) return null;
  re.lastIndex = Math.max(0, text.lastIndexOf('\n', at) + 1);
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[1];
  return last;
}

/** Builds the map from its payload, with `sources` resolved against the map's own location. */
function fromPayload(payload: unknown, url: string, path: string): LoadedMap | null {
  const p = payload as Record<string, unknown> | null;
  if (!p || typeof p !== 'object' || !Array.isArray(p.sources) || typeof p.mappings !== 'string') {
    return null;
  }
  // new SourceMap() does not resolve `sources` (Node's internal loader does it
  // before constructing); resolve them here against the map's own location so
  // findEntry returns absolute URLs.
  const base = mapUrlFor(url, path);
  const root = typeof p.sourceRoot === 'string' && p.sourceRoot !== '' ? p.sourceRoot.replace(/\/?$/, '/') : '';
  const sources = (p.sources as unknown[]).map((s) => {
    if (typeof s !== 'string') return '';
    try {
      return new URL(root + s, base).href;
    } catch {
      return s;
    }
  });
  const map = new SourceMap({ ...(p as object), sources } as never);
  return { map };
}

function load(path: string): LoadedMap | null {
  if (statSync(path).size > MAX_FILE_BYTES) return null;
  const url = findMappingUrl(readFileSync(path, 'utf8'));
  if (!url) return null;
  const src = payloadSource(url, path);
  if (!src) return null;
  return fromPayload('inline' in src ? src.inline : JSON.parse(readFileSync(src.file, 'utf8')), url, path);
}

/** load without blocking the event loop on the reads (what preloadSourceMaps runs). */
async function loadAsync(path: string): Promise<LoadedMap | null> {
  if ((await stat(path)).size > MAX_FILE_BYTES) return null;
  const url = findMappingUrl(await readFile(path, 'utf8'));
  if (!url) return null;
  const src = payloadSource(url, path);
  if (!src) return null;
  const payload = 'inline' in src ? src.inline : JSON.parse(await readFile(src.file, 'utf8'));
  // Parsing a large map is the one long synchronous step: let the program run first.
  await new Promise((resolve) => setImmediate(resolve));
  return fromPayload(payload, url, path);
}

function remember(path: string, loaded: LoadedMap | null): void {
  if (cache.size >= MAX_CACHED_FILES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(path, loaded);
}

function lookup(path: string): LoadedMap | null {
  const hit = cache.get(path);
  if (hit !== undefined || cache.has(path)) {
    // Least recently used goes first: a hit moves to the end.
    cache.delete(path);
    cache.set(path, hit ?? null);
    return hit ?? null;
  }
  let loaded: LoadedMap | null = null;
  try {
    loaded = load(path);
  } catch {
    loaded = null;
  }
  remember(path, loaded);
  return loaded;
}

/**
 * preloadSourceMaps reads the maps of the given scripts (paths or `file:`
 * URLs, as V8 reports them) that are not cached yet, asynchronously and one
 * file at a time with the event loop free in between, so that the
 * synchronous lookups of a profile's conversion afterwards find them cached.
 * A program with a thousand compiled files would otherwise stall for a second
 * or more on its first profile. Never rejects.
 */
export async function preloadSourceMaps(scripts: Iterable<string>): Promise<void> {
  const paths = new Set<string>();
  for (const s of scripts) {
    const p = typeof s === 'string' ? toPath(s) : null;
    if (p && !cache.has(p)) paths.add(p);
  }
  for (const p of paths) {
    if (cache.has(p)) continue;
    let loaded: LoadedMap | null = null;
    try {
      loaded = await loadAsync(p);
    } catch {
      loaded = null;
    }
    remember(p, loaded);
  }
}

interface Entry {
  generatedLine: number;
  originalSource?: string;
  originalLine: number;
  originalColumn: number;
  name?: string;
}

/**
 * mapLocation returns the original position of a compiled position, or null when
 * the file has no source map (or the map does not cover that line).
 *
 * `fileOrUrl` is an absolute path or a `file:` URL as V8 reports it; `line` and
 * `column` are 1-based. The returned `file` is an absolute path when the map's
 * source is a file. Reads the compiled file (and its `.map`) once and caches the
 * result, negative results included; never throws. When the column falls before
 * the first mapping of the line (indentation), the last mapping of the same line
 * is used, so a line-only position (column 1) still maps to the right line.
 */
export function mapLocation(fileOrUrl: string, line: number, column: number): MappedLocation | null {
  try {
    if (typeof fileOrUrl !== 'string' || !Number.isFinite(line) || line < 1) return null;
    const path = toPath(fileOrUrl);
    if (!path) return null;
    const loaded = lookup(path);
    if (!loaded) return null;
    const col = Number.isFinite(column) && column >= 1 ? column - 1 : 0;
    let entry = loaded.map.findEntry(line - 1, col) as Entry;
    if (!entry || entry.generatedLine !== line - 1) {
      // No mapping at or before this column on this line: take the last mapping
      // of the line instead (findEntry returns the closest entry at or before the
      // position, which may be on an earlier line).
      entry = loaded.map.findEntry(line - 1, 0x3fffffff) as Entry;
      if (!entry || entry.generatedLine !== line - 1) return null;
    }
    if (typeof entry.originalSource !== 'string' || entry.originalSource === '') return null;
    let file = entry.originalSource;
    if (file.startsWith('file:')) {
      try {
        file = fileURLToPath(file);
      } catch {
        // keep the URL as written
      }
    }
    const out: MappedLocation = { file, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    if (typeof entry.name === 'string' && entry.name !== '') out.name = entry.name;
    return out;
  } catch {
    return null;
  }
}

/**
 * clearSourceMapCache forgets every cached source map (and every cached "no map"),
 * so files rebuilt since are read again. Calling it twice is harmless.
 */
export function clearSourceMapCache(): void {
  cache.clear();
}

