import { connectorTypeNames } from '../connectors/registry.js';
import { nextFireTime } from '../core/cron.js';
import { SynqxError, type FieldProblem } from '../core/errors.js';
import type { CreatePipelineInput, NewVersionInput, PipelineUpdate, ScheduleFields, VersionDefinition } from '../core/pipeline.js';
import type { ExecutionPlan, PlanInput } from '../engine/plan/compile.js';
import type { Queryable } from '../store/db.js';
import { pipelineRepo, type PipelineListOptions, type PipelineRow, type PipelineRunTotals } from '../store/repos/pipeline-repo.js';
import { pipelineVersionRepo, type VersionDetail, type VersionRow } from '../store/repos/pipeline-version-repo.js';
import type { ServiceDeps } from './container.js';
import {
  checkVersion,
  cronAndZoneProblems,
  enabledWithoutCron,
  isRecord,
  mergeProblems,
  prefixed,
  salvageVersion,
  validationError,
  warningText,
  type BodyCheck,
} from './pipeline-validation.js';

export type PipelineDetail = PipelineRow & { current_version_detail: VersionDetail | null };

/** Fired after a commit that created, archived, or changed the schedule-relevant fields of a pipeline. */
export interface PipelineChange {
  kind: 'created' | 'updated' | 'archived';
  pipelineId: number;
  schedule: ScheduleFields;
}
export type PipelineChangeListener = (change: PipelineChange) => void;

export interface ValidationResult {
  valid: boolean;
  errors: FieldProblem[];
  warnings: string[];
  version_id: number | null;
}

export type PipelineStats = Omit<PipelineRunTotals, 'runs_by_status' | 'first_run_at' | 'total_records_failed' | 'total_bytes_processed'> & {
  pipeline_id: number;
  success_rate: number;
  next_scheduled_run: Date | null;
};
export type PipelineMetrics = PipelineStats & Pick<PipelineRunTotals, 'runs_by_status' | 'first_run_at' | 'total_records_failed' | 'total_bytes_processed'>;

export interface PipelineServiceOptions {
  /** Valid operator_class values of extract/load nodes; defaults to the connector registry. */
  connectorTypes?: readonly string[];
}

const scheduleOf = (p: PipelineRow): ScheduleFields => ({
  schedule_cron: p.schedule_cron,
  schedule_enabled: p.schedule_enabled,
  schedule_timezone: p.schedule_timezone,
  status: p.status,
});

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && (e.constraint === undefined || e.constraint === constraint);
}

/** Pipelines and their versions: create, change, version, publish, validate, and report run totals. */
export class PipelineService {
  private readonly listeners = new Set<PipelineChangeListener>();
  private readonly connectorTypes: readonly string[];

  constructor(
    readonly deps: ServiceDeps,
    opts: PipelineServiceOptions = {},
  ) {
    this.connectorTypes = opts.connectorTypes ?? connectorTypeNames();
  }

