/**
 * @module server/index-page
 * The HTML index at /debug/pprof/, laid out like Go's: the profiles with a
 * count where one is cheap, links to their text form, descriptions, and the
 * server's other endpoints. Links are relative, so the page works wherever
 * the handler is mounted.
 */
import type { Route } from './routes.js';

/** Profiles listed on the index, Go's descriptions adapted to Node. */
export const PPROF_PROFILES: ReadonlyArray<{ name: string; query?: string; description: string }> = [
  { name: 'allocs', query: 'debug=1', description: 'A sampling of past memory allocations, objects already collected included, since heap sampling started in allocation mode (MEMSTATS_HEAP_SAMPLING=allocs, or the first request). seconds=N: only the next N seconds.' },
  { name: 'block', query: 'seconds=5&debug=1', description: 'Event-loop stalls over a threshold (default 50 ms) with the JavaScript that ran during them: Node\'s blocking profile. Capture length from the seconds parameter (default 30).' },
  { name: 'cmdline', description: 'The command line of the current program: executable, Node options, script, arguments.' },
  { name: 'goroutine', query: 'debug=1', description: 'Live resources keeping the event loop alive (handles, requests, timers) by type: Node\'s analog of goroutines. debug=2 lists each one.' },
  { name: 'heap', query: 'debug=1', description: 'A sampling of memory allocations of live objects, since heap sampling started (MEMSTATS_HEAP_SAMPLING=1, or the first request). Pass gc=1 to run a full GC before taking the sample; seconds=N for what the next N seconds allocate.' },
  { name: 'heapsnapshot', description: 'A V8 heap snapshot of every live object, for Chrome DevTools\' Memory tab (large: about twice the heap).' },
  { name: 'profile', query: 'seconds=5', description: 'CPU profile. Capture length from the seconds parameter (default 30). format=cpuprofile gives Chrome DevTools JSON. After you get the profile file, use the go tool pprof command to investigate it.' },
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** pprofIndexPage renders the index; `counts` fills Go's Count column where known. */
export function pprofIndexPage(routes: readonly Route[], counts: Record<string, number | undefined>): string {
  const rows = PPROF_PROFILES.map((p) => {
    const href = p.query ? `${p.name}?${p.query}` : p.name;
    const n = counts[p.name];
    return `<tr><td>${n === undefined ? '' : n}</td><td><a href="${esc(href)}">${esc(p.name)}</a></td></tr>`;
  }).join('\n');
  const descriptions = PPROF_PROFILES.map((p) => `<li><div class=profile-name>${esc(p.name)}: </div> ${esc(p.description)}</li>`).join('\n');
  const others = routes
    .filter((r) => r.description && !r.path.startsWith('/debug/pprof'))
    .map((r) => {
      const path = r.path.endsWith('*') ? r.path.slice(0, -1) : r.path;
      const methods = r.methods.join(', ');
      // From /debug/pprof/ two levels up is the mount point.
      const link = r.methods.includes('GET') ? `<a href="../..${esc(path)}">${esc(path)}</a>` : esc(path);
      return `<li>${methods === 'GET' ? '' : `<code>${esc(methods)}</code> `}${link}: ${esc(r.description!)}</li>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>/debug/pprof/</title>
<style>
.profile-name{ display:inline-block; width:6rem; }
body{ font-family: sans-serif; }
</style>
</head>
<body>
/debug/pprof/
<br>
<p>Set debug=1 as a query parameter to export in legacy text format</p>
<br>
Types of profiles available:
<table>
<thead><td>Count</td><td>Profile</td></thead>
${rows}
</table>
<a href="goroutine?debug=2">full resource dump</a>
<br>
<p>
Profile Descriptions:
<ul>
${descriptions}
</ul>
</p>
<p>
Other endpoints:
<ul>
${others}
</ul>
</p>
<p>Served by memstats.</p>
</body>
</html>
`;
}
