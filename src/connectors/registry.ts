import type { Connector } from './connector.js';
import { postgresConnector } from './postgres/postgres-connector.js';

/** The one list of connectors. Adding a connector means adding it here, nowhere else. */
export const CONNECTORS: readonly Connector[] = [postgresConnector];

/** The connector for a `connector_type` or one of its aliases (case-insensitive), if any. */
export function findConnector(type: string): Connector | undefined {
  const t = type.trim().toLowerCase();
  return CONNECTORS.find((c) => c.type === t || c.aliases.includes(t));
}

/** Every accepted `connector_type` spelling, canonical names first (for error messages and docs). */
export function connectorTypeNames(): string[] {
  return [...CONNECTORS.map((c) => c.type), ...CONNECTORS.flatMap((c) => c.aliases)];
}
