import type { Connector, DiscoveredAsset, TestResult } from '../connectors/connector.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';
import type { Logger } from '../platform/logger.js';
import { SecretBox } from '../platform/secret-box.js';
import type { Db } from '../store/db.js';
import { ConnectionRepo, isUniqueViolation, type ConnectionRow, type HealthStatus, type Page } from '../store/repos/connection-repo.js';
import { VaultKeyRepo, vaultKeyStore } from '../store/repos/vault-key-repo.js';
import { AssetService, type AssetView } from './asset-service.js';
import {
  connectorProblems,
  maskAsSecretProblems,
  maskConfig,
  mergeConfig,
  parseConfig,
  parseConfigOrThrow,
  requireConnector,
  type ConfigObject,
} from './connection-config.js';
import type { ServiceDeps } from './container.js';

export type Tags = Record<string, unknown> | string[];

export interface CreateConnectionInput {
  name: string;
  connector_type: string;
  description?: string | null;
  tags?: Tags;
  config: ConfigObject;
}

export interface UpdateConnectionInput {
  name?: string;
  description?: string | null;
  tags?: Tags;
  config?: ConfigObject;
}

/** A connection as the API answers it: secrets masked, no ciphertext. */
export interface ConnectionView {
  id: number;
  name: string;
  connector_type: string;
  description: string | null;
  tags: unknown;
  config: ConfigObject;
  health_status: HealthStatus;
  last_test_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DiscoverInput {
  schema?: string;
  include_views?: boolean;
  create_assets?: boolean;
}

export interface DiscoverResult {
  discovered_count: number;
  assets: DiscoveredAsset[];
  created_count: number;
  created_assets: AssetView[];
}

/** A live connection opened for use: its connector and its parsed, decrypted config. Never answer it. */
export interface OpenedConnection {
  row: ConnectionRow;
  connector: Connector;
  config: ConfigObject;
}

/** Connections (credentials in the vault) and, through `assets`, the tables registered on them. */
export class ConnectionService {
  readonly assets: AssetService;
  private readonly db: Db;
  private readonly repo: ConnectionRepo;
  private readonly log: Logger;

  private constructor(
    deps: ServiceDeps,
    private readonly box: SecretBox,
  ) {
    this.db = deps.db;
    this.repo = new ConnectionRepo(deps.db);
    this.log = deps.logger.child({ component: 'connections' });
    this.assets = new AssetService(deps.db, (id) => this.open(id), this.log);
  }

  /** Opens the vault first: a wrong MASTER_PASSWORD stops the start here, with a clear message. */
  static async create(deps: ServiceDeps): Promise<ConnectionService> {
    const box = await SecretBox.open(vaultKeyStore(deps.db), deps.config.masterPassword);
    return new ConnectionService(deps, box);
  }

  /** Problems with `connector_type` and `config` of a create request, for a single 422 with the rest. */
  configProblems(connectorType: unknown, config: unknown): FieldProblem[] {
    const typeProblems = connectorProblems(connectorType);
    if (typeProblems.length > 0 || typeof connectorType !== 'string') return typeProblems;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
    const connector = requireConnector(connectorType);
    return [...maskAsSecretProblems(connector, config), ...parseConfig(connector, config).problems];
  }

  async list(page: Page, filter: { connector_type?: string } = {}) {
    const connectorType = filter.connector_type ? (requireConnector(filter.connector_type).type) : undefined;
    const { rows, total } = await this.repo.list(page, { connectorType });
    const connections = await Promise.all(rows.map((r) => this.view(r)));
    return { connections, total, limit: page.limit, offset: page.offset };
  }

  async get(id: number): Promise<ConnectionView> {
    return this.view(await this.live(id));
  }

