// PLACEHOLDER — being written by the pipelines helper; replaced wholesale.
import type { ServiceDeps } from './container.js';

export class PipelineService {
  constructor(readonly deps: ServiceDeps) {}
}
