/**
 * The shape every end-to-end benchmark shares: cases that move the same source into a freshly reset
 * destination, run alternating (case A, B, C, A, B, C, …) so drift on a shared machine hits every case
 * alike, each run verified (a fast wrong answer is a failure), medians reported against a baseline.
 * Issue 5 adds cases (a transform pipeline, the REST API path, pgloader) without touching this file.
 */

export interface CaseRun {
  /** Wall-clock seconds the user waits, process start to exit. */
  seconds: number;
  /** Peak RSS of the SynqX process(es), when the case can measure it. */
  peakRssBytes?: number;
  /** Rows the case is expected to leave in the destination (default: every source row). */
  expectedRows?: number;
}

export interface BenchCase {
  name: string;
  description: string;
  /** Empties or re-creates the destination before each repetition (not timed). */
  reset(): Promise<void>;
  run(): Promise<CaseRun>;
  /** Whether the destination holds exactly what it should (not timed). */
  verify(run: CaseRun): Promise<{ ok: boolean; note?: string }>;
}

export interface CaseResult {
  name: string;
  description: string;
  seconds: number[];
  medianSeconds: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  /** Throughput as a fraction of the baseline case (the first one). */
  ratioVsBaseline: number;
  peakRssBytes?: number;
  verified: boolean;
  notes: string[];
}

export interface BenchOptions {
  rows: number;
  reps: number;
  /** Bytes of the source as binary COPY, for MB/s. */
  copyBytes: number;
  log?: (line: string) => void;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs every case `reps` times, alternating; the first case is the baseline of the ratios. */
export async function runCases(cases: BenchCase[], o: BenchOptions): Promise<CaseResult[]> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runs = new Map<string, CaseRun[]>(cases.map((c) => [c.name, []]));
  const notes = new Map<string, string[]>(cases.map((c) => [c.name, []]));
  const verified = new Map<string, boolean>(cases.map((c) => [c.name, true]));
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const c of cases) {
      await c.reset();
      const r = await c.run();
      const v = await c.verify(r);
      runs.get(c.name)!.push(r);
      if (!v.ok) verified.set(c.name, false);
      if (v.note) notes.get(c.name)!.push(`rep ${rep}: ${v.note}`);
      const rss = r.peakRssBytes === undefined ? '' : `, peak RSS ${mb(r.peakRssBytes)} MB`;
      log(`rep ${rep}/${o.reps} ${c.name}: ${r.seconds.toFixed(2)} s${rss}, ${v.ok ? 'verified' : `WRONG: ${v.note ?? ''}`}`);
    }
  }
  const results = cases.map((c): CaseResult => {
    const rs = runs.get(c.name)!;
    const seconds = rs.map((r) => r.seconds);
    const med = median(seconds);
    const rss = rs.map((r) => r.peakRssBytes).filter((b): b is number => b !== undefined);
    return {
      name: c.name,
      description: c.description,
      seconds,
      medianSeconds: med,
      rowsPerSecond: o.rows / med,
      mbPerSecond: o.copyBytes / 1e6 / med,
      ratioVsBaseline: 0,
      peakRssBytes: rss.length > 0 ? Math.max(...rss) : undefined,
      verified: verified.get(c.name)!,
      notes: notes.get(c.name)!,
    };
  });
  const base = results[0]!.medianSeconds;
  for (const r of results) r.ratioVsBaseline = base / r.medianSeconds;
  return results;
}

export function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** A fixed-width table for the terminal and for closing notes. */
export function formatTable(results: CaseResult[], o: { rows: number; copyBytes: number }): string {
  const head = ['case', 'median s', 'runs (s)', 'rows/s', 'MB/s', 'vs raw', 'peak RSS', 'checksum'];
  const rows = results.map((r) => [
    r.name,
    r.medianSeconds.toFixed(2),
    r.seconds.map((s) => s.toFixed(2)).join(' '),
    Math.round(r.rowsPerSecond).toLocaleString('en-US'),
    r.mbPerSecond.toFixed(1),
    `${r.ratioVsBaseline.toFixed(2)}×`,
    r.peakRssBytes === undefined ? '-' : `${mb(r.peakRssBytes)} MB`,
    r.verified ? 'ok' : 'MISMATCH',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const title = `${o.rows.toLocaleString('en-US')} rows, ${(o.copyBytes / 1e6).toFixed(0)} MB as binary COPY`;
  return [title, line(head), sep, ...rows.map(line)].join('\n');
}
