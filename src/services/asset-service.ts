import type { Connector, DiscoveredAsset } from '../connectors/connector.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';
import { parseQualifiedName, quoteIdent } from '../core/sql.js';
import type { Logger } from '../platform/logger.js';
import type { Db } from '../store/db.js';
import { AssetRepo, type AssetRow, type AssetType, type UsableAsset } from '../store/repos/asset-repo.js';
import { ConnectionRepo, isUniqueViolation, type Page } from '../store/repos/connection-repo.js';
import { issueProblems, type ConfigObject } from './connection-config.js';

export interface CreateAssetInput {
  name: string;
  asset_type?: AssetType;
  fully_qualified_name?: string | null;
  is_source?: boolean;
  is_destination?: boolean;
  is_incremental_capable?: boolean;
  config?: ConfigObject;
  description?: string | null;
}

export type UpdateAssetInput = Partial<CreateAssetInput>;

export type AssetView = Omit<AssetRow, 'deleted_at'>;

/** How the asset service reaches a live connection's connector and config (404 when there is none). */
export type ConnectionOpener = (connectionId: number) => Promise<{ connector: Connector; config: ConfigObject }>;

interface Candidate {
  name: string;
  asset_type: AssetType;
  fully_qualified_name: string | null;
  is_destination: boolean;
  config: unknown;
}

/** Assets: the tables, views and queries registered under a connection, with per-asset options. */
export class AssetService {
  private readonly repo: AssetRepo;
  private readonly connections: ConnectionRepo;

  constructor(
    db: Db,
    private readonly openConnection: ConnectionOpener,
    private readonly log: Logger,
  ) {
    this.repo = new AssetRepo(db);
    this.connections = new ConnectionRepo(db);
  }

  async list(connectionId: number, page: Page) {
    await this.liveConnection(connectionId);
    const { rows, total } = await this.repo.list(connectionId, page);
    return { assets: rows.map(toView), total, limit: page.limit, offset: page.offset };
  }

  async get(connectionId: number, assetId: number): Promise<AssetView> {
    await this.liveConnection(connectionId);
    return toView(await this.live(connectionId, assetId));
  }

  /** Problems with an asset's options for a create request, for one 422 together with the rest. */
  async optionsProblems(connectionId: number, raw: Record<string, unknown>): Promise<FieldProblem[]> {
    const { connector } = await this.openConnection(connectionId);
    const type = raw.asset_type ?? 'table';
    const candidate: Candidate = {
      name: typeof raw.name === 'string' ? raw.name : '',
      asset_type: (['table', 'view', 'query'].includes(type as string) ? type : 'table') as AssetType,
      fully_qualified_name: typeof raw.fully_qualified_name === 'string' ? raw.fully_qualified_name : null,
      is_destination: raw.is_destination === true,
      config: raw.config ?? {},
    };
    return checkAsset(connector, candidate).problems;
  }

  async create(connectionId: number, input: CreateAssetInput): Promise<AssetView> {
    const { connector, config } = await this.openConnection(connectionId);
    const assetType = input.asset_type ?? 'table';
    const fqn = input.fully_qualified_name ?? defaultFqn(connector, config, assetType, input.name);
    const candidate = { name: input.name, asset_type: assetType, fully_qualified_name: fqn, is_destination: input.is_destination ?? false, config: input.config ?? {} };
    const options = checkedOptions(connector, candidate);
    if (await this.repo.nameTaken(connectionId, input.name)) throw duplicateName(input.name);
    const row = await this.insertOrConflict(() =>
      this.repo.insert({
        connection_id: connectionId,
        name: input.name,
        asset_type: assetType,
        fully_qualified_name: fqn,
        is_source: input.is_source ?? true,
        is_destination: input.is_destination ?? false,
        is_incremental_capable: input.is_incremental_capable ?? false,
        config: options,
        schema_metadata: null,
        description: input.description ?? null,
      }),
      input.name,
    );
    this.log.info({ connectionId, assetId: row.id }, 'asset created');
    return toView(row);
  }

  async update(connectionId: number, assetId: number, input: UpdateAssetInput): Promise<AssetView> {
    const { connector, config } = await this.openConnection(connectionId);
    const current = await this.live(connectionId, assetId);
    const name = input.name ?? current.name;
    const assetType = input.asset_type ?? current.asset_type;
    let fqn = input.fully_qualified_name === undefined ? current.fully_qualified_name : input.fully_qualified_name;
    // A default name follows a rename; one the user wrote stays as written.
    if (input.fully_qualified_name === undefined && current.fully_qualified_name === defaultFqn(connector, config, current.asset_type, current.name)) {
      fqn = defaultFqn(connector, config, assetType, name);
    }
    const mergedConfig: ConfigObject = { ...current.config };
    for (const [k, v] of Object.entries(input.config ?? {})) {
      if (v === null) delete mergedConfig[k];
      else mergedConfig[k] = v;
    }
    const isDestination = input.is_destination ?? current.is_destination;
    const options = checkedOptions(connector, { name, asset_type: assetType, fully_qualified_name: fqn, is_destination: isDestination, config: mergedConfig });
    if (input.name !== undefined && (await this.repo.nameTaken(connectionId, name, assetId))) throw duplicateName(name);
    const row = await this.insertOrConflict(
      () =>
        this.repo.update(connectionId, assetId, {
          name: input.name,
          asset_type: input.asset_type,
          fully_qualified_name: fqn,
          is_source: input.is_source,
          is_destination: input.is_destination,
          is_incremental_capable: input.is_incremental_capable,
          config: options,
          description: input.description,
        }),
      name,
    );
    if (!row) throw SynqxError.notFound('asset', assetId);
    this.log.info({ connectionId, assetId }, 'asset updated');
    return toView(row);
  }

