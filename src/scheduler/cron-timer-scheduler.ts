import type { Logger } from '../platform/logger.js';
import { nextSlot, type PipelineSchedule, type ScheduleService } from '../services/schedule-service.js';
import type { SchedulerHandle } from './bullmq-scheduler.js';

/** setTimeout cannot wait longer than ~24.8 days; long waits are split and re-checked. */
const MAX_WAIT_MS = 60 * 60 * 1000;

interface Armed {
  timer: NodeJS.Timeout;
  cron: string;
  timezone: string;
  slot: Date;
}

/**
 * The embedded scheduler: one timer per scheduled pipeline, armed for its next slot as computed by
 * the same cron parser the API validates with (so every accepted expression runs exactly as
 * validated, aliases and 6-field seconds included). Slots are claimed through ScheduleService.fire,
 * so even two of these on one database never fire a slot twice. Slots missed while the process
 * was down or blocked are skipped, not replayed.
 */
export class CronTimerScheduler implements SchedulerHandle {
  private readonly armed = new Map<number, Armed>();
  private readonly firing = new Set<Promise<unknown>>();
  private resync: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly o: { logger: Logger; schedules: ScheduleService; schedulerId: string; resyncMs: number },
  ) {}

  get schedulerId(): string {
    return this.o.schedulerId;
  }

  async start(): Promise<void> {
    await this.syncAll();
    this.resync = setInterval(() => void this.syncAll().catch((err: unknown) => this.o.logger.warn({ err }, 'schedule sync failed')), this.o.resyncMs);
    this.resync.unref();
    this.o.logger.info({ schedulerId: this.o.schedulerId, pipelines: this.armed.size }, 'scheduler started (in process)');
  }

  async syncAll(): Promise<void> {
    const wanted = await this.o.schedules.scheduledPipelines();
    const ids = new Set(wanted.map((p) => p.id));
    for (const id of this.armed.keys()) if (!ids.has(id)) this.disarm(id);
    for (const p of wanted) this.arm(p);
  }

  async syncPipeline(pipelineId: number): Promise<void> {
    const p = await this.o.schedules.activeSchedule(pipelineId);
    if (p) this.arm(p);
    else this.disarm(pipelineId);
  }

  async nextSlot(pipelineId: number): Promise<Date | undefined> {
    return this.armed.get(pipelineId)?.slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.resync);
    for (const id of [...this.armed.keys()]) this.disarm(id);
    await Promise.allSettled([...this.firing]);
  }

  /** Arms the pipeline's next slot after `after`; an unchanged schedule keeps its timer unless forced. */
  private arm(p: PipelineSchedule, after?: Date): void {
    if (this.closed || !p.schedule_cron) return;
    const cron = p.schedule_cron.trim();
    const current = this.armed.get(p.id);
    if (!after && current && current.cron === cron && current.timezone === p.schedule_timezone) return;
    this.disarm(p.id);
    let slot: Date | undefined;
    try {
      slot = nextSlot(cron, p.schedule_timezone, after ?? new Date());
    } catch (err) {
      this.o.logger.warn({ pipelineId: p.id, err: (err as Error).message }, 'schedule cannot be computed; not armed');
      return;
    }
    if (slot) this.wait(p.id, cron, p.schedule_timezone, slot);
  }

  private wait(id: number, cron: string, timezone: string, slot: Date): void {
    const ms = Math.min(Math.max(0, slot.getTime() - Date.now()), MAX_WAIT_MS);
    const timer = setTimeout(() => this.tick(id, cron, timezone, slot), ms);
    timer.unref();
    this.armed.set(id, { timer, cron, timezone, slot });
  }

  private tick(id: number, cron: string, timezone: string, slot: Date): void {
    if (this.closed) return;
    if (Date.now() < slot.getTime()) return this.wait(id, cron, timezone, slot);
    const fired = this.o.schedules
      .fire({ pipelineId: id, slot, cron, timezone, schedulerId: this.o.schedulerId })
      .catch((err: unknown) => this.o.logger.error({ err, pipelineId: id }, 'schedule firing failed'))
      .finally(() => this.firing.delete(fired));
    this.firing.add(fired);
    // The next slot is armed at once, not after the firing, so a slow firing never skips a slot.
    this.arm({ id, schedule_cron: cron, schedule_timezone: timezone }, new Date(Math.max(slot.getTime(), Date.now())));
  }

  private disarm(id: number): void {
    const a = this.armed.get(id);
    if (a) clearTimeout(a.timer);
    this.armed.delete(id);
  }
}
