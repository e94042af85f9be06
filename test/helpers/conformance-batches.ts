import { Float64, Int32, Utf8 } from 'apache-arrow';
import { col, makeBatch } from './arrow-batches.js';

// The inputs of the stream conformance checks (stream-conformance.test.ts and the fill_nulls
// strategies' own run of them): one schema, three shapes.

/** Four rows, one NULL in each column. */
export const input = () =>
  makeBatch({
    a: col(new Int32(), [1, 2, null, 3]),
    b: col(new Utf8(), ['x', null, 'z', 'w']),
    c: col(new Float64(), [0.5, null, 1.5, 2.5]),
  });

/** 60 rows with repeats and NULLs in every column, so keys collide across batches. */
export const many = () =>
  makeBatch({
    a: col(new Int32(), Array.from({ length: 60 }, (_, i) => (i % 11 === 0 ? null : i % 7))),
    b: col(new Utf8(), Array.from({ length: 60 }, (_, i) => (i % 5 === 0 ? null : `k${i % 4}`))),
    c: col(new Float64(), Array.from({ length: 60 }, (_, i) => (i % 6 === 0 ? null : i / 4))),
  });

/** Two rows, NULL everywhere. */
export const nulls = () => makeBatch({ a: col(new Int32(), [null, null]), b: col(new Utf8(), [null, null]), c: col(new Float64(), [null, null]) });
