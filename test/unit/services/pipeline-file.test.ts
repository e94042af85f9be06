import test from 'ava';
import { isSynqxError } from '../../../src/core/errors.js';
import { parsePipelineFile, validatePipelineDocument } from '../../../src/services/pipeline-file.js';

const conn = { dsn: 'postgresql://app:pw-123@db1/app' };

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (isSynqxError(err) && Array.isArray(err.details)) return err.details as { field: string; message: string }[];
    throw err;
  }
  throw new Error('expected a validation error');
}

test('nodes without edges form a chain in file order; options parsed by the connector', (t) => {
  const p = validatePipelineDocument({
    connections: { a: conn },
    nodes: [
      { id: 'read', type: 'extract', connection: 'a', table: 'public.users', options: { where: 'id > 1' } },
      { id: 'keep', type: 'transform', transform: 'filter', config: { condition: 'id < 10' } },
      { id: 'write', type: 'load', connection: 'a', table: 'public.copy', options: { write_mode: 'truncate' } },
    ],
  });
  t.deepEqual(
    p.nodes.map((n) => [n.id, n.kind, n.inputs, n.outputs]),
    [
      ['read', 'source', [], ['keep']],
      ['keep', 'transform', ['read'], ['write']],
      ['write', 'sink', ['keep'], []],
    ],
  );
  const sink = p.nodes[2]!;
  t.true(sink.kind === 'sink' && (sink.options as { write_mode: string }).write_mode === 'truncate');
  t.true(p.secrets.includes('pw-123'));
});

test('every problem is reported with its place in the file', (t) => {
  const problems = problemsOf(() =>
    validatePipelineDocument({
      connections: { a: conn, b: { type: 'oracle' } },
      nodes: [
        { id: 'read', type: 'extract', connection: 'nope', table: 'x' },
        { id: 'f', type: 'transform', transform: 'filter', config: { condition: 'id <' } },
        { id: 'w', type: 'load', connection: 'a', query: 'SELECT 1' },
      ],
      edges: [['read', 'f'], { from: 'f', to: 'w' }, ['w', 'ghost']],
    }),
  );
  const fields = problems.map((p) => p.field);
  t.true(fields.includes('connections.b.type'));
  t.true(fields.includes('nodes.0.connection'));
  t.true(fields.includes('nodes.2.query'));
  t.true(fields.some((f) => f.startsWith('nodes.1.config')), JSON.stringify(problems));
  t.true(fields.includes('edges.2.to'));
});

test('${VAR} references expand in connections only; a partial DSN reference is percent-encoded', (t) => {
  const text = JSON.stringify({
    connections: { a: { dsn: 'postgresql://app:${PW}@db1/app' }, b: { dsn: '${URL}' } },
    nodes: [
      { id: 'r', type: 'extract', connection: 'a', table: 't', options: { where: "note <> '${PW}'" } },
      { id: 'w', type: 'load', connection: 'b', table: 'u' },
    ],
  });
  const p = parsePipelineFile(text, 'p.json', { PW: 'p@ss/w', URL: 'postgresql://x:y@db2/w' });
  const [r, w] = p.nodes;
  t.is((r as { config: { dsn: string } }).config.dsn, 'postgresql://app:p%40ss%2Fw@db1/app');
  t.is((w as { config: { dsn: string } }).config.dsn, 'postgresql://x:y@db2/w');
  t.is((r as { options: { where: string } }).options.where, "note <> '${PW}'");
  t.true(p.secrets.includes('p@ss/w'));

  const missing = problemsOf(() => parsePipelineFile(text, 'p.json', { PW: 'x' }));
  t.deepEqual(missing.map((m) => [m.field, m.message]), [['connections.b.dsn', 'environment variable URL is not set']]);
});

test('YAML files parse; syntax errors name the line', (t) => {
  const p = parsePipelineFile(
    'connections:\n  a: { host: h, database: d, username: u }\nnodes:\n  - { id: r, type: extract, connection: a, table: t }\n  - { id: w, type: load, connection: a, table: u }\n',
    'p.yaml',
    {},
  );
  t.is(p.nodes.length, 2);
  const err = t.throws(() => parsePipelineFile('nodes: [\n  - {', 'bad.yml', {}));
  t.regex(err.message, /^bad\.yml is not valid YAML \(line \d+, column \d+\)/);
});

test("on_error 'quarantine' is refused in pipeline files (no destination asset to quarantine to); 'fail' is fine", (t) => {
  const doc = (config: Record<string, unknown>) => ({
    connections: { a: conn },
    nodes: [
      { id: 'read', type: 'extract', connection: 'a', table: 'public.users' },
      { id: 'check', type: 'transform', transform: 'validate', config: { rules: [{ column: 'id', rule: 'not_null' }], ...config } },
      { id: 'write', type: 'load', connection: 'a', table: 'public.copy' },
    ],
  });
  const problems = problemsOf(() => validatePipelineDocument(doc({ on_error: 'quarantine', quarantine_asset_id: 1 })));
  t.deepEqual(problems.map((p) => p.field), ['nodes.1.config.on_error']);
  t.regex(problems[0]!.message, /needs a destination asset, which pipeline files do not have/);
  t.is(validatePipelineDocument(doc({ on_error: 'fail' })).nodes.length, 3);
});
