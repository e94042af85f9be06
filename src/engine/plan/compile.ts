import { SynqxError, validationProblems, type FieldProblem } from '../../core/errors.js';
import { DEFAULT_EDGE_TYPE, isOperatorType, NODE_ID_PATTERN, OPERATOR_TYPES, type OperatorType } from '../../core/pipeline.js';
import { allTransforms } from '../transforms/registry.js';
import { explainedIssues } from '../transforms/config-problems.js';
import { describeArity, inputArity, type TransformSpec } from '../transforms/transform-spec.js';
import { findCycles, nodesReaching, sharedUpstream, topologicalOrder, type GraphEdge, type GraphNode } from './graph.js';

/**
 * Compiles one pipeline version into an execution plan, or lists every problem it has. The API's
 * validation and the runner use this same function, so a version that validates is a version that runs.
 *
 * Input is deliberately loose: the API also compiles what it could salvage from a malformed body
 * (a `null` entry keeps the positions of the unusable ones, so field paths stay right), and fields
 * the body shape check already reported may be missing.
 */
export interface PlanNodeInput {
  node_id: string;
  name?: string;
  operator_type?: string;
  operator_class?: string;
  config?: unknown;
  order_index?: number;
  source_asset_id?: number | null;
  destination_asset_id?: number | null;
  max_retries?: number;
  timeout_seconds?: number | null;
  /** `pipeline_nodes.id` when compiling a stored version; the runner needs it for step records. */
  id?: number;
}

export interface PlanEdgeInput {
  from_node_id: string;
  to_node_id: string;
  edge_type?: string;
}

export interface PlanInput {
  nodes: readonly (PlanNodeInput | null)[];
  edges: readonly (PlanEdgeInput | null)[];
}

export interface CompileContext {
  /** Connector types the connector registry knows (`postgresql`, …): valid operator_class of extract/load nodes. */
  connectorTypes: readonly string[];
  /** Defaults to the transform registry; tests may pass their own list. */
  transforms?: readonly TransformSpec[];
}

export type OperatorKind = 'source' | 'transform' | 'sink';

interface PlanNodeBase {
  nodeId: string;
  name: string;
  operatorType: OperatorType;
  operatorClass: string;
  orderIndex: number;
  /**
   * Parents in edge declaration order, except that a fan-in transform naming its inputs in its config
   * (TransformSpec.inputKeys, e.g. a join's left/right) gets those first, in key order.
   */
  inputs: string[];
  /** Children in edge declaration order; fan-out delivers every batch to each. */
  outputs: string[];
  maxRetries: number;
  timeoutSeconds: number | null;
  dbId?: number;
}

export interface SourcePlanNode extends PlanNodeBase {
  kind: 'source';
  connectorType: string;
  sourceAssetId: number;
  /** Connector-specific node options, passed through unchecked (the connector validates them). */
  config: Record<string, unknown>;
}

export interface TransformPlanNode extends PlanNodeBase {
  kind: 'transform';
  transform: TransformSpec;
  /** The node's config as parsed by the transform's schema (defaults applied). */
  config: unknown;
}

/** A load with children passes on the batches it wrote (the planner warns about it). */
export interface SinkPlanNode extends PlanNodeBase {
  kind: 'sink';
  connectorType: string;
  destinationAssetId: number;
  config: Record<string, unknown>;
}

export type PlanNode = SourcePlanNode | TransformPlanNode | SinkPlanNode;

export interface ExecutionPlan {
  /** Deterministic topological order: ties broken by order_index, then node_id. */
  nodes: PlanNode[];
  warnings: FieldProblem[];
}

export type CompileResult =
  | { ok: true; plan: ExecutionPlan; warnings: FieldProblem[] }
  | { ok: false; errors: FieldProblem[]; warnings: FieldProblem[] };

const FAN_IN_TYPES: readonly string[] = ['merge', 'union', 'join'];
/** Operator types that combine exactly two inputs, whatever transform runs them. */
const BINARY_TYPES: readonly string[] = ['merge', 'join'];

export function kindOf(type: OperatorType): OperatorKind {
  return type === 'extract' ? 'source' : type === 'load' ? 'sink' : 'transform';
}

interface NodeInfo {
  at: number;
  node: PlanNodeInput;
  type?: OperatorType;
  transform?: TransformSpec;
  config?: unknown;
  inputs: string[];
  outputs: string[];
}

