import type { TestFn } from 'ava';
import type { Connector } from '../../src/connectors/connector.js';
import { findConnector } from '../../src/connectors/registry.js';

/**
 * The suite every connector in the registry passes. A connector supplies a fixture: configs for a
 * real target (each carrying a recognisable secret) and a way to create a table there.
 */
export interface ConformanceTarget {
  /** A valid raw config that reaches the real target and holds `secret`. */
  config: unknown;
  secret: string;
  /** Creates a table (with a primary key `id` and `rows` rows) in the namespace `discover` lists by default. */
  createTable(name: string, rows: number): Promise<void>;
  close(): Promise<void>;
}

export interface RejectingTarget {
  /** A valid raw config whose credentials the target rejects. */
  config: unknown;
  secret: string;
  /** Text the rejection must contain (the server's own words). */
  expect: RegExp;
  close(): Promise<void>;
}

export interface ConformanceFixture {
  connector: Connector;
  /** Raw configs the spec must refuse, and a field each refusal must name. */
  invalidConfigs: { name: string; config: unknown; field: string }[];
  target(): Promise<ConformanceTarget>;
  /** A valid config whose target does not answer (closed port); holds `secret`. */
  unreachable(secret: string): unknown;
  /** Targets that answer with a refusal (wrong password, unknown database…). */
  rejecting: { name: string; open(): Promise<RejectingTarget> }[];
}

const fieldsOf = (issues: { path: PropertyKey[]; code: string; keys?: string[] }[]) =>
  issues.flatMap((i) => (i.code === 'unrecognized_keys' && i.keys ? i.keys : [i.path.map(String).join('.')]));

export function connectorConformance(test: TestFn, f: ConformanceFixture): void {
  const c = f.connector;
  const name = (s: string) => `${c.type} conformance: ${s}`;

  test(name('is listed in the registry under its type and every alias'), (t) => {
    t.is(findConnector(c.type), c);
    for (const alias of c.aliases) t.is(findConnector(alias), c, alias);
  });

  test(name('the config spec refuses bad configs, naming the field'), (t) => {
    t.true(f.invalidConfigs.length > 0);
    for (const bad of f.invalidConfigs) {
      const r = c.configSchema.safeParse(bad.config);
      t.false(r.success, bad.name);
      if (!r.success) t.true(fieldsOf(r.error.issues as never).includes(bad.field), `${bad.name}: ${JSON.stringify(r.error.issues)}`);
    }
    t.false(c.configSchema.safeParse({ no_such_option: true }).success, 'strict: unknown keys are refused');
  });

  test(name('secrets are listed, and the config secret is among its secret values'), async (t) => {
    t.true(c.secretFields.length > 0);
    const target = await f.target();
    t.teardown(() => target.close());
    const config = c.configSchema.parse(target.config);
    t.true(c.secretValues(config).includes(target.secret));
    t.true(c.secretFields.some((k) => (config as Record<string, unknown>)[k] !== undefined));
  });

  test(name('asset options have a strict schema with defaults for an empty object'), (t) => {
    t.true(c.assetOptionsSchema.safeParse({}).success);
    t.false(c.assetOptionsSchema.safeParse({ no_such_option: 1 }).success);
  });

  test(name('test() succeeds against the real target and reports latency'), async (t) => {
    const target = await f.target();
    t.teardown(() => target.close());
    const r = await c.test(c.configSchema.parse(target.config));
    t.true(r.success, r.message);
    t.true(r.latency_ms >= 0);
    t.false(JSON.stringify(r).includes(target.secret));
  });

  test(name('test() reports an unreachable target as failure, without the secret'), async (t) => {
    const secret = `unreachable-${Math.random().toString(36).slice(2)}`;
    const r = await c.test(c.configSchema.parse(f.unreachable(secret)));
    t.false(r.success);
    t.true(r.message.length > 0);
    t.false(JSON.stringify(r).includes(secret));
  });

  for (const rej of f.rejecting) {
    test(name(`test() reports ${rej.name} with the server's error text, without the secret`), async (t) => {
      const target = await rej.open();
      t.teardown(() => target.close());
      const r = await c.test(c.configSchema.parse(target.config));
      t.false(r.success);
      t.regex(r.message, target.expect);
      t.false(JSON.stringify(r).includes(target.secret));
    });
  }

  test(name('discover() lists created tables with columns and primary key'), async (t) => {
    const target = await f.target();
    t.teardown(() => target.close());
    await target.createTable('conformance_items', 3);
    const found = await c.discover(c.configSchema.parse(target.config));
    const table = found.find((a) => a.name === 'conformance_items');
    t.truthy(table, JSON.stringify(found.map((a) => a.name)));
    t.is(table!.type, 'table');
    t.true(table!.columns.some((col) => col.name === 'id'));
    t.deepEqual(table!.primary_key, ['id']);
  });
}
