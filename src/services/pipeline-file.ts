import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { AssetTarget, Connector } from '../connectors/connector.js';
import { connectorTypeNames, findConnector } from '../connectors/registry.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';
import { compilePlan, type PlanNodeInput } from '../engine/plan/compile.js';
import { expandEnvDeep } from './env-refs.js';
import { checkTransformQuarantine, quarantineConflicts, quarantineEntrySchema } from './pipeline-file-quarantine.js';
import { quarantineTargets } from './quarantine-targets.js';

/**
 * Pipeline files for `synqx run`: a whole pipeline in one JSON or YAML document, with its connections
 * inline (no metadata store, no vault). The format is documented in docs/pipeline-file.md. Parsing is
 * split from building the graph (pipeline-file-graph.ts) so a file can be validated without
 * connecting, and every problem is reported at once with its path in the file.
 */

const nodeId = z.string().min(1);

const connectionEntry = z.object({ type: z.string().min(1).optional() }).catchall(z.unknown());

const nodeEntry = z
  .object({
    id: nodeId,
    type: z.enum(['extract', 'transform', 'load']),
    name: z.string().min(1).optional(),
    order: z.number().int().optional(),
    connection: z.string().min(1).optional(),
    table: z.string().min(1).optional(),
    query: z.string().min(1).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
    transform: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    /** Transform nodes with config.on_error 'quarantine': the table failing rows go to. */
    quarantine: quarantineEntrySchema.optional(),
  })
  .strict();

const edgeEntry = z.union([z.object({ from: nodeId, to: nodeId }).strict(), z.tuple([nodeId, nodeId])]);

export const pipelineSettingsSchema = z
  .object({
    /** Batches each edge may hold. */
    mailbox_depth: z.number().int().min(1).max(64).optional(),
    /** Worker threads for transforms; 0 runs them on the main thread. */
    threads: z.number().int().min(0).max(64).optional(),
  })
  .strict();

export const pipelineDocumentSchema = z
  .object({
    version: z.literal(1).optional(),
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    connections: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'connection names may contain letters, digits, "-" and "_"'), connectionEntry),
    nodes: z.array(nodeEntry).min(1),
    /** Absent: the nodes form a chain in file order. */
    edges: z.array(edgeEntry).optional(),
    settings: pipelineSettingsSchema.optional(),
  })
  .strict();

export type PipelineDocument = z.input<typeof pipelineDocumentSchema>;
export type PipelineSettings = z.output<typeof pipelineSettingsSchema>;

/** A table or query with its connection parsed by its connector and its options parsed by the asset schema. */
export interface FileEndpoint {
  connector: Connector;
  config: unknown;
  target: AssetTarget;
  options: unknown;
  label: string;
}

/** An extract or load node. */
export interface FileEndpointNode extends FileEndpoint {
  kind: 'source' | 'sink';
  id: string;
  order: number;
  inputs: string[];
  outputs: string[];
}

export interface FileTransformNode {
  kind: 'transform';
  id: string;
  order: number;
  label: string;
  inputs: string[];
  outputs: string[];
  transform: string;
  config: unknown;
  /** Where the rows it rejects go (on_error 'quarantine'): the synthetic load `<id>__quarantine`. */
  quarantine?: FileEndpoint;
}

export type FileNode = FileEndpointNode | FileTransformNode;

/** A validated pipeline file: nodes in execution order, ready to become a RuntimeGraph. */
export interface ParsedPipeline {
  name: string;
  nodes: FileNode[];
  settings: PipelineSettings;
  /** Every secret in the connections, to scrub from anything printed. */
  secrets: string[];
}

/** Parses a file's text (JSON by extension `.json`, YAML otherwise), expands `${VAR}` in its connections, validates it. */
export function parsePipelineFile(text: string, filename: string, env: NodeJS.ProcessEnv = process.env): ParsedPipeline {
  let raw: unknown;
  try {
    raw = extname(filename).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    const why = err instanceof YAMLParseError ? err.message.split('\n')[0] : err instanceof Error ? err.message : String(err);
    throw new SynqxError('VALIDATION_FAILED', `${filename} is not valid ${extname(filename).toLowerCase() === '.json' ? 'JSON' : 'YAML'}${where}: ${why}`);
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'connections' in raw) {
    const problems: FieldProblem[] = [];
    const connections = expandEnvDeep((raw as { connections: unknown }).connections, env, 'connections', problems);
    if (problems.length > 0) throw SynqxError.validation(problems, `invalid pipeline file: ${problems[0]!.field}: ${problems[0]!.message}`);
    raw = { ...raw, connections };
  }
  return validatePipelineDocument(raw);
}

