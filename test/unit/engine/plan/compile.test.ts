import test from 'ava';
import { z } from 'zod';
import { compilePlan, type PlanEdgeInput, type PlanNodeInput } from '../../../../src/engine/plan/compile.js';
import type { FieldProblem } from '../../../../src/core/errors.js';

const ctx = { connectorTypes: ['postgresql'] };

const extract = (id: string, order = 0, extra: Partial<PlanNodeInput> = {}): PlanNodeInput => ({
  node_id: id, name: id, operator_type: 'extract', operator_class: 'postgresql', source_asset_id: 1, order_index: order, ...extra,
});
const load = (id: string, order = 9, extra: Partial<PlanNodeInput> = {}): PlanNodeInput => ({
  node_id: id, name: id, operator_type: 'load', operator_class: 'postgresql', destination_asset_id: 2, order_index: order, ...extra,
});
const transform = (id: string, cls = 'noop', config: unknown = {}, order = 5, type = 'transform'): PlanNodeInput => ({
  node_id: id, name: id, operator_type: type, operator_class: cls, config, order_index: order,
});
const e = (from: string, to: string, edge_type?: string): PlanEdgeInput => ({ from_node_id: from, to_node_id: to, ...(edge_type ? { edge_type } : {}) });

function errorsOf(nodes: (PlanNodeInput | null)[], edges: (PlanEdgeInput | null)[]): FieldProblem[] {
  const r = compilePlan({ nodes, edges }, ctx);
  if (r.ok) throw new Error('expected errors, got a plan');
  return r.errors;
}
const has = (t: any, problems: FieldProblem[], field: string, error_type: string, message?: RegExp) => {
  const p = problems.find((x) => x.field === field && x.error_type === error_type);
  t.truthy(p, `expected ${error_type} at ${field}, got ${JSON.stringify(problems)}`);
  if (p && message) t.regex(p.message, message);
};

test('the original README pipeline compiles: extract -> load with resolved inputs and outputs', (t) => {
  const r = compilePlan({ nodes: [load('load_backup', 2), extract('extract_users', 1)], edges: [e('extract_users', 'load_backup')] }, ctx);
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.plan.nodes.map((n) => [n.nodeId, n.kind, n.inputs, n.outputs]), [
    ['extract_users', 'source', [], ['load_backup']],
    ['load_backup', 'sink', ['extract_users'], []],
  ]);
  const src = r.plan.nodes[0]!;
  t.is(src.kind === 'source' && src.sourceAssetId, 1);
  t.deepEqual(r.warnings, []);
});

test('transform nodes carry their spec and parsed config; fan-out is allowed', (t) => {
  const r = compilePlan(
    {
      nodes: [extract('e'), transform('f', 'filter', { condition: 'age > 28' }), load('l1'), load('l2', 10)],
      edges: [e('e', 'f'), e('f', 'l1'), e('f', 'l2')],
    },
    ctx,
  );
  t.true(r.ok);
  if (!r.ok) return;
  const f = r.plan.nodes.find((n) => n.nodeId === 'f')!;
  t.is(f.kind, 'transform');
  if (f.kind === 'transform') {
    t.is(f.transform.name, 'filter');
    t.deepEqual(f.config, { condition: 'age > 28' });
  }
  t.deepEqual(f.outputs, ['l1', 'l2']);
  t.deepEqual(r.plan.nodes.map((n) => n.nodeId), ['e', 'f', 'l1', 'l2']);
});

test('plan order is deterministic: ties by order_index then node_id, independent of declaration order', (t) => {
  const nodes = [extract('b', 1), extract('a', 1), extract('c', 0), transform('u', 'merge_like', {}, 2, 'union'), load('l')];
  const ctx2 = { connectorTypes: ['postgresql'], transforms: [{ name: 'merge_like', description: '', operatorTypes: ['union'] as const, inputs: 'many' as const, configSchema: z.object({}) }] };
  const edges = [e('a', 'u'), e('b', 'u'), e('c', 'u'), e('u', 'l')];
  const r1 = compilePlan({ nodes, edges }, ctx2);
  const r2 = compilePlan({ nodes: [...nodes].reverse(), edges: [...edges].reverse() }, ctx2);
  t.true(r1.ok && r2.ok);
  if (!r1.ok || !r2.ok) return;
  t.deepEqual(r1.plan.nodes.map((n) => n.nodeId), ['c', 'a', 'b', 'u', 'l']);
  t.deepEqual(r2.plan.nodes.map((n) => n.nodeId), ['c', 'a', 'b', 'u', 'l']);
  t.deepEqual(r1.plan.nodes[3]!.inputs, ['a', 'b', 'c'], 'inputs in edge declaration order');
});

