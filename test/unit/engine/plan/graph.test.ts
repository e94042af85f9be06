import test from 'ava';
import { findCycles, nodesReaching, topologicalOrder, type GraphEdge, type GraphNode } from '../../../../src/engine/plan/graph.js';

const nodes = (...ids: Array<string | [string, number]>): GraphNode[] =>
  ids.map((x) => (typeof x === 'string' ? { id: x, orderIndex: 0 } : { id: x[0], orderIndex: x[1] }));
const edges = (...pairs: string[]): GraphEdge[] =>
  pairs.map((p) => {
    const [from, to] = p.split('>');
    return { from: from!, to: to! };
  });

test('topological order breaks ties by order_index, then node_id', (t) => {
  const ns = nodes(['c', 1], ['b', 1], ['a', 2], ['src', 0]);
  const es = edges('src>a', 'src>b', 'src>c');
  t.deepEqual(topologicalOrder(ns, es), ['src', 'b', 'c', 'a']);
});

test('topological order is the same whatever order nodes and edges are declared in', (t) => {
  const ns = nodes(['e1', 1], ['e2', 1], ['t', 2], ['u', 3], ['l1', 4], ['l2', 4]);
  const es = edges('e1>u', 'e2>u', 'u>t', 't>l2', 'u>l1');
  const expected = topologicalOrder(ns, es);
  t.deepEqual(expected, ['e1', 'e2', 'u', 't', 'l1', 'l2']);
  for (let i = 0; i < 20; i++) {
    const shuffledNodes = [...ns].sort(() => Math.random() - 0.5);
    const shuffledEdges = [...es].sort(() => Math.random() - 0.5);
    t.deepEqual(topologicalOrder(shuffledNodes, shuffledEdges), expected);
  }
});

test('topological order respects dependencies over order_index', (t) => {
  // b has the smaller order_index but depends on a.
  t.deepEqual(topologicalOrder(nodes(['a', 5], ['b', 1]), edges('a>b')), ['a', 'b']);
});

test('topological order is undefined for a cyclic graph', (t) => {
  t.is(topologicalOrder(nodes('a', 'b', 'c'), edges('a>b', 'b>c', 'c>a')), undefined);
});

test('findCycles names the nodes on the cycle, starting from the smallest node', (t) => {
  const cycles = findCycles(nodes('x', 'c', 'b', 'a'), edges('x>a', 'b>c', 'c>a', 'a>b'));
  t.is(cycles.length, 1);
  t.deepEqual(cycles[0]!.path, ['a', 'b', 'c', 'a']);
  t.deepEqual(cycles[0]!.members, ['a', 'b', 'c']);
});

test('findCycles reports each independent cycle and the whole component of interlocked ones', (t) => {
  const cycles = findCycles(nodes('a', 'b', 'c', 'p', 'q', 'z'), edges('a>b', 'b>a', 'a>c', 'c>a', 'p>q', 'q>p', 'z>a'));
  t.is(cycles.length, 2);
  t.deepEqual(cycles[0]!.path, ['a', 'b', 'a']);
  t.deepEqual(cycles[0]!.members, ['a', 'b', 'c']);
  t.deepEqual(cycles[1]!.path, ['p', 'q', 'p']);
});

test('findCycles sees self-loops and finds nothing in a DAG', (t) => {
  t.deepEqual(findCycles(nodes('a'), edges('a>a')).map((c) => c.path), [['a', 'a']]);
  t.deepEqual(findCycles(nodes('a', 'b', 'c'), edges('a>b', 'a>c', 'b>c')), []);
});

test('findCycles and topologicalOrder handle long chains without recursion limits', (t) => {
  const n = 20_000;
  const ns = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, orderIndex: i }));
  const es = Array.from({ length: n - 1 }, (_, i) => ({ from: `n${i}`, to: `n${i + 1}` }));
  t.is(topologicalOrder(ns, es)!.length, n);
  t.deepEqual(findCycles(ns, es), []);
  const cyc = findCycles(ns, [...es, { from: `n${n - 1}`, to: 'n0' }]);
  t.is(cyc.length, 1);
  t.is(cyc[0]!.path.length, n + 1);
});

test('nodesReaching walks edges backwards from the targets', (t) => {
  const reach = nodesReaching(['l'], edges('a>b', 'b>l', 'c>d'));
  t.deepEqual([...reach].sort(), ['a', 'b', 'l']);
});
