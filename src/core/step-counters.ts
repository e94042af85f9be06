/**
 * A step's row and byte counters, as step_runs stores them: the engine counts them at batch boundaries
 * and the store writes them, so the one shape lives here, below both.
 */
export interface StepCounters {
  records_in: number;
  records_out: number;
  records_filtered: number;
  records_error: number;
  bytes_processed: number;
}

export const zeroCounters = (): StepCounters => ({ records_in: 0, records_out: 0, records_filtered: 0, records_error: 0, bytes_processed: 0 });