export function compilePlan(version: PlanInput, ctx: CompileContext): CompileResult {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const err: Report = (field, error_type, message, extra) => errors.push({ ...extra, field, message, error_type });
  const warn = (field: string, error_type: string, message: string) => warnings.push({ field, message, error_type });
  const transforms = ctx.transforms ?? allTransforms();

  if (version.nodes.length === 0) err('nodes', 'empty_version', 'a version needs at least one node');

  // Nodes: identity first (the first occurrence of an id is the one edges refer to), then each node on its own.
  const byId = new Map<string, NodeInfo>();
  const infos: NodeInfo[] = [];
  version.nodes.forEach((node, at) => {
    if (!node) return;
    const f = `nodes.${at}`;
    if (!NODE_ID_PATTERN.test(node.node_id)) {
      err(`${f}.node_id`, 'invalid_node_id', `node_id "${node.node_id}" may contain only letters, digits, "-" and "_" (1 to 128 characters)`);
    }
    const first = byId.get(node.node_id);
    if (first) {
      err(`${f}.node_id`, 'duplicate_node_id', `duplicate node_id "${node.node_id}" (already used by nodes.${first.at})`);
    }
    const info: NodeInfo = { at, node, inputs: [], outputs: [] };
    checkNode(info, f, ctx.connectorTypes, transforms, err);
    infos.push(info);
    if (!first) byId.set(node.node_id, info);
  });

  // Edges: only well-formed, non-duplicate edges between known nodes enter the graph.
  const graphEdges: GraphEdge[] = [];
  const seenEdges = new Map<string, number>();
  version.edges.forEach((edge, at) => {
    if (!edge) return;
    const f = `edges.${at}`;
    let usable = true;
    if (!byId.has(edge.from_node_id)) {
      err(`${f}.from_node_id`, 'unknown_node', `edge from unknown node "${edge.from_node_id}"`);
      usable = false;
    }
    if (!byId.has(edge.to_node_id)) {
      err(`${f}.to_node_id`, 'unknown_node', `edge to unknown node "${edge.to_node_id}"`);
      usable = false;
    }
    if (edge.from_node_id === edge.to_node_id) {
      err(f, 'self_loop', `self-loop: node "${edge.from_node_id}" cannot feed itself`);
      usable = false;
    }
    const key = JSON.stringify([edge.from_node_id, edge.to_node_id]);
    const earlier = seenEdges.get(key);
    if (earlier !== undefined) {
      err(f, 'duplicate_edge', `duplicate edge ${edge.from_node_id} -> ${edge.to_node_id} (same as edges.${earlier})`);
      usable = false;
    } else {
      seenEdges.set(key, at);
    }
    if (edge.edge_type !== undefined && edge.edge_type !== DEFAULT_EDGE_TYPE) {
      warn(`${f}.edge_type`, 'edge_type', `edge_type "${edge.edge_type}" is treated as "${DEFAULT_EDGE_TYPE}"`);
    }
    if (!usable) return;
    graphEdges.push({ from: edge.from_node_id, to: edge.to_node_id });
    byId.get(edge.from_node_id)!.outputs.push(edge.to_node_id);
    byId.get(edge.to_node_id)!.inputs.push(edge.from_node_id);
  });

  const graphNodes: GraphNode[] = [...byId.values()].map((i) => ({ id: i.node.node_id, orderIndex: i.node.order_index ?? 0 }));
  for (const cycle of findCycles(graphNodes, graphEdges)) {
    const extra = cycle.members.length > cycle.path.length - 1 ? ` (nodes involved: ${cycle.members.join(', ')})` : '';
    err('edges', 'cycle', `cycle: ${cycle.path.join(' -> ')}${extra}`);
  }

  for (const info of byId.values()) checkInputs(info, err);
  for (const info of byId.values()) orderNamedInputs(info, err);
  for (const info of byId.values()) checkSequentialFanIn(info, graphEdges, err);
  collectWarnings([...byId.values()], graphEdges, warn);

  const order = topologicalOrder(graphNodes, graphEdges);
  if (errors.length > 0 || !order) return { ok: false, errors, warnings };
  const plan: ExecutionPlan = { nodes: order.map((id) => toPlanNode(byId.get(id)!)), warnings };
  return { ok: true, plan, warnings };
}

/** `extra` carries what a problem knows beyond its message, e.g. an expression error's position and expected tokens. */
type Report = (field: string, error_type: string, message: string, extra?: object) => void;

