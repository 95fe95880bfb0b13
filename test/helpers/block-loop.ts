/** blockLoop keeps the event loop busy for `ms` (a stall for the event-loop monitors to see). */
export function blockLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // block the loop
  }
}
