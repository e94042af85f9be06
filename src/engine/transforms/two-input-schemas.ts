import type { Schema } from 'apache-arrow';
import { SynqxError } from '../../core/errors.js';
import { sameFields } from './join-plan.js';

/**
 * The columns of a two-input operator's inputs (join, merge): from the first batch each sends, checked
 * against every later one, or — for an input that ends without a batch — from the schemas the
 * planner declared. `roles` names input 0 and input 1 in messages (left/right, primary/delta).
 */
export class TwoInputSchemas {
  private readonly seen: (Schema | undefined)[] = [undefined, undefined];
  private declared: readonly Schema[] | undefined;

  constructor(
    private readonly op: string,
    private readonly roles: readonly [string, string],
  ) {}

  /** The planner's input schemas, in input order; exactly two. */
  declare(inputs: readonly Schema[]): readonly [Schema, Schema] {
    if (inputs.length !== 2) {
      throw new SynqxError('DATA_ERROR', `${this.op}: needs exactly 2 inputs (${this.roles.join(', ')}), got ${inputs.length}`);
    }
    this.declared = inputs;
    return [inputs[0]!, inputs[1]!];
  }

  /** Records the first batch's columns of `input`; a later batch with other columns is an error. */
  remember(input: number, schema: Schema): void {
    const known = this.seen[input];
    if (known === undefined) this.seen[input] = schema;
    else if (!sameFields(known, schema)) {
      throw new SynqxError('DATA_ERROR', `${this.op}: a batch of the ${this.roles[input]} input changed its columns mid-stream`);
    }
  }

  /** Both inputs' columns, or an error naming the first input whose columns are unknown. */
  both(): readonly [Schema, Schema] {
    const [a, b] = [0, 1].map((i) => this.seen[i] ?? this.declared?.[i]);
    if (!a || !b) throw new SynqxError('DATA_ERROR', `${this.op}: the ${this.roles[a ? 1 : 0]} input sent no batch, so its columns are unknown`);
    return [a, b];
  }
}
