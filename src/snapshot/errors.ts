/**
 * @module snapshot/errors
 * The errors heap-snapshot analysis throws: a file that is not a V8 heap
 * snapshot (or is truncated, or corrupt) names the file and the byte offset
 * where reading stopped; a snapshot too large for the memory available names
 * the figure it needs.
 */

/** Error codes of snapshot analysis. */
export type SnapshotErrorCode = 'ERR_MEMSTATS_SNAPSHOT_INVALID' | 'ERR_MEMSTATS_SNAPSHOT_TOO_LARGE';

/**
 * SnapshotError: thrown by readHeapSnapshot, diffSnapshots and leakDiff for a
 * file that cannot be analysed. `code` is `ERR_MEMSTATS_SNAPSHOT_INVALID` (not a
 * snapshot, truncated, corrupt — `offset` is the byte where reading stopped) or
 * `ERR_MEMSTATS_SNAPSHOT_TOO_LARGE` (`neededBytes` and `availableBytes` say why).
 */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  /** Path of the file, as given. */
  readonly file: string;
  /** Byte offset in the file where the problem was found (-1 when not about a position). */
  readonly offset: number;
  readonly code: SnapshotErrorCode;
  /** For ERR_MEMSTATS_SNAPSHOT_TOO_LARGE: the estimated bytes the analysis needs, and those available. */
  readonly neededBytes?: number;
  readonly availableBytes?: number;

  constructor(
    code: SnapshotErrorCode,
    file: string,
    offset: number,
    message: string,
    sizes?: { neededBytes: number; availableBytes: number },
  ) {
    super(message);
    this.code = code;
    this.file = file;
    this.offset = offset;
    if (sizes) {
      this.neededBytes = sizes.neededBytes;
      this.availableBytes = sizes.availableBytes;
    }
  }
}

/** invalidSnapshot builds the error for a file that is not a readable heap snapshot. */
export function invalidSnapshot(file: string, offset: number, what: string): SnapshotError {
  const where = offset >= 0 ? ` at byte ${offset}` : '';
  return new SnapshotError('ERR_MEMSTATS_SNAPSHOT_INVALID', file, offset, `${file}: ${what}${where}`);
}