  async remove(connectionId: number, assetId: number): Promise<void> {
    await this.liveConnection(connectionId);
    if (!(await this.repo.softDelete(connectionId, assetId))) throw SynqxError.notFound('asset', assetId);
    this.log.info({ connectionId, assetId }, 'asset deleted');
  }

  /** Registers discovered tables that no live asset names yet (by name or qualified name); returns the new ones. */
  async registerDiscovered(connectionId: number, connector: Connector, config: ConfigObject, found: DiscoveredAsset[]): Promise<AssetView[]> {
    const { names, fqns } = await this.repo.liveKeys(connectionId);
    const home = connector.defaultNamespace(config);
    const created: AssetView[] = [];
    for (const d of found) {
      const name = d.schema === home ? d.name : `${d.schema}.${d.name}`;
      const fqn = qualify(d.schema, d.name);
      if (names.has(name.toLowerCase()) || fqns.has(fqn.toLowerCase())) continue;
      try {
        const row = await this.repo.insert({
          connection_id: connectionId,
          name,
          asset_type: d.type,
          fully_qualified_name: fqn,
          is_source: true,
          is_destination: false,
          is_incremental_capable: false,
          config: connector.assetOptionsSchema.parse({}) as ConfigObject,
          schema_metadata: { columns: d.columns, primary_key: d.primary_key, row_count: d.row_count, size_bytes: d.size_bytes, discovered_at: new Date().toISOString() },
          description: null,
        });
        names.add(name.toLowerCase());
        created.push(toView(row));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err; // registered concurrently: it exists, which is what we wanted
      }
    }
    return created;
  }

  /** For pipeline validation: the live assets of live connections among these ids. */
  findUsable(ids: readonly number[]): Promise<UsableAsset[]> {
    return this.repo.findUsable(ids);
  }

  private async liveConnection(connectionId: number): Promise<void> {
    if (!(await this.connections.findLive(connectionId))) throw SynqxError.notFound('connection', connectionId);
  }

  private async live(connectionId: number, assetId: number): Promise<AssetRow> {
    const row = await this.repo.findLive(connectionId, assetId);
    if (!row) throw SynqxError.notFound('asset', assetId);
    return row;
  }

  private async insertOrConflict<T>(fn: () => Promise<T>, name: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(name);
      throw err;
    }
  }
}

function checkAsset(connector: Connector, a: Candidate): { options?: ConfigObject; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const r = connector.assetOptionsSchema.safeParse(a.config);
  if (!r.success) problems.push(...issueProblems(r.error, 'config'));
  const query = (a.config as { query?: unknown } | null)?.query;
  if (a.asset_type === 'query' && query === undefined) {
    problems.push({ field: 'config.query', message: 'required when asset_type is query', error_type: 'required' });
  }
  if (a.asset_type !== 'query' && query !== undefined) {
    problems.push({ field: 'config.query', message: 'only allowed when asset_type is query', error_type: 'not_allowed' });
  }
  if (a.is_destination && a.asset_type !== 'table') {
    problems.push({ field: 'is_destination', message: `a ${a.asset_type} cannot be a destination; only tables can`, error_type: 'not_allowed' });
  }
  if (a.fully_qualified_name !== null && a.asset_type !== 'query') {
    try {
      parseQualifiedName(a.fully_qualified_name);
    } catch (err) {
      problems.push({ field: 'fully_qualified_name', message: (err as Error).message, error_type: 'invalid_name' });
    }
  }
  return { options: r.success ? (r.data as ConfigObject) : undefined, problems };
}

function checkedOptions(connector: Connector, a: Candidate): ConfigObject {
  const { options, problems } = checkAsset(connector, a);
  if (problems.length > 0 || !options) throw SynqxError.validation(problems, 'invalid asset');
  return options;
}

// Quotes a part only when a plain reading would split or misread it; case is kept either way.
const part = (s: string) => (/[."]/.test(s) || s.trim() !== s ? quoteIdent(s) : s);

export function qualify(schema: string | undefined, name: string): string {
  return schema ? `${part(schema)}.${part(name)}` : part(name);
}

function defaultFqn(connector: Connector, config: ConfigObject, type: AssetType, name: string): string | null {
  return type === 'query' ? null : qualify(connector.defaultNamespace(config), name);
}

function toView(row: AssetRow): AssetView {
  const { deleted_at: _deleted, ...view } = row;
  return view;
}

function duplicateName(name: string): SynqxError {
  return SynqxError.conflict(`an asset named "${name}" already exists on this connection`, { field: 'name' });
}
