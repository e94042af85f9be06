/**
 * Graph algorithms for pipeline versions, kept free of pipeline semantics so they can be tested on
 * their own. Everything here is deterministic: the same graph always gives the same order and the
 * same cycle description, whatever order nodes and edges were declared in.
 */
export interface GraphNode {
  id: string;
  orderIndex: number;
}

export interface GraphEdge {
  from: string;
  to: string;
}

/** The planner's tie-break: `order_index`, then `node_id` (plain code-unit order, not locale-dependent). */
export function compareNodes(a: GraphNode, b: GraphNode): number {
  if (a.orderIndex !== b.orderIndex) return a.orderIndex - b.orderIndex;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

interface Indexed {
  nodes: GraphNode[];
  index: Map<string, number>;
  /** Successor indexes per node, sorted by compareNodes for determinism. */
  succ: number[][];
}

function indexGraph(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Indexed {
  const sorted = [...nodes].sort(compareNodes);
  const index = new Map<string, number>();
  sorted.forEach((n, i) => index.set(n.id, i));
  const succ: number[][] = sorted.map(() => []);
  for (const e of edges) {
    const from = index.get(e.from);
    const to = index.get(e.to);
    if (from === undefined || to === undefined) continue;
    if (!succ[from]!.includes(to)) succ[from]!.push(to);
  }
  // Indexes follow the sorted node order, so sorting numbers sorts by (order_index, node_id).
  for (const s of succ) s.sort((x, y) => x - y);
  return { nodes: sorted, index, succ };
}

/**
 * Strongly connected components (Tarjan), iterative so a long chain cannot overflow the stack.
 * Returns components as sorted index lists.
 */
function stronglyConnected(succ: number[][]): number[][] {
  const n = succ.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: Array<{ v: number; next: number }> = [{ v: root, next: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const { v } = frame;
      if (frame.next < succ[v]!.length) {
        const w = succ[v]![frame.next++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, next: 0 });
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp.push(w);
        } while (w !== v);
        out.push(comp.sort((x, y) => x - y));
      }
    }
  }
  return out;
}

/** Shortest cycle through `start` that stays inside `members` (BFS, successors in sorted order). */
function cycleThrough(start: number, members: Set<number>, succ: number[][]): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi]!;
    for (const w of succ[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable for a real component; keeps the type total
}

export interface Cycle {
  /** A concrete cycle, first node repeated at the end: ['a', 'b', 'c', 'a']. */
  path: string[];
  /** Every node of the strongly connected component the cycle lies in (sorted), which may be more than the path. */
  members: string[];
}

/** Every cyclic part of the graph, one entry per strongly connected component (self-loops included). */
export function findCycles(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Cycle[] {
  const g = indexGraph(nodes, edges);
  const cycles: Cycle[] = [];
  for (const comp of stronglyConnected(g.succ)) {
    const first = comp[0]!;
    const cyclic = comp.length > 1 || g.succ[first]!.includes(first);
    if (!cyclic) continue;
    const path = cycleThrough(first, new Set(comp), g.succ);
    cycles.push({ path: path.map((i) => g.nodes[i]!.id), members: comp.map((i) => g.nodes[i]!.id) });
  }
  return cycles.sort((a, b) => compareNodes(g.nodes[g.index.get(a.path[0]!)!]!, g.nodes[g.index.get(b.path[0]!)!]!));
}

/**
 * Kahn's algorithm, always taking the smallest ready node by (order_index, node_id), so the order
 * is unique for a given graph. Returns undefined when the graph has a cycle.
 */
export function topologicalOrder(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): string[] | undefined {
  const g = indexGraph(nodes, edges);
  const indegree = g.nodes.map(() => 0);
  for (const s of g.succ) for (const w of s) indegree[w]!++;
  // Ready set kept sorted by index; pipelines are small, so insertion into a sorted array is plenty.
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  const order: string[] = [];
  while (ready.length > 0) {
    const v = ready.shift()!;
    order.push(g.nodes[v]!.id);
    for (const w of g.succ[v]!) {
      if (--indegree[w]! === 0) ready.splice(sortedInsertAt(ready, w), 0, w);
    }
  }
  return order.length === g.nodes.length ? order : undefined;
}

function sortedInsertAt(arr: number[], value: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Nodes from which at least one of `targets` can be reached (targets included). */
export function nodesReaching(targets: Iterable<string>, edges: readonly GraphEdge[]): Set<string> {
  const pred = new Map<string, string[]>();
  for (const e of edges) {
    const list = pred.get(e.to);
    if (list) list.push(e.from);
    else pred.set(e.to, [e.from]);
  }
  const seen = new Set<string>(targets);
  const queue = [...seen];
  while (queue.length > 0) {
    const v = queue.pop()!;
    for (const p of pred.get(v) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  return seen;
}

/**
 * Two of `inputs` that share an upstream node (an input counts as upstream of itself), with one such
 * node: the shape in which a node that drains its inputs one at a time waits forever, because the
 * shared node blocks on the input not being read. Undefined when the inputs' ancestries are disjoint.
 */
export function sharedUpstream(inputs: readonly string[], edges: readonly GraphEdge[]): { first: string; second: string; shared: string } | undefined {
  const upstream = inputs.map((i) => nodesReaching([i], edges));
  for (let a = 0; a < inputs.length; a++) {
    for (let b = a + 1; b < inputs.length; b++) {
      const shared = [...upstream[b]!].filter((n) => upstream[a]!.has(n)).sort()[0];
      if (shared !== undefined) return { first: inputs[a]!, second: inputs[b]!, shared };
    }
  }
  return undefined;
}
