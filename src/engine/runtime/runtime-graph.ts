import { SynqxError, type FieldProblem } from '../../core/errors.js';
import type { BatchSink, BatchSource } from '../../core/data-ports.js';
import { findTransform } from '../transforms/registry.js';
import { describeArity, inputArity } from '../transforms/transform-spec.js';

/**
 * What the coordinator runs: live sources and sinks plus transform names and configs, wired by node
 * ids. The planner's ExecutionPlan maps onto it one node to one node (connectors open the
 * sources/sinks for the extract/load nodes). `inputs`/`outputs` are in edge declaration order.
 */
interface RuntimeNodeBase {
  id: string;
  /** order_index: breaks ties in the topological order and orders steps in reports. */
  order: number;
  /** For log lines: `public.users`; defaults to the transform name or the id. */
  label?: string;
  inputs: string[];
  outputs: string[];
}

export interface RuntimeSourceNode extends RuntimeNodeBase {
  kind: 'source';
  source: BatchSource;
}

export interface RuntimeTransformNode extends RuntimeNodeBase {
  kind: 'transform';
  /** Registry name (the node's operator_class). */
  transform: string;
  config: unknown;
  /** One of `outputs` that receives the rows the transform rejects (input schema + `_synqx_error`) instead of the kept ones. */
  errorOutput?: string;
}

/** A sink with outputs passes on every batch it wrote. */
export interface RuntimeSinkNode extends RuntimeNodeBase {
  kind: 'sink';
  sink: BatchSink;
}

export type RuntimeNode = RuntimeSourceNode | RuntimeTransformNode | RuntimeSinkNode;

export interface RuntimeGraph {
  nodes: RuntimeNode[];
}

/**
 * Checks the wiring and returns the nodes in topological order (ties: order, then id). The planner
 * already validates user pipelines, so a problem here is a programming error in the caller: it throws
 * INTERNAL with every problem listed.
 */
export function orderRuntimeGraph(graph: RuntimeGraph): RuntimeNode[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string, error_type: string) => problems.push({ field, message, error_type });
  const byId = new Map<string, RuntimeNode>();
  for (const node of graph.nodes) {
    if (byId.has(node.id)) add(`nodes.${node.id}`, `duplicate node id "${node.id}"`, 'duplicate_node_id');
    byId.set(node.id, node);
  }
  if (graph.nodes.length === 0) add('nodes', 'the graph has no nodes', 'empty_graph');
  for (const node of graph.nodes) {
    const f = `nodes.${node.id}`;
    for (const input of node.inputs) {
      const parent = byId.get(input);
      if (!parent) add(`${f}.inputs`, `unknown input "${input}"`, 'dangling_edge');
      else if (!parent.outputs.includes(node.id)) add(`${f}.inputs`, `"${input}" does not list "${node.id}" as an output`, 'asymmetric_edge');
    }
    for (const output of node.outputs) {
      const child = byId.get(output);
      if (!child) add(`${f}.outputs`, `unknown output "${output}"`, 'dangling_edge');
      else if (!child.inputs.includes(node.id)) add(`${f}.outputs`, `"${output}" does not list "${node.id}" as an input`, 'asymmetric_edge');
    }
    // A source or transform with no outputs runs and its batches are dropped: the planner only warns
    // ("does not lead to any load"), so refusing here would fail a run validation had accepted.
    if (node.kind === 'source') {
      if (node.inputs.length > 0) add(`${f}.inputs`, 'a source has no inputs', 'source_with_inputs');
    } else {
      const spec = node.kind === 'transform' ? findTransform(node.transform) : undefined;
      const arity = spec ? inputArity(spec) : { min: 1, max: 1 };
      if (node.inputs.length < arity.min || node.inputs.length > arity.max) {
        const what = spec ? `transform ${spec.name}` : node.kind;
        add(`${f}.inputs`, `${node.kind} "${node.id}": ${what} takes ${describeArity(arity)} input${arity.max === 1 ? '' : 's'} (has ${node.inputs.length})`, 'arity');
      }
    }
    if (node.kind === 'transform' && node.errorOutput !== undefined && !node.outputs.includes(node.errorOutput)) {
      add(`${f}.errorOutput`, `error output "${node.errorOutput}" is not one of the node's outputs`, 'dangling_edge');
    }
  }
  if (problems.length > 0) throw new SynqxError('INTERNAL', `invalid runtime graph: ${problems[0]!.message}`, { details: problems });

  // Kahn's algorithm, always taking the smallest (order, id) among the ready nodes.
  const indegree = new Map(graph.nodes.map((n) => [n.id, n.inputs.length]));
  const ready = graph.nodes.filter((n) => n.inputs.length === 0);
  const sorted: RuntimeNode[] = [];
  const byOrder = (a: RuntimeNode, b: RuntimeNode) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  while (ready.length > 0) {
    ready.sort(byOrder);
    const node = ready.shift()!;
    sorted.push(node);
    for (const child of node.outputs) {
      const left = indegree.get(child)! - 1;
      indegree.set(child, left);
      if (left === 0) ready.push(byId.get(child)!);
    }
  }
  if (sorted.length !== graph.nodes.length) {
    const stuck = graph.nodes.filter((n) => !sorted.includes(n)).map((n) => n.id);
    throw new SynqxError('INTERNAL', `invalid runtime graph: cycle through ${stuck.join(', ')}`, {
      details: [{ field: 'nodes', message: `cycle through ${stuck.join(', ')}`, error_type: 'cycle' }],
    });
  }
  return sorted;
}
