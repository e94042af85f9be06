import test from 'ava';
import { z } from 'zod';
import type { FieldProblem } from '../../../../src/core/errors.js';
import { compilePlan, type CompileContext, type PlanEdgeInput, type PlanNodeInput } from '../../../../src/engine/plan/compile.js';
import { TRANSFORMS } from '../../../../src/engine/transforms/registry.js';
import type { TransformSpec } from '../../../../src/engine/transforms/transform-spec.js';

// Fan-in in the planner: arity per transform (union ≥ 2, join/merge exactly 2), inputs named in a
// config put first, and sequential fan-in over a shared upstream node rejected (it would deadlock).

// A join-like spec naming its inputs, so this is tested without the real join transform.
const pairSpec: TransformSpec = {
  name: 'pair',
  description: 'test',
  operatorTypes: ['join', 'transform'],
  inputs: 'many',
  inputKeys: ['left', 'right'],
  configSchema: z.object({ left: z.string().optional(), right: z.string().optional() }).strict(),
};
const ctx: CompileContext = { connectorTypes: ['postgresql'], transforms: [...TRANSFORMS, pairSpec] };

const extract = (id: string): PlanNodeInput => ({ node_id: id, operator_type: 'extract', operator_class: 'postgresql', source_asset_id: 1 });
const load = (id: string): PlanNodeInput => ({ node_id: id, operator_type: 'load', operator_class: 'postgresql', destination_asset_id: 2 });
const node = (id: string, cls: string, config: unknown = {}, type = 'transform'): PlanNodeInput => ({ node_id: id, operator_type: type, operator_class: cls, config });
const e = (from: string, to: string): PlanEdgeInput => ({ from_node_id: from, to_node_id: to });

function compile(nodes: PlanNodeInput[], edges: PlanEdgeInput[]) {
  return compilePlan({ nodes, edges }, ctx);
}
function errorsOf(nodes: PlanNodeInput[], edges: PlanEdgeInput[]): FieldProblem[] {
  const r = compile(nodes, edges);
  if (r.ok) throw new Error('expected errors, got a plan');
  return r.errors;
}

test('union takes two or more inputs; one input is a clear error', (t) => {
  const ok = compile([extract('a'), extract('b'), extract('c'), node('u', 'union', {}, 'union'), load('l')], [e('a', 'u'), e('b', 'u'), e('c', 'u'), e('u', 'l')]);
  t.true(ok.ok);
  if (ok.ok) t.deepEqual(ok.plan.nodes.find((n) => n.nodeId === 'u')!.inputs, ['a', 'b', 'c']);
  const errs = errorsOf([extract('a'), node('u', 'union'), load('l')], [e('a', 'u'), e('u', 'l')]);
  const p = errs.find((x) => x.error_type === 'fan_in_arity');
  t.is(p?.field, 'nodes.1');
  t.regex(p!.message, /node "u" has 1 input \(a\) but transform "union" as a transform node takes at least 2/);
});

test('a join or merge node takes exactly two inputs, whatever its transform declares', (t) => {
  const errs = errorsOf(
    [extract('a'), extract('b'), extract('c'), node('j', 'pair', {}, 'join'), load('l')],
    [e('a', 'j'), e('b', 'j'), e('c', 'j'), e('j', 'l')],
  );
  t.regex(errs.find((x) => x.error_type === 'fan_in_arity')!.message, /node "j" has 3 inputs \(a, b, c\) but transform "pair" as a join node takes exactly 2/);
  const one = errorsOf([extract('a'), node('j', 'pair', {}, 'join'), load('l')], [e('a', 'j'), e('j', 'l')]);
  t.regex(one.find((x) => x.error_type === 'fan_in_arity')!.message, /takes exactly 2/);
});

