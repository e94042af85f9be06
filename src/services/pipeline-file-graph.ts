import type { BatchSource } from '../core/data-ports.js';
import type { RuntimeGraph, RuntimeNode, RuntimeTransformNode } from '../engine/runtime/runtime-graph.js';
import type { FileEndpoint, ParsedPipeline } from './pipeline-file.js';
import { quarantineNodes } from './quarantine-targets.js';

export interface PipelineFileGraph {
  graph: RuntimeGraph;
  /** Planner row estimate over every source (known after the sources opened), for progress and ETA. */
  estimatedRows(): number | undefined;
}

/** A load's (or a quarantine's) table as a live sink. */
const sinkOf = (e: FileEndpoint) => e.connector.createSink(e.config, e.target, e.options);

/**
 * A fresh RuntimeGraph for a validated pipeline file: live (not yet opened) sources and sinks from
 * each node's connector. Build one per run: sources and sinks are single-use.
 */
export function pipelineFileGraph(pipeline: ParsedPipeline): PipelineFileGraph {
  const kindOf = new Map(pipeline.nodes.map((n) => [n.id, n.kind]));
  const sources: BatchSource[] = [];
  const nodes: RuntimeNode[] = pipeline.nodes.flatMap((n): RuntimeNode[] => {
    const base = { id: n.id, order: n.order, label: n.label, inputs: [...n.inputs], outputs: [...n.outputs] };
    if (n.kind === 'transform') {
      const transform: RuntimeTransformNode = { ...base, kind: 'transform', transform: n.transform, config: n.config };
      if (!n.quarantine) return [transform];
      // The same synthetic step the API runner adds (plan-to-graph.ts), on the file's table.
      return quarantineNodes(transform, { sink: sinkOf(n.quarantine), label: n.quarantine.label });
    }
    if (n.kind === 'sink') return [{ ...base, kind: 'sink', sink: sinkOf(n) }];
    // Raw COPY bytes ride along with each batch only when a sink may receive it unchanged.
    const rawPassThrough = n.outputs.some((o) => kindOf.get(o) === 'sink');
    const source = n.connector.createSource(n.config, n.target, n.options, { rawPassThrough });
    sources.push(source);
    return [{ ...base, kind: 'source', source }];
  });
  return {
    graph: { nodes },
    estimatedRows() {
      const known = sources.map((s) => s.estimatedRows()).filter((e): e is number => e !== undefined);
      return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
    },
  };
}
