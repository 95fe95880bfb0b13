/**
 * @module memstats
 * Go's runtime memory toolkit for Node.js. This file only re-exports.
 */
export {};