/** Validates a pipeline document (already parsed, references already expanded) and resolves its connectors. */
export function validatePipelineDocument(raw: unknown): ParsedPipeline {
  const shape = pipelineDocumentSchema.safeParse(raw);
  if (!shape.success) {
    throw invalid(shape.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(file)', message: i.message, error_type: i.code })));
  }
  const doc = shape.data;
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string, error_type = 'invalid') => problems.push({ field, message, error_type });

  const connections: Connections = new Map();
  for (const [name, entry] of Object.entries(doc.connections)) {
    const { type = 'postgresql', ...fields } = entry;
    const connector = findConnector(type);
    if (!connector) {
      add(`connections.${name}.type`, `unknown connection type "${type}" (known: ${connectorTypeNames().join(', ')})`, 'unknown_connector');
      continue;
    }
    const parsed = connector.configSchema.safeParse(fields);
    if (!parsed.success) {
      for (const i of parsed.error.issues) add(['connections', name, ...i.path.map(String)].join('.'), i.message, 'invalid_connection');
    }
    // Kept with an invalid config too, so the nodes using it still get their options checked.
    connections.set(name, { connector, config: parsed.data, secrets: parsed.success ? connector.secretValues(parsed.data) : [] });
  }

  const endpoints = new Map<string, FileEndpoint>();
  const quarantines = new Map<string, FileEndpoint>();
  const plannerConfigs = new Map<number, Record<string, unknown> | undefined>();
  const ctx: EndpointContext = { connections, declared: doc.connections, add };
  doc.nodes.forEach((node, at) => {
    const f = `nodes.${at}`;
    const misplaced = (keys: readonly (keyof typeof node)[], why: string) => {
      for (const k of keys) if (node[k] !== undefined) add(`${f}.${k}`, `not allowed on ${why}`, 'unexpected_field');
    };
    if (node.type === 'transform') {
      misplaced(['connection', 'table', 'query', 'options'], 'a transform node');
      if (!node.transform) add(`${f}.transform`, 'required on a transform node (e.g. "filter")', 'missing_field');
      plannerConfigs.set(at, checkTransformQuarantine(node, at, add));
      const q = node.quarantine && resolveEndpoint(`${f}.quarantine`, node.quarantine, 'load', node.quarantine.table, ctx);
      if (q) quarantines.set(node.id, q);
      return;
    }
    const aNode = `${node.type === 'extract' ? 'an' : 'a'} ${node.type} node`;
    misplaced(['transform', 'config'], `${aNode} (use options)`);
    misplaced(['quarantine'], aNode);
    const e = resolveEndpoint(f, node, node.type, node.name ?? node.table ?? `query ${node.id}`, ctx);
    if (e) endpoints.set(node.id, e);
  });
  quarantineConflicts(doc.nodes, add);

  // The planner checks the graph (ids, edges, cycles, arity) and transform configs exactly as the API does.
  const edges = doc.edges
    ? doc.edges.map((e) => (Array.isArray(e) ? { from_node_id: e[0], to_node_id: e[1] } : { from_node_id: e.from, to_node_id: e.to }))
    : doc.nodes.slice(1).map((n, i) => ({ from_node_id: doc.nodes[i]!.id, to_node_id: n.id }));
  const planNodes: PlanNodeInput[] = doc.nodes.map((n, at) => ({
    node_id: n.id,
    name: n.name ?? n.id,
    operator_type: n.type,
    operator_class: n.type === 'transform' ? (n.transform ?? '') : (connections.get(n.connection ?? '')?.connector.type ?? 'postgresql'),
    config: n.type === 'transform' ? (plannerConfigs.get(at) ?? {}) : {},
    order_index: n.order ?? at,
    source_asset_id: n.type === 'extract' ? at : null,
    destination_asset_id: n.type === 'load' ? at : null,
  }));
  const compiled = compilePlan({ nodes: planNodes, edges }, { connectorTypes: connectorTypeNames() });
  if (!compiled.ok) {
    for (const p of compiled.errors) {
      // Missing transform names were already reported against `transform`.
      if (p.error_type === 'missing_field' || (p.field.endsWith('.operator_class') && planNodes[Number(p.field.split('.')[1])]?.operator_class === '')) continue;
      problems.push({ ...p, field: fileField(p.field, Boolean(doc.edges)) });
    }
  }
  if (problems.length > 0 || !compiled.ok) throw invalid(problems);

  // The API's rule for which nodes quarantine (their config says so); each one's table was checked above.
  const quarantining = new Set(quarantineTargets(compiled.plan).map((q) => q.nodeId));
  const nodes: FileNode[] = compiled.plan.nodes.map((p) => {
    const base = { id: p.nodeId, order: p.orderIndex, inputs: [...p.inputs], outputs: [...p.outputs] };
    if (p.kind === 'transform') {
      const quarantine = quarantining.has(p.nodeId) ? quarantines.get(p.nodeId) : undefined;
      if (quarantining.has(p.nodeId) && !quarantine) throw new SynqxError('INTERNAL', `node "${p.nodeId}" quarantines rows but has no quarantine table`, { domain: 'internal' });
      return { ...base, kind: 'transform', label: p.name === p.nodeId ? p.transform.name : p.name, transform: p.transform.name, config: p.config, ...(quarantine ? { quarantine } : {}) };
    }
    return { ...endpoints.get(p.nodeId)!, ...base, kind: p.kind };
  });
  return { name: doc.name ?? 'pipeline', nodes, settings: doc.settings ?? {}, secrets: [...connections.values()].flatMap((c) => c.secrets) };
}

