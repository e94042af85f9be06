import type { Db } from '../store/db.js';
import { loadCheckpointRepo } from '../store/repos/load-checkpoint-repo.js';
import { runRepo, type StepRunRow } from '../store/repos/run-repo.js';

/** Where a chunked load resumes: rows (of its input) and chunks its retry chain already committed. */
export interface ResumePoint {
  rowsCommitted: number;
  chunks: number;
}

/** What plan-to-graph needs to make chunked loads resumable; the runner implements it over the store. */
export interface ChunkCheckpoints {
  resumeFrom(nodeKey: string, destinationAssetId: number): Promise<ResumePoint | undefined>;
  /** Awaited by the sink after each chunk's COMMIT; chunk and rows are totals over the retry chain. */
  chunkCommitted(nodeKey: string, destinationAssetId: number, committed: { chunk: number; rowsCommitted: number; rowsInChunk: number }): Promise<void>;
  /** A step log line (e.g. why a resume may be inexact). */
  note(nodeKey: string, level: 'info' | 'warning', message: string): Promise<void>;
}

/**
 * Records chunked-load progress of one job execution in load_checkpoints, keyed by the root of the
 * job's retry chain so that both a re-run of the job and a retry job (retry_of_job_id) find it, and
 * writes a step log line per chunk. A failed checkpoint write fails the load: committing more chunks
 * than are recorded would make the next retry load them twice.
 */
export class StoreChunkCheckpoints implements ChunkCheckpoints {
  /** The chunked loads of this execution (plan-to-graph asks each for its resume point once). */
  private readonly loads = new Set<string>();

  private constructor(
    private readonly db: Db,
    private readonly jobId: number,
    readonly rootJobId: number,
    private readonly steps: Map<string, StepRunRow>,
  ) {}

  static async forJob(db: Db, jobId: number, steps: Map<string, StepRunRow>): Promise<StoreChunkCheckpoints> {
    return new StoreChunkCheckpoints(db, jobId, await loadCheckpointRepo.rootJobId(db, jobId), steps);
  }

  async resumeFrom(nodeKey: string, destinationAssetId: number): Promise<ResumePoint | undefined> {
    this.loads.add(nodeKey);
    const row = await loadCheckpointRepo.latestOpen(this.db, { rootJobId: this.rootJobId, nodeKey, destinationAssetId });
    if (!row || row.rows_committed === 0) return undefined;
    await this.note(nodeKey, 'info', `resuming after ${row.rows_committed} rows committed in ${row.chunks} chunk(s) by an earlier attempt (job ${row.job_id})`);
    return { rowsCommitted: row.rows_committed, chunks: row.chunks };
  }

  async chunkCommitted(nodeKey: string, destinationAssetId: number, c: { chunk: number; rowsCommitted: number; rowsInChunk: number }): Promise<void> {
    await loadCheckpointRepo.upsert(this.db, { rootJobId: this.rootJobId, nodeKey, destinationAssetId }, this.jobId, c.rowsCommitted, c.chunk);
    const row = this.steps.get(nodeKey);
    const message = `committed chunk ${c.chunk}: ${c.rowsCommitted} rows in total`;
    const meta = { chunk: c.chunk, rows_committed: c.rowsCommitted, rows_in_chunk: c.rowsInChunk };
    if (row) await runRepo.appendStepLog(this.db, row.id, 'info', message, meta, 'runner');
  }

  async note(nodeKey: string, level: 'info' | 'warning', message: string): Promise<void> {
    const row = this.steps.get(nodeKey);
    if (row) await runRepo.appendStepLog(this.db, row.id, level, message, undefined, 'runner');
    else await runRepo.appendJobLog(this.db, this.jobId, level, `${nodeKey}: ${message}`, undefined, 'runner');
  }

  /** The run succeeded, so every chunked load finished: a later run of the chain must not skip anything. */
  async completed(): Promise<void> {
    await loadCheckpointRepo.complete(this.db, this.rootJobId, [...this.loads]);
  }
}