function checkNode(info: NodeInfo, f: string, connectorTypes: readonly string[], transforms: readonly TransformSpec[], err: Report): void {
  const { node } = info;
  if (node.operator_type === undefined) {
    err(`${f}.operator_type`, 'missing_field', 'operator_type is required');
    return;
  }
  if (!isOperatorType(node.operator_type)) {
    err(`${f}.operator_type`, 'unknown_operator_type', `unknown operator_type "${node.operator_type}" (expected one of ${OPERATOR_TYPES.join(', ')})`);
    return;
  }
  const type = (info.type = node.operator_type);
  const cls = node.operator_class;
  if (cls === undefined) {
    err(`${f}.operator_class`, 'missing_field', 'operator_class is required');
  } else if (type === 'extract' || type === 'load') {
    if (!connectorTypes.includes(cls)) {
      err(`${f}.operator_class`, 'unknown_operator_class', `unknown connector type "${cls}" for a ${type} node (known: ${connectorTypes.join(', ') || 'none'})`);
    }
  } else {
    const spec = transforms.find((t) => t.name === cls);
    const usable = transforms.filter((t) => t.operatorTypes.includes(type)).map((t) => t.name);
    const known = usable.length > 0 ? `known for ${type}: ${usable.join(', ')}` : `no transform is available for ${type} nodes yet`;
    if (!spec) {
      err(`${f}.operator_class`, 'unknown_operator_class', `unknown transform "${cls}" (${known})`);
    } else if (!spec.operatorTypes.includes(type)) {
      err(`${f}.operator_class`, 'unknown_operator_class', `transform "${cls}" cannot be used as operator_type "${type}" (${known})`);
    } else {
      info.transform = spec;
      const parsed = spec.configSchema.safeParse(node.config ?? {});
      if (parsed.success) {
        info.config = parsed.data;
        // Building the live transform parses its expressions, so a syntax error is a 422 now, with its position.
        // Spread, so an expression problem keeps its `position` and `expected`.
        for (const p of buildProblems(spec, node.config ?? {})) err(`${f}.${p.field}`, p.error_type, `${spec.name} config: ${p.message}`, p);
      } else {
        for (const issue of explainedIssues(parsed.error)) {
          const path = [`${f}.config`, ...issue.path.map(String)].join('.');
          err(path, 'invalid_config', `${spec.name} config: ${issue.message}`);
        }
      }
    }
  }
  if (type === 'extract' && (node.source_asset_id === undefined || node.source_asset_id === null)) {
    err(`${f}.source_asset_id`, 'missing_source_asset', `extract node "${node.node_id}" needs a source_asset_id`);
  }
  if (type === 'load' && (node.destination_asset_id === undefined || node.destination_asset_id === null)) {
    err(`${f}.destination_asset_id`, 'missing_destination_asset', `load node "${node.node_id}" needs a destination_asset_id`);
  }
}

function checkInputs(info: NodeInfo, err: Report): void {
  const { type, node, inputs } = info;
  if (!type) return;
  const f = `nodes.${info.at}`;
  if (type === 'extract') {
    if (inputs.length > 0) err(f, 'unexpected_input', `extract node "${node.node_id}" cannot have inputs (edges from ${inputs.join(', ')})`);
    return;
  }
  if (inputs.length === 0) {
    err(f, 'missing_input', `${type} node "${node.node_id}" has no input: add an edge into it`);
    return;
  }
  const arity = nodeArity(info);
  if (arity.max === 1 && inputs.length > 1) {
    const what = info.transform ? `transform "${info.transform.name}"` : `a ${type} node`;
    err(f, 'fan_in', `fan-in: node "${node.node_id}" has ${inputs.length} inputs (${inputs.join(', ')}) but ${what} takes one; only union, merge and join accept several`);
  } else if (inputs.length < arity.min || inputs.length > arity.max) {
    const what = info.transform ? `transform "${info.transform.name}" as a ${type} node` : `a ${type} node`;
    err(f, 'fan_in_arity', `node "${node.node_id}" has ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${inputs.join(', ')}) but ${what} takes ${describeArity(arity)}`);
  }
}

function nodeArity(info: NodeInfo): { min: number; max: number } {
  const type = info.type!;
  const base = info.transform ? inputArity(info.transform) : FAN_IN_TYPES.includes(type) ? { min: 1, max: Infinity } : { min: 1, max: 1 };
  return BINARY_TYPES.includes(type) && base.max > 1 ? { min: 2, max: 2 } : base;
}