  /** The scheduler subscribes here; returns the unsubscribe function. */
  onChange(listener: PipelineChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates everything, then creates the pipeline with version 1 published, in one transaction. */
  async create(input: BodyCheck<CreatePipelineInput>): Promise<PipelineDetail> {
    const raw = isRecord(input.raw) ? input.raw : {};
    const data = input.data;
    const check = await checkVersion(this.deps.db, data ? data.initial_version : salvageVersion(raw.initial_version), this.connectorTypes);
    const fields = data ?? raw;
    const semantic = [
      ...cronAndZoneProblems(fields),
      ...enabledWithoutCron(fields.schedule_enabled, fields.schedule_cron),
      ...prefixed(check.errors, 'initial_version'),
    ];
    const problems = mergeProblems(input.problems, semantic);
    if (problems.length > 0 || !data) throw validationError(problems);
    const id = await this.uniqueName(data.name, () =>
      this.deps.db.transaction(async (tx) => {
        const id = await pipelineRepo.insert(tx, { ...data, schedule_cron: data.schedule_cron?.trim() || null });
        const version = await pipelineVersionRepo.create(tx, id, data.initial_version);
        await pipelineVersionRepo.publish(tx, id, version.id);
        return id;
      }),
    );
    const created = await this.get(id);
    this.deps.logger.info({ pipelineId: id, name: created.name }, 'pipeline created');
    this.emit('created', created);
    return created;
  }

  async list(opts: PipelineListOptions): Promise<{ pipelines: PipelineRow[]; total: number; limit: number; offset: number }> {
    const { rows, total } = await pipelineRepo.list(this.deps.db, opts);
    return { pipelines: rows, total, limit: opts.limit, offset: opts.offset };
  }

  async get(id: number, q: Queryable = this.deps.db): Promise<PipelineDetail> {
    const p = await this.pipeline(id, q);
    const detail = p.current_version_id === null ? undefined : await pipelineVersionRepo.get(q, id, p.current_version_id);
    return { ...p, current_version_detail: detail ?? null };
  }

  /** Pipeline fields only. Checks the schedule as it will be after the change. */
  async update(id: number, input: BodyCheck<PipelineUpdate>): Promise<PipelineDetail> {
    const before = await this.pipeline(id);
    const patch: Record<string, unknown> = input.data ?? (isRecord(input.raw) ? input.raw : {});
    const after = (k: 'schedule_cron' | 'schedule_enabled') => (k in patch ? patch[k] : before[k]);
    const blame = 'schedule_cron' in patch && !('schedule_enabled' in patch) ? 'schedule_cron' : 'schedule_enabled';
    const semantic = [...cronAndZoneProblems(patch), ...enabledWithoutCron(after('schedule_enabled'), after('schedule_cron'), blame)];
    const problems = mergeProblems(input.problems, semantic);
    if (problems.length > 0 || !input.data) throw validationError(problems);
    const data = input.data;
    const change = 'schedule_cron' in data ? { ...data, schedule_cron: data.schedule_cron?.trim() || null } : data;
    await this.uniqueName(data.name ?? before.name, () => pipelineRepo.update(this.deps.db, id, change));
    const updated = await this.get(id);
    if (JSON.stringify(scheduleOf(before)) !== JSON.stringify(scheduleOf(updated))) this.emit('updated', updated);
    return updated;
  }

  /** Soft delete: status `archived`, hidden from the default list, name free for reuse. Idempotent. */
  async archive(id: number): Promise<void> {
    const before = await this.pipeline(id);
    if (before.status === 'archived') return;
    await pipelineRepo.update(this.deps.db, id, { status: 'archived' });
    this.deps.logger.info({ pipelineId: id }, 'pipeline archived');
    this.emit('archived', await this.pipeline(id));
  }

  async listVersions(id: number): Promise<{ versions: VersionRow[]; total: number }> {
    await this.pipeline(id);
    const versions = await pipelineVersionRepo.list(this.deps.db, id);
    return { versions, total: versions.length };
  }

  async getVersion(id: number, versionId: number): Promise<VersionDetail> {
    await this.pipeline(id);
    const v = await pipelineVersionRepo.get(this.deps.db, id, versionId);
    if (!v) throw SynqxError.notFound(`version ${versionId} of pipeline`, id);
    return v;
  }

  /** Version N+1, validated as a whole; published at once only when asked. */
  async createVersion(id: number, input: BodyCheck<NewVersionInput>): Promise<VersionDetail> {
    this.assertNotArchived(await this.pipeline(id));
    const data = input.data;
    const check = await checkVersion(this.deps.db, data ?? salvageVersion(input.raw), this.connectorTypes);
    const problems = mergeProblems(input.problems, check.errors);
    if (problems.length > 0 || !data) throw validationError(problems);
    const created = await this.deps.db.transaction(async (tx) => {
      if (!(await pipelineRepo.lock(tx, id))) throw SynqxError.notFound('pipeline', id);
      const v = await pipelineVersionRepo.create(tx, id, data);
      if (data.publish) await pipelineVersionRepo.publish(tx, id, v.id);
      return (await pipelineVersionRepo.get(tx, id, v.id))!;
    });
    this.deps.logger.info({ pipelineId: id, version: created.version, published: created.is_published }, 'pipeline version created');
    return created;
  }

  /** Switches the published version; re-checks it first, since its assets may have been deleted since it was saved. */
  async publish(id: number, versionId: number) {
    this.assertNotArchived(await this.pipeline(id));
    const version = await this.getVersion(id, versionId);
    const check = await checkVersion(this.deps.db, version, this.connectorTypes);
    if (check.errors.length > 0) throw validationError(check.errors);
    const row = await this.deps.db.transaction(async (tx) => {
      if (!(await pipelineRepo.lock(tx, id))) throw SynqxError.notFound('pipeline', id);
      return pipelineVersionRepo.publish(tx, id, versionId);
    });
    if (!row) throw SynqxError.notFound(`version ${versionId} of pipeline`, id);
    this.deps.logger.info({ pipelineId: id, version: row.version }, 'pipeline version published');
    return {
      message: `version ${row.version} of pipeline ${id} is published`,
      pipeline_id: id,
      version_id: row.id,
      version_number: row.version,
      published_at: row.published_at!,
    };
  }

  /**
   * Validates a candidate version (never stored), a stored version, or by default the published
   * one, plus the pipeline's schedule. Problems are answered, not thrown.
   */
  async validate(id: number, req: { versionId?: number; candidate?: BodyCheck<VersionDefinition> }): Promise<ValidationResult> {
    const p = await this.pipeline(id);
    const schedule = [...cronAndZoneProblems(p), ...enabledWithoutCron(p.schedule_enabled, p.schedule_cron)];
    let target: PlanInput | undefined;
    let shape: FieldProblem[] = [];
    let versionId: number | null = null;
    if (req.candidate) {
      target = req.candidate.data ?? salvageVersion(req.candidate.raw);
      shape = req.candidate.problems;
    } else {
      const v = req.versionId ? await this.getVersion(id, req.versionId) : await pipelineVersionRepo.published(this.deps.db, id);
      if (v) [target, versionId] = [v, v.id];
      else shape = [{ field: 'version_id', message: 'the pipeline has no published version', error_type: 'no_published_version' }];
    }
    const check = target ? await checkVersion(this.deps.db, target, this.connectorTypes) : { errors: [], warnings: [] };
    const errors = [...schedule, ...mergeProblems(shape, check.errors)];
    return { valid: errors.length === 0, errors, warnings: check.warnings.map(warningText), version_id: versionId };
  }

  /** The execution plan of a stored version (the published one by default), for the runner. */
  async compile(id: number, versionId?: number): Promise<{ version: VersionDetail; plan: ExecutionPlan }> {
    const version = versionId ? await this.getVersion(id, versionId) : await pipelineVersionRepo.published(this.deps.db, id);
    if (!version) throw new SynqxError('CONFLICT', `pipeline ${id} has no published version`);
    const check = await checkVersion(this.deps.db, version, this.connectorTypes);
    if (!check.plan) throw validationError(check.errors);
    return { version, plan: check.plan };
  }

  async stats(id: number): Promise<PipelineStats> {
    const { runs_by_status: _s, first_run_at: _f, total_records_failed: _r, total_bytes_processed: _b, ...stats } = await this.metrics(id);
    return stats;
  }

  async metrics(id: number): Promise<PipelineMetrics> {
    const p = await this.pipeline(id);
    const totals = await pipelineRepo.runTotals(this.deps.db, id);
    const finished = totals.successful_runs + totals.failed_runs + totals.cancelled_runs;
    const successRate = finished === 0 ? 0 : Math.round((totals.successful_runs / finished) * 10_000) / 100;
    return { pipeline_id: id, ...totals, success_rate: successRate, next_scheduled_run: nextRun(p) };
  }

  private async pipeline(id: number, q: Queryable = this.deps.db): Promise<PipelineRow> {
    const p = await pipelineRepo.get(q, id);
    if (!p) throw SynqxError.notFound('pipeline', id);
    return p;
  }

  private assertNotArchived(p: PipelineRow): void {
    if (p.status === 'archived') throw SynqxError.conflict(`pipeline ${p.id} is archived; restore it with PATCH {"status": "active"} first`);
  }

  /** The partial unique index decides (race-free); its violation becomes a 409 naming the clash. */
  private async uniqueName<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err, 'pipelines_name_live')) {
        throw SynqxError.conflict(`a pipeline named "${name}" already exists`, [{ field: 'name', message: 'name already in use', error_type: 'duplicate_name' }]);
      }
      throw err;
    }
  }

  private emit(kind: PipelineChange['kind'], p: PipelineRow): void {
    const change: PipelineChange = { kind, pipelineId: p.id, schedule: scheduleOf(p) };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.deps.logger.error({ err, pipelineId: p.id }, 'pipeline change listener failed');
      }
    }
  }
}

function nextRun(p: PipelineRow): Date | null {
  if (!p.schedule_enabled || p.status !== 'active' || !p.schedule_cron) return null;
  try {
    return nextFireTime(p.schedule_cron, p.schedule_timezone, new Date()) ?? null;
  } catch {
    return null; // a stored schedule that no longer parses (e.g. a zone removed from tzdata) has no next run
  }
}