test('a cycle is reported with the nodes on it', (t) => {
  const errs = errorsOf(
    [extract('src'), transform('a'), transform('b'), transform('c'), load('dst')],
    [e('src', 'a'), e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'dst')],
  );
  has(t, errs, 'edges', 'cycle', /^cycle: a -> b -> c -> a$/);
  // a also has two inputs (src and c): fan-in is reported too, every problem at once.
  has(t, errs, 'nodes.1', 'fan_in');
});

test('edges to and from unknown nodes name the field and the node', (t) => {
  const errs = errorsOf([extract('e'), load('l')], [e('e', 'l'), e('ghost', 'l'), e('e', 'nowhere')]);
  has(t, errs, 'edges.1.from_node_id', 'unknown_node', /"ghost"/);
  has(t, errs, 'edges.2.to_node_id', 'unknown_node', /"nowhere"/);
  t.false(errs.some((p) => p.error_type === 'fan_in'), 'a dangling edge does not count as an input');
});

test('self-loops and duplicate edges', (t) => {
  const errs = errorsOf([extract('e'), transform('t'), load('l')], [e('e', 't'), e('t', 't'), e('t', 'l'), e('t', 'l')]);
  has(t, errs, 'edges.1', 'self_loop', /"t"/);
  has(t, errs, 'edges.3', 'duplicate_edge', /t -> l.*edges\.2/);
  t.false(errs.some((p) => p.error_type === 'fan_in'), 'a duplicate edge is not a second input');
  t.false(errs.some((p) => p.error_type === 'cycle'));
});

test('duplicate node_id and bad node_id characters', (t) => {
  const errs = errorsOf([extract('e'), extract('e'), load('bad id!')], [e('e', 'bad id!')]);
  has(t, errs, 'nodes.1.node_id', 'duplicate_node_id', /nodes\.0/);
  has(t, errs, 'nodes.2.node_id', 'invalid_node_id', /letters, digits/);
  t.false(errs.some((p) => p.error_type === 'unknown_node'), 'edges may still refer to a badly named node');
});

test('unknown operator_type and unknown operator_class', (t) => {
  const errs = errorsOf(
    [
      extract('e', 0, { operator_class: 'mysql' }),
      transform('t1', 'pandas_transform', {}, 1, 'explode'),
      transform('t2', 'no_such_transform'),
      transform('t3', 'filter', { condition: 'x' }, 3, 'join'),
      load('l', 9, { operator_class: 'oracle' }),
    ],
    [e('e', 't2'), e('t2', 't3'), e('t3', 'l')],
  );
  has(t, errs, 'nodes.0.operator_class', 'unknown_operator_class', /"mysql".*postgresql/);
  has(t, errs, 'nodes.1.operator_type', 'unknown_operator_type', /"explode"/);
  has(t, errs, 'nodes.2.operator_class', 'unknown_operator_class', /"no_such_transform".*filter/);
  has(t, errs, 'nodes.3.operator_class', 'unknown_operator_class', /cannot be used as operator_type "join"/);
  has(t, errs, 'nodes.4.operator_class', 'unknown_operator_class', /"oracle"/);
});

test('transform config is checked against the transform schema, with field paths', (t) => {
  const errs = errorsOf(
    [extract('e'), transform('f', 'filter', { conditon: 'x' }), transform('m', 'map', { drop: 'a' }), load('l')],
    [e('e', 'f'), e('f', 'm'), e('m', 'l')],
  );
  has(t, errs, 'nodes.1.config.condition', 'invalid_config');
  has(t, errs, 'nodes.1.config', 'invalid_config', /conditon/);
  has(t, errs, 'nodes.2.config.drop', 'invalid_config');
});

test('extract without a source asset, load without a destination asset', (t) => {
  const errs = errorsOf([extract('e', 0, { source_asset_id: null }), load('l', 1, { destination_asset_id: undefined })], [e('e', 'l')]);
  has(t, errs, 'nodes.0.source_asset_id', 'missing_source_asset');
  has(t, errs, 'nodes.1.destination_asset_id', 'missing_destination_asset');
});

