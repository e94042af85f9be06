// PLACEHOLDER — being written by the connections helper; replaced wholesale.
import type { ServiceDeps } from './container.js';

export class ConnectionService {
  private constructor(readonly deps: ServiceDeps) {}
  static async create(deps: ServiceDeps): Promise<ConnectionService> {
    return new ConnectionService(deps);
  }
}
