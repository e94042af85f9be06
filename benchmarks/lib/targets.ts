import type { CaseResult } from './bench-runner.js';

/** Issue 5's targets, checked on one run's results (and, with an earlier run at another size, scaling). */
export interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
}

export interface EarlierRun {
  rows: number;
  cases: { name: string; seconds_median: number; peak_rss_bytes: number | null }[];
}

const MB = 1024 * 1024;

export function checkTargets(results: CaseResult[], rows: number, earlier?: EarlierRun): TargetCheck[] {
  const by = (name: string) => results.find((r) => r.name === name);
  const raw = by('raw psql pipe');
  const copy = by('synqx copy');
  const run = by('synqx run (transforms)');
  const api = by('REST API run');
  const pgl = by('pgloader');
  const checks: TargetCheck[] = [];
  const add = (target: string, value: string, met: boolean | null) => checks.push({ target, value, met });
  if (raw && copy) add('(b) synqx copy ≥ 0.85× raw', `${copy.ratioVsBaseline.toFixed(2)}×`, copy.ratioVsBaseline >= 0.85);
  if (raw && run) add('(c) transform run ≥ 0.70× raw', `${run.ratioVsBaseline.toFixed(2)}×`, run.ratioVsBaseline >= 0.7);
  if (run && api) {
    const diff = api.medianSeconds / run.medianSeconds - 1;
    add('(d) API run within 5% of (c)', `${diff >= 0 ? '+' : ''}${(diff * 100).toFixed(1)}%`, Math.abs(diff) <= 0.05);
  }
  if (copy && pgl) {
    const x = pgl.medianSeconds / copy.medianSeconds;
    add('(b) ≥ 4× pgloader', `${x.toFixed(1)}×`, x >= 4);
  } else if (copy) add('(b) ≥ 4× pgloader', 'pgloader not run', null);
  const rss = results.filter((r) => r.peakRssBytes !== undefined);
  if (rss.length > 0) {
    const worst = Math.max(...rss.map((r) => r.peakRssBytes!));
    add('peak RSS ≤ 300 MB (every SynqX case)', `${(worst / MB).toFixed(0)} MB`, worst <= 300 * MB);
  }
  if (earlier && earlier.rows !== rows) {
    const factor = rows / earlier.rows;
    for (const r of results) {
      const e = earlier.cases.find((c) => c.name === r.name);
      if (!e) continue;
      const growth = r.medianSeconds / e.seconds_median;
      add(`${r.name}: time × ${factor} rows = ${factor}× ± 15%`, `${growth.toFixed(2)}×`, Math.abs(growth / factor - 1) <= 0.15);
      if (r.peakRssBytes !== undefined && e.peak_rss_bytes) {
        const g = r.peakRssBytes / e.peak_rss_bytes - 1;
        add(`${r.name}: peak RSS grows < 10% over ${earlier.rows.toLocaleString('en-US')} rows`, `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`, g < 0.1);
      }
    }
  }
  return checks;
}

export function formatTargets(checks: TargetCheck[]): string {
  if (checks.length === 0) return '';
  const mark = (m: boolean | null) => (m === null ? 'n/a ' : m ? 'met ' : 'MISS');
  return ['targets:', ...checks.map((c) => `  ${mark(c.met)}  ${c.target}: ${c.value}`)].join('\n');
}
