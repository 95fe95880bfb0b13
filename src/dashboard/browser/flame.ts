/**
 * Dashboard page: the flame graph of a CPU profile, drawn as DOM boxes (text
 * stays selectable and searchable; no canvas font metrics). Root at the top,
 * callees below, widest first; a box's width is its share of the samples.
 * Click a box to zoom into it, click the root bar to zoom out. Boxes narrower
 * than a pixel-ish minimum are left out, so a profile of thousands of frames
 * stays a few hundred elements.
 */

/** Below this share of the zoomed root, a frame is not drawn. */
const MIN_SHARE = 0.002;
const ROW_PX = 18;

/** Hue by kind of code: the application warm, node: internals and V8 pseudo-frames grey. */
function flameColor(n: FlameNode): string {
  if (n.name.startsWith('(') || n.file === '') return '#c8c8c8';
  if (n.file.startsWith('node:')) return '#a9b7c6';
  if (n.file.includes('/node_modules/')) return '#e8c07d';
  let h = 0;
  for (let i = 0; i < n.name.length; i++) h = (h * 31 + n.name.charCodeAt(i)) >>> 0;
  return `hsl(${(h % 40) + 5}, 85%, ${62 + (h % 12)}%)`;
}

function fmtFlameValue(v: number, unit: string): string {
  if (unit === 'nanoseconds') return fmtNs(v);
  if (unit === 'microseconds') return fmtNs(v * 1e3);
  if (unit === 'bytes') return fmtBytes(v);
  return `${fmtCount(v)} ${unit}`;
}

function shortFile(file: string): string {
  const parts = file.split('/');
  return parts.length > 3 ? `…/${parts.slice(-3).join('/')}` : file;
}

class FlameGraph {
  private tree: { root: FlameNode; unit: string; type: string } | undefined;
  private zoomPath: FlameNode[] = [];

  constructor(private readonly container: HTMLElement) {}

  /** show replaces the graph with `tree`. */
  show(tree: { root: FlameNode; unit: string; type: string }): void {
    this.tree = tree;
    this.zoomPath = [tree.root];
    this.draw();
  }

  private draw(): void {
    const tree = this.tree;
    if (!tree) return;
    const focus = this.zoomPath[this.zoomPath.length - 1];
    const total = tree.root.total;
    const rows: HTMLElement[] = [];
    let depth = 0;
    const box = (n: FlameNode, leftShare: number, widthShare: number, row: number, ancestor: boolean): void => {
      const share = total > 0 ? n.total / total : 0;
      const label = n.name === 'all' ? `all (${fmtFlameValue(n.total, tree.unit)})` : n.name;
      const title = `${n.name}${n.file ? ` — ${n.file}${n.line ? `:${n.line}` : ''}` : ''}\n${fmtFlameValue(n.total, tree.unit)} total (${(share * 100).toFixed(1)}%), ${fmtFlameValue(n.self, tree.unit)} self`;
      const b = el('div', { class: ancestor ? 'frame ancestor' : 'frame', title }, label);
      b.style.left = `${(leftShare * 100).toFixed(4)}%`;
      b.style.width = `${(widthShare * 100).toFixed(4)}%`;
      b.style.top = `${row * ROW_PX}px`;
      b.style.background = ancestor ? '#e4e4e4' : flameColor(n);
      b.addEventListener('click', () => {
        const i = this.zoomPath.indexOf(n);
        if (i >= 0) this.zoomPath = this.zoomPath.slice(0, i + 1);
        else this.zoomPath = this.pathTo(n) ?? [tree.root];
        this.draw();
      });
      rows.push(b);
      depth = Math.max(depth, row + 1);
    };
    // The path from the root to the zoomed frame, full width.
    this.zoomPath.forEach((n, i) => box(n, 0, 1, i, i < this.zoomPath.length - 1));
    const walk = (n: FlameNode, left: number, width: number, row: number): void => {
      let x = left;
      for (const c of n.children) {
        const w = n.total > 0 ? (c.total / n.total) * width : 0;
        if (w >= MIN_SHARE) {
          box(c, x, w, row, false);
          walk(c, x, w, row + 1);
        }
        x += w;
      }
    };
    walk(focus, 0, 1, this.zoomPath.length);
    const graph = el('div', { class: 'flame-graph' });
    graph.style.height = `${depth * ROW_PX}px`;
    graph.append(...rows);
    this.container.replaceChildren(graph, this.topTable(tree));
  }

  /** The path from the root to `target`, or undefined. */
  private pathTo(target: FlameNode): FlameNode[] | undefined {
    const path: FlameNode[] = [];
    const visit = (n: FlameNode): boolean => {
      path.push(n);
      if (n === target) return true;
      for (const c of n.children) if (visit(c)) return true;
      path.pop();
      return false;
    };
    return visit(this.tree!.root) ? path : undefined;
  }

  /** The ten functions with the most self time (what `go tool pprof -top` lists first). */
  private topTable(tree: { root: FlameNode; unit: string }): HTMLElement {
    const self = new Map<string, { name: string; file: string; self: number }>();
    const visit = (n: FlameNode): void => {
      if (n !== tree.root && n.self > 0) {
        const k = `${n.name}\u0000${n.file}`;
        const e = self.get(k) ?? { name: n.name, file: n.file, self: 0 };
        e.self += n.self;
        self.set(k, e);
      }
      n.children.forEach(visit);
    };
    visit(tree.root);
    const top = [...self.values()].sort((a, b) => b.self - a.self).slice(0, 10);
    const total = tree.root.total || 1;
    const table = el('table', { class: 'top' }, el('caption', {}, 'Top functions by self time'), el('tr', {}, el('th', {}, 'self'), el('th', {}, '%'), el('th', {}, 'function'), el('th', {}, 'file')));
    for (const t of top) {
      table.append(el('tr', {}, el('td', {}, fmtFlameValue(t.self, tree.unit)), el('td', {}, `${((t.self / total) * 100).toFixed(1)}%`), el('td', {}, t.name), el('td', { title: t.file }, shortFile(t.file))));
    }
    return table;
  }
}