test('fan-in into a one-input node, missing inputs, and inputs into an extract', (t) => {
  const errs = errorsOf(
    [extract('a'), extract('b'), transform('f', 'filter', { condition: 'x > 1' }), load('l'), load('orphan'), extract('fed')],
    [e('a', 'f'), e('b', 'f'), e('f', 'l'), e('a', 'fed')],
  );
  has(t, errs, 'nodes.2', 'fan_in', /2 inputs \(a, b\).*"filter" takes one/);
  has(t, errs, 'nodes.4', 'missing_input', /"orphan"/);
  has(t, errs, 'nodes.5', 'unexpected_input', /"fed".*a/);
});

test('fan-in into a load is an error too', (t) => {
  const errs = errorsOf([extract('a'), extract('b'), load('l')], [e('a', 'l'), e('b', 'l')]);
  has(t, errs, 'nodes.2', 'fan_in');
});

test('every problem is reported, not only the first', (t) => {
  const errs = errorsOf(
    [extract('e', 0, { source_asset_id: null }), transform('x', 'nope'), transform('y'), transform('y'), load('l', 1, { destination_asset_id: null })],
    [e('e', 'x'), e('x', 'y'), e('y', 'x'), e('y', 'y'), e('y', 'l'), e('q', 'l')],
  );
  const kinds = new Set(errs.map((p) => p.error_type));
  for (const k of ['missing_source_asset', 'unknown_operator_class', 'duplicate_node_id', 'missing_destination_asset', 'cycle', 'self_loop', 'unknown_node']) {
    t.true(kinds.has(k), k);
  }
});

test('an empty version is an error', (t) => {
  const errs = errorsOf([], []);
  has(t, errs, 'nodes', 'empty_version');
});

test('warnings: nodes that lead to no load, loads with outgoing edges, no load at all, odd edge types', (t) => {
  const r = compilePlan(
    {
      nodes: [extract('e'), transform('dead', 'noop'), load('l1'), transform('after', 'noop'), load('l2', 10)],
      edges: [e('e', 'l1'), e('e', 'dead', 'control'), e('l1', 'after'), e('after', 'l2')],
    },
    ctx,
  );
  t.true(r.ok, JSON.stringify(r));
  const fields = r.warnings.map((w) => `${w.field}:${w.error_type}`);
  t.true(fields.includes('nodes.1:not_connected_to_load'));
  t.true(fields.includes('nodes.2:load_has_outputs'));
  t.true(fields.includes('edges.1.edge_type:edge_type'));
  t.false(fields.some((f) => f.startsWith('nodes.0:')), 'the extract reaches a load');
  const none = compilePlan({ nodes: [extract('e'), transform('t', 'noop')], edges: [e('e', 't')] }, ctx);
  t.true(none.ok);
  t.deepEqual(none.warnings.map((w) => w.error_type), ['no_load']);
});

test('unusable (null) entries keep the positions of the others in field paths', (t) => {
  const errs = errorsOf([null, extract('e'), { node_id: 'l' }], [null, e('e', 'l')]);
  has(t, errs, 'nodes.2.operator_type', 'missing_field');
  t.false(errs.some((p) => p.field.startsWith('nodes.0')));
});

test('stored node ids travel into the plan', (t) => {
  const r = compilePlan({ nodes: [extract('e', 0, { id: 41 }), load('l', 1, { id: 42 })], edges: [e('e', 'l')] }, ctx);
  t.true(r.ok);
  if (r.ok) t.deepEqual(r.plan.nodes.map((n) => n.dbId), [41, 42]);
});

test('a filter expression with a syntax error is reported at validation time with its position', (t) => {
  const problems = errorsOf(
    [extract('src', 1), transform('f', 'filter', { condition: 'age > and x' }, 2), load('dst', 3)],
    [e('src', 'f'), e('f', 'dst')],
  );
  const p = problems.find((x) => x.field.startsWith('nodes.1.config.condition'));
  t.truthy(p, JSON.stringify(problems));
  t.regex(p!.message, /filter config: .*(position|column|at) \d+/i);
});

test('a valid filter expression compiles', (t) => {
  const r = compilePlan({ nodes: [extract('src', 1), transform('f', 'filter', { condition: "age > 28 and country == 'DE'" }, 2), load('dst', 3)], edges: [e('src', 'f'), e('f', 'dst')] }, ctx);
  t.true(r.ok, JSON.stringify(!r.ok && r.errors));
});
