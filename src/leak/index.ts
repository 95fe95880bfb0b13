/**
 * @module leak
 * Leak detection on a running process: `watchLeaks()` judges the memory kept
 * after full GCs with a robust trend and a confidence.
 */
export {
  watchLeaks,
  LeakWatcher,
  LEAK_KINDS,
  type WatchLeaksOptions,
  type LeakKind,
  type LeakEvent,
  type LeakCapture,
  type LeakReading,
  type LeakSignalStatus,
  type LeakWatcherEvents,
} from './watch-leaks.js';
export { judgeTrend, theilSen, mannKendallConfidence, type Trend, type TrendPoint } from './trend.js';
export { captureHeap, type CaptureKind, type CaptureResult } from './capture.js';