  async createConnection(input: CreateConnectionInput): Promise<ConnectionView> {
    const connector = requireConnector(input.connector_type);
    const masked = maskAsSecretProblems(connector, input.config);
    if (masked.length > 0) throw SynqxError.validation(masked, 'invalid connection config');
    const config = parseConfigOrThrow(connector, input.config);
    if (await this.repo.nameTaken(input.name)) throw duplicateName(input.name);
    await this.box.refreshActive();
    let row: ConnectionRow;
    try {
      row = await this.repo.insert({
        name: input.name,
        connector_type: connector.type,
        description: input.description ?? null,
        tags: input.tags ?? {},
        config_encrypted: this.box.sealJson(config),
        key_id: this.box.activeKeyId,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(input.name);
      throw err;
    }
    this.log.info({ connectionId: row.id, connectorType: row.connector_type }, 'connection created');
    return this.toView(row, connector, config);
  }

  async update(id: number, input: UpdateConnectionInput): Promise<ConnectionView> {
    const current = await this.open(id);
    let config = current.config;
    let sealed: { config_encrypted: string; key_id: string } | undefined;
    if (input.config !== undefined) {
      const { merged, problems } = mergeConfig(current.connector, current.config, input.config);
      const parsed = parseConfig(current.connector, merged);
      if (problems.length > 0 || !parsed.config) throw SynqxError.validation([...problems, ...parsed.problems], 'invalid connection config');
      config = parsed.config;
      await this.box.refreshActive();
      sealed = { config_encrypted: this.box.sealJson(config), key_id: this.box.activeKeyId };
    }
    if (input.name !== undefined && (await this.repo.nameTaken(input.name, id))) throw duplicateName(input.name);
    let row: ConnectionRow | undefined;
    try {
      row = await this.repo.update(id, { name: input.name, description: input.description, tags: input.tags, ...sealed });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(input.name ?? '');
      throw err;
    }
    if (!row) throw SynqxError.notFound('connection', id);
    this.log.info({ connectionId: id, configChanged: sealed !== undefined }, 'connection updated');
    return this.toView(row, current.connector, config);
  }

  /**
   * Soft delete. Its assets stay as they are but become unreachable (every asset route 404s and
   * `findUsable` skips them), so pipeline validation can say an asset "belongs to a deleted
   * connection" rather than merely "is deleted".
   */
  async remove(id: number): Promise<void> {
    if (!(await this.repo.softDelete(id))) throw SynqxError.notFound('connection', id);
    this.log.info({ connectionId: id }, 'connection deleted');
  }

  /** Always answers (success or not) and records the outcome as the connection's health. */
  async test(id: number): Promise<TestResult> {
    const { connector, config } = await this.open(id);
    const result = await connector.test(config);
    await this.repo.setHealth(id, result.success ? 'healthy' : 'unhealthy');
    this.log.info({ connectionId: id, success: result.success, latencyMs: result.latency_ms, code: result.details.code }, 'connection tested');
    return result;
  }

  async discover(id: number, input: DiscoverInput = {}): Promise<DiscoverResult> {
    const { connector, config } = await this.open(id);
    const assets = await connector.discover(config, { schema: input.schema, includeViews: input.include_views ?? false });
    const created = input.create_assets ? await this.assets.registerDiscovered(id, connector, config, assets) : [];
    this.log.info({ connectionId: id, discovered: assets.length, created: created.length }, 'connection discovered');
    return { discovered_count: assets.length, assets, created_count: created.length, created_assets: created };
  }

  /** For the data plane: a live connection's connector and decrypted config. Never put it in an answer or a log. */
  async open(id: number): Promise<OpenedConnection> {
    const row = await this.live(id);
    const connector = requireConnector(row.connector_type);
    const stored = (await this.box.openJson(row.config_encrypted)) as ConfigObject;
    // Stored configs were parsed on write; parsing again fills defaults added since.
    return { row, connector, config: parseConfigOrThrow(connector, stored) };
  }

  /**
   * Rotates the vault key: a new key (new salt; from `masterPassword` when given, which the
   * service must then be started with), every connection re-sealed and the old keys retired, in
   * one transaction.
   */
  async rotateVaultKey(opts: { masterPassword?: string } = {}): Promise<{ key_id: string; resealed: number; retired_keys: number }> {
    const { key, result } = await this.box.rotate(
      (newKey, reseal) =>
        this.db.transaction(async (tx) => {
          const keys = new VaultKeyRepo(tx);
          const conns = new ConnectionRepo(tx);
          await keys.lock();
          await conns.lockForReseal();
          await keys.insert(newKey.record);
          const rows = await conns.allSealed();
          for (const r of rows) await conns.reseal(r.id, await reseal(r.config_encrypted), newKey.id);
          const retired = await keys.deactivateAllExcept(newKey.id);
          return { resealed: rows.length, retired_keys: retired };
        }),
      opts,
    );
    this.log.info({ keyId: key.id, ...result }, 'vault key rotated');
    return { key_id: key.id, ...result };
  }

  private async live(id: number): Promise<ConnectionRow> {
    const row = await this.repo.findLive(id);
    if (!row) throw SynqxError.notFound('connection', id);
    return row;
  }

  private async view(row: ConnectionRow): Promise<ConnectionView> {
    const connector = requireConnector(row.connector_type);
    return this.toView(row, connector, (await this.box.openJson(row.config_encrypted)) as ConfigObject);
  }

  private toView(row: ConnectionRow, connector: Connector, config: ConfigObject): ConnectionView {
    return {
      id: row.id,
      name: row.name,
      connector_type: row.connector_type,
      description: row.description,
      tags: row.tags,
      config: maskConfig(connector, config),
      health_status: row.health_status,
      last_test_at: row.last_test_at,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }
}

function duplicateName(name: string): SynqxError {
  return SynqxError.conflict(`a connection named "${name}" already exists`, { field: 'name' });
}