test('inputs named in the config come first, in key order; a name that is not an input is a 422 on that key', (t) => {
  const r = compile([extract('a'), extract('b'), node('j', 'pair', { left: 'b', right: 'a' }, 'join'), load('l')], [e('a', 'j'), e('b', 'j'), e('j', 'l')]);
  t.true(r.ok, JSON.stringify(!r.ok && r.errors));
  if (r.ok) t.deepEqual(r.plan.nodes.find((n) => n.nodeId === 'j')!.inputs, ['b', 'a']);
  const unnamed = compile([extract('a'), extract('b'), node('j', 'pair', {}, 'join'), load('l')], [e('a', 'j'), e('b', 'j'), e('j', 'l')]);
  if (unnamed.ok) t.deepEqual(unnamed.plan.nodes.find((n) => n.nodeId === 'j')!.inputs, ['a', 'b']);
  const errs = errorsOf([extract('a'), extract('b'), node('j', 'pair', { left: 'x', right: 'b' }, 'join'), load('l')], [e('a', 'j'), e('b', 'j'), e('j', 'l')]);
  const p = errs.find((x) => x.field === 'nodes.2.config.left');
  t.is(p?.error_type, 'unknown_input');
  t.regex(p!.message, /left must name one of the inputs of node "j" \(a, b\), got "x"/);
  const dup = errorsOf([extract('a'), extract('b'), node('j', 'pair', { left: 'a', right: 'a' }, 'join'), load('l')], [e('a', 'j'), e('b', 'j'), e('j', 'l')]);
  t.is(dup.find((x) => x.field === 'nodes.2.config.right')?.error_type, 'duplicate_input');
});

test('a sequential fan-in whose inputs share an upstream node is rejected (it would deadlock); interleaved is fine', (t) => {
  const nodes = (mode: string) => [extract('src'), node('f1', 'noop'), node('f2', 'filter', { condition: 'x > 1' }), node('u', 'union', { mode }, 'union'), load('l')];
  const edges = [e('src', 'f1'), e('src', 'f2'), e('f1', 'u'), e('f2', 'u'), e('u', 'l')];
  const errs = errorsOf(nodes('sequential'), edges);
  const p = errs.find((x) => x.error_type === 'fan_in_deadlock');
  t.is(p?.field, 'nodes.3');
  t.regex(p!.message, /node "u" \(union\) reads its inputs one after another, but inputs "f1" and "f2" both come from "src": the run would wait forever/);
  t.regex(p!.message, /separate extract nodes, or configure union to read its inputs interleaved/);
  t.true(compile(nodes('interleaved'), edges).ok);
  // An input that is itself upstream of the other is the same trap.
  const direct = errorsOf([extract('src'), node('f', 'noop'), node('u', 'union'), load('l')], [e('src', 'f'), e('src', 'u'), e('f', 'u'), e('u', 'l')]);
  t.truthy(direct.find((x) => x.error_type === 'fan_in_deadlock'));
  // Separate extracts of the same asset are separate nodes: fine.
  t.true(compile([extract('a'), extract('b'), node('u', 'union'), load('l')], [e('a', 'u'), e('b', 'u'), e('u', 'l')]).ok);
});

test('a fan-in transform without readsSequentially is assumed sequential', (t) => {
  const errs = errorsOf(
    [extract('src'), node('f1', 'noop'), node('f2', 'noop'), node('j', 'pair', {}, 'join'), load('l')],
    [e('src', 'f1'), e('src', 'f2'), e('f1', 'j'), e('f2', 'j'), e('j', 'l')],
  );
  const p = errs.find((x) => x.error_type === 'fan_in_deadlock');
  t.truthy(p);
  t.notRegex(p!.message, /interleaved/);
});

test('stream transform configs are validated like batch ones, every problem with its path', (t) => {
  const errs = errorsOf(
    [extract('a'), node('agg', 'aggregate', { aggregates: [{ fn: 'sum', as: 'x' }, { fn: 'count', as: 'x' }] }), load('l')],
    [e('a', 'agg'), e('agg', 'l')],
  );
  t.truthy(errs.find((x) => x.field === 'nodes.1.config.aggregates.0.column'));
  t.truthy(errs.find((x) => x.field === 'nodes.1.config.aggregates.1.as'));
});
