import type { MetricsService } from './metrics-service.js';
import type { RunService } from './run-service.js';
import type { ScheduleService } from './schedule-service.js';

/** The members the trigger, jobs, runs and metrics routes need on `Services` (created by createDispatch). */
export interface DispatchServices {
  runs: RunService;
  schedules: ScheduleService;
  metrics: MetricsService;
}
