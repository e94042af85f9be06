/** Human numbers for log lines: `1,000,000`, `3.4 s`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSeconds(seconds: number): string {
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds).toString()} s`;
}

export function formatRate(rows: number, seconds: number): string {
  return seconds > 0 ? `${formatCount(Math.round(rows / seconds))} rows/s` : 'n/a rows/s';
}
