import { z } from 'zod';

// Config fields several transforms share, so they are checked (and documented) alike.

export const columnName = z.string().min(1);

const noRepeats = (names: string[]) => new Set(names).size === names.length;
const NO_REPEATS = { message: 'must not repeat a name' };

/** Column names, none twice; possibly none (aggregate's group_by). */
export const distinctColumnNames = z.array(columnName).refine(noRepeats, NO_REPEATS);

/** One or more column names, none twice (keys, selected columns). */
export const columnNames = z.array(columnName).min(1).refine(noRepeats, NO_REPEATS);