/** Puts the inputs a fan-in config names (join: left, right) first, in key order; each must be an input. */
function orderNamedInputs(info: NodeInfo, err: Report): void {
  const keys = info.transform?.inputKeys;
  if (!keys || !isRecord(info.config)) return;
  const f = `nodes.${info.at}.config`;
  const named: string[] = [];
  for (const key of keys) {
    const value = info.config[key];
    if (value === undefined) continue;
    const list = info.inputs.join(', ') || 'none';
    if (typeof value !== 'string' || !info.inputs.includes(value)) {
      err(`${f}.${key}`, 'unknown_input', `${info.transform!.name} config: ${key} must name one of the inputs of node "${info.node.node_id}" (${list}), got ${JSON.stringify(value)}`);
    } else if (named.includes(value)) {
      err(`${f}.${key}`, 'duplicate_input', `${info.transform!.name} config: ${key} names input "${value}", which another key already names`);
    } else {
      named.push(value);
    }
  }
  info.inputs = [...named, ...info.inputs.filter((i) => !named.includes(i))];
}

/**
 * A node that drains its inputs one after another waits forever when two of them share an upstream
 * node: that node delivers each batch to both, blocks on the input not being read, and so starves the
 * one that is. Rejected here rather than hanging at run time.
 */
function checkSequentialFanIn(info: NodeInfo, edges: GraphEdge[], err: Report): void {
  const spec = info.transform;
  if (!spec || spec.inputs !== 'many' || info.inputs.length < 2 || info.config === undefined) return;
  if (spec.readsSequentially && !spec.readsSequentially(info.config)) return;
  const shared = sharedUpstream(info.inputs, edges);
  if (!shared) return;
  const hint = spec.readsSequentially ? `, or configure ${spec.name} to read its inputs interleaved` : '';
  err(
    `nodes.${info.at}`,
    'fan_in_deadlock',
    `node "${info.node.node_id}" (${spec.name}) reads its inputs one after another, but inputs "${shared.first}" and "${shared.second}" both come from "${shared.shared}": the run would wait forever. Read the shared data through separate extract nodes${hint}`,
  );
}

function collectWarnings(infos: NodeInfo[], edges: GraphEdge[], warn: Report): void {
  const loads = infos.filter((i) => i.type === 'load');
  if (infos.length > 0 && loads.length === 0) {
    warn('nodes', 'no_load', 'the version has no load node: runs will write nothing');
    return;
  }
  const reaching = nodesReaching(
    loads.map((l) => l.node.node_id),
    edges,
  );
  for (const info of infos) {
    const f = `nodes.${info.at}`;
    if (info.type !== 'load' && !reaching.has(info.node.node_id)) {
      warn(f, 'not_connected_to_load', `node "${info.node.node_id}" does not lead to any load: its output is discarded`);
    }
    if (info.type === 'load' && info.outputs.length > 0) {
      warn(f, 'load_has_outputs', `load node "${info.node.node_id}" has outgoing edges: its children receive the rows it wrote`);
    }
  }
}

function toPlanNode(info: NodeInfo): PlanNode {
  const n = info.node;
  const base = {
    nodeId: n.node_id,
    name: n.name ?? n.node_id,
    operatorType: info.type!,
    operatorClass: n.operator_class!,
    orderIndex: n.order_index ?? 0,
    inputs: info.inputs,
    outputs: info.outputs,
    maxRetries: n.max_retries ?? 3,
    timeoutSeconds: n.timeout_seconds ?? null,
    ...(n.id !== undefined ? { dbId: n.id } : {}),
  };
  const raw = isRecord(n.config) ? n.config : {};
  if (info.type === 'extract') return { ...base, kind: 'source', connectorType: base.operatorClass, sourceAssetId: n.source_asset_id!, config: raw };
  if (info.type === 'load') return { ...base, kind: 'sink', connectorType: base.operatorClass, destinationAssetId: n.destination_asset_id!, config: raw };
  return { ...base, kind: 'transform', transform: info.transform!, config: info.config };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Problems found by the transform's own validation (batch `build`, stream `validate`), e.g. expression syntax. */
function buildProblems(spec: TransformSpec, config: unknown): FieldProblem[] {
  const own = spec as { build?: (c: unknown) => unknown; validate?: (c: unknown) => unknown };
  const build = own.build ?? own.validate;
  if (typeof build !== 'function') return [];
  try {
    build(config);
    return [];
  } catch (e) {
    const problems = validationProblems(e);
    if (problems) return problems;
    throw e;
  }
}