type Connections = Map<string, { connector: Connector; config: unknown | undefined; secrets: string[] }>;
/** A node's `id` names its query, if it has one. */
type EndpointEntry = { id?: string; connection?: string; table?: string; query?: string; options?: Record<string, unknown> };
interface EndpointContext {
  connections: Connections;
  /** Every connection the file declares, including the ones that did not parse. */
  declared: Record<string, unknown>;
  add: (field: string, message: string, error_type?: string) => void;
}

/**
 * An extract's or load's table or query (or a transform's quarantine table), checked against its
 * connection and the connector's asset options; undefined after a problem (reported at `f`).
 */
function resolveEndpoint(f: string, e: EndpointEntry, type: 'extract' | 'load', label: string, { connections, declared, add }: EndpointContext): FileEndpoint | undefined {
  if (!e.connection) return void add(`${f}.connection`, `required on ${type === 'extract' ? 'an' : 'a'} ${type} node`, 'missing_field');
  const conn = connections.get(e.connection);
  if (!conn) {
    if (!(e.connection in declared)) add(`${f}.connection`, `unknown connection "${e.connection}"`, 'unknown_connection');
    return undefined;
  }
  if (type === 'load' && e.query) add(`${f}.query`, 'a load writes to a table, not a query', 'unexpected_field');
  if (!e.table && !(type === 'extract' && e.query)) return void add(`${f}.table`, type === 'extract' ? 'give a table or a query' : 'required on a load node', 'missing_field');
  if (e.table && e.query) return void add(`${f}.query`, 'give either a table or a query, not both', 'unexpected_field');
  const options = { ...(e.options ?? {}), ...(e.query ? { query: e.query } : {}) };
  const parsed = conn.connector.assetOptionsSchema.safeParse(options);
  if (!parsed.success) {
    for (const i of parsed.error.issues) add([f, 'options', ...i.path.map(String)].join('.'), i.message, 'invalid_options');
    return undefined;
  }
  if (conn.config === undefined) return undefined;
  const target: AssetTarget = e.table ? { name: e.table, asset_type: 'table', fully_qualified_name: e.table } : { name: e.id ?? 'query', asset_type: 'query', fully_qualified_name: null };
  return { connector: conn.connector, config: conn.config, target, options: parsed.data, label };
}

/** Planner field names → the names used in the file. */
function fileField(field: string, explicitEdges: boolean): string {
  if (!explicitEdges && field.startsWith('edges')) return 'nodes';
  return field
    .replace(/\.node_id$/, '.id')
    .replace(/\.operator_type$/, '.type')
    .replace(/\.operator_class$/, '.transform')
    .replace(/\.from_node_id$/, '.from')
    .replace(/\.to_node_id$/, '.to');
}

function invalid(problems: FieldProblem[]): SynqxError {
  const first = problems[0];
  return SynqxError.validation(problems, first ? `invalid pipeline file: ${first.field}: ${first.message}` : 'invalid pipeline file');
}
