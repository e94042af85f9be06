import type { z } from 'zod';
import type { Connector } from '../connectors/connector.js';
import { SECRET_MASK } from '../connectors/connector.js';
import { findConnector, connectorTypeNames } from '../connectors/registry.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';

/**
 * Connection configs at the service boundary: which connector a type names, parsing a config with
 * the connector's strict schema, masking secrets for answers, and merging a PATCH into the stored
 * config. Problems never quote config values (they may be secrets), only field names.
 */
export type ConfigObject = Record<string, unknown>;

export function connectorProblems(connectorType: unknown): FieldProblem[] {
  if (typeof connectorType !== 'string' || findConnector(connectorType)) return [];
  return [
    {
      field: 'connector_type',
      message: `unknown connector type "${connectorType.slice(0, 64)}"; known types: ${connectorTypeNames().join(', ')}`,
      error_type: 'unknown_connector',
    },
  ];
}

export function requireConnector(connectorType: string): Connector {
  const c = findConnector(connectorType);
  if (!c) throw SynqxError.validation(connectorProblems(connectorType));
  return c;
}

/** A new connection cannot take its secret from the mask: "********" is never a real secret here. */
export function maskAsSecretProblems(connector: Connector, raw: unknown): FieldProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  return connector.secretFields
    .filter((f) => (raw as ConfigObject)[f] === SECRET_MASK)
    .map((f) => ({ field: `config.${f}`, message: 'is the mask "********"; send the real secret', error_type: 'masked_secret' }));
}

/** Parses a config; returns the parsed value or every problem, with fields prefixed `config.`. */
export function parseConfig(connector: Connector, raw: unknown): { config?: ConfigObject; problems: FieldProblem[] } {
  const r = connector.configSchema.safeParse(raw);
  if (r.success) return { config: r.data as ConfigObject, problems: [] };
  return { config: undefined, problems: issueProblems(r.error, 'config') };
}

/** Zod issues as field problems; an unknown key is reported at its own path (`config.prt`), not its parent's. */
export function issueProblems(error: z.ZodError, prefix: string): FieldProblem[] {
  return error.issues.flatMap((i): FieldProblem[] => {
    const base = [prefix, ...i.path.map(String)];
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ field: [...base, k].join('.'), message: 'unknown key', error_type: i.code }));
    }
    return [{ field: base.join('.'), message: i.message, error_type: i.code }];
  });
}

export function parseConfigOrThrow(connector: Connector, raw: unknown): ConfigObject {
  const { config, problems } = parseConfig(connector, raw);
  if (!config) throw SynqxError.validation(problems, 'invalid connection config');
  return config;
}

/** The config as answers show it: every secret field present is replaced by the mask (a DSN whole). */
export function maskConfig(connector: Connector, config: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...config };
  for (const f of connector.secretFields) if (out[f] !== undefined) out[f] = SECRET_MASK;
  return out;
}

/**
 * PATCH semantics for `config`: keys sent replace the stored ones, keys not sent are kept, a key
 * sent as null is removed (to switch between forms, e.g. from a DSN to separate fields), and a
 * secret sent as the mask keeps the stored secret (so a client can send back what it was given).
 */
export function mergeConfig(
  connector: Connector,
  stored: ConfigObject,
  patch: ConfigObject,
): { merged: ConfigObject; problems: FieldProblem[] } {
  const merged: ConfigObject = { ...stored };
  const problems: FieldProblem[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete merged[k];
    } else if (v === SECRET_MASK && connector.secretFields.includes(k)) {
      if (stored[k] === undefined) {
        problems.push({ field: `config.${k}`, message: 'is the mask of a stored secret, but no secret is stored for it', error_type: 'masked_secret' });
      }
    } else {
      merged[k] = v;
    }
  }
  return { merged, problems };
}
