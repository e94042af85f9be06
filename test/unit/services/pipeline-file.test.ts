import test from 'ava';
import { isSynqxError } from '../../../src/core/errors.js';
import { orderRuntimeGraph } from '../../../src/engine/runtime/runtime-graph.js';
import { parsePipelineFile, validatePipelineDocument } from '../../../src/services/pipeline-file.js';
import { pipelineFileGraph } from '../../../src/services/pipeline-file-graph.js';

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

const withCheck = (check: Record<string, unknown>, more: Record<string, unknown>[] = []) => ({
  connections: { a: conn },
  nodes: [
    { id: 'read', type: 'extract', connection: 'a', table: 'public.users' },
    { id: 'check', type: 'transform', transform: 'validate', ...check },
    { id: 'write', type: 'load', connection: 'a', table: 'public.copy' },
    ...more,
  ],
  edges: [['read', 'check'], ['check', 'write'], ...more.map((m) => ['read', m.id])],
});
const rules = [{ column: 'id', rule: 'not_null' }];

test("on_error 'quarantine' with a quarantine table: the node carries the table, the graph gets the API's synthetic step", (t) => {
  const p = validatePipelineDocument(withCheck({ config: { rules, on_error: 'quarantine' }, quarantine: { connection: 'a', table: 'public.users_bad', options: { create_if_missing: true } } }));
  const check = p.nodes.find((n) => n.id === 'check')!;
  t.true(check.kind === 'transform' && check.quarantine !== undefined);
  if (check.kind !== 'transform' || !check.quarantine) return;
  t.like(check.quarantine, { label: 'public.users_bad', target: { name: 'public.users_bad', asset_type: 'table', fully_qualified_name: 'public.users_bad' } });
  t.like(check.quarantine.options as object, { write_mode: 'append', create_if_missing: true });
  // The quarantine step is no node of the file: it exists only in the runtime graph, as through the API.
  t.deepEqual(check.outputs, ['write']);

  const { graph } = pipelineFileGraph(p);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  t.deepEqual([...byId.keys()], ['read', 'check', 'check__quarantine', 'write']);
  t.like(byId.get('check'), { kind: 'transform', outputs: ['write', 'check__quarantine'], errorOutput: 'check__quarantine' });
  t.like(byId.get('check__quarantine'), { kind: 'sink', label: 'quarantine public.users_bad', inputs: ['check'], outputs: [] });
  t.notThrows(() => orderRuntimeGraph(graph));
  // 'fail' needs nothing more.
  t.is(validatePipelineDocument(withCheck({ config: { rules, on_error: 'fail' } })).nodes.length, 3);
});

test('quarantine problems are reported at once, each where it is in the file', (t) => {
  const problems = problemsOf(() =>
    validatePipelineDocument(
      withCheck({ config: { rules, on_error: 'quarantine' } }, [
        { id: 'no_on_error', type: 'transform', transform: 'validate', config: { rules }, quarantine: { connection: 'a', table: 'bad1' } },
        { id: 'asset_id', type: 'transform', transform: 'validate', config: { rules, on_error: 'quarantine', quarantine_asset_id: 7 }, quarantine: { connection: 'a', table: 'bad2' } },
        {
          id: 'modes',
          type: 'transform',
          transform: 'type_cast',
          config: { columns: { id: 'int8' }, on_error: 'quarantine' },
          quarantine: { connection: 'a', table: 'bad3', options: { write_mode: 'truncate', commit_every_rows: 10 } },
        },
        { id: 'ghost_conn', type: 'transform', transform: 'validate', config: { rules, on_error: 'quarantine' }, quarantine: { connection: 'nope', table: 'bad4' } },
        { id: 'reused', type: 'transform', transform: 'validate', config: { rules, on_error: 'quarantine' }, quarantine: { connection: 'a', table: 'public.copy' } },
        { id: 'x', type: 'transform', transform: 'validate', config: { rules, on_error: 'quarantine' }, quarantine: { connection: 'a', table: 'bad5' } },
        { id: 'x__quarantine', type: 'load', connection: 'a', table: 'other', quarantine: { connection: 'a', table: 'bad6' } },
      ]),
    ),
  );
  t.deepEqual(
    problems.map((p) => [p.field, p.message]).sort(),
    [
      ['nodes.1.quarantine', "required when config.on_error is 'quarantine': the table failing rows are appended to"],
      ['nodes.3.quarantine', "only allowed when config.on_error is 'quarantine'"],
      ['nodes.4.config.quarantine_asset_id', 'pipeline files name a quarantine table with `quarantine`, not an asset id'],
      ['nodes.5.quarantine.options.write_mode', 'a quarantine table is only appended to: write_mode must be append (or left out)'],
      ['nodes.5.quarantine.options.commit_every_rows', "not allowed on a quarantine table: its rows are committed with the run's other loads, all or nothing"],
      ['nodes.6.quarantine.connection', 'unknown connection "nope"'],
      ['nodes.9.quarantine', 'not allowed on a load node'],
      ['nodes.8.quarantine', 'node id "x__quarantine" is taken, but it names node "x"\'s quarantine step'],
      ['nodes.7.quarantine.table', 'public.copy on connection "a" is already written by node "write"; give each quarantine its own table'],
    ].sort(),
    JSON.stringify(problems, null, 1),
  );
});

test("on_error on a transform that rejects no rows is the planner's problem alone (no stand-in asset id leaks into it)", (t) => {
  const problems = problemsOf(() => validatePipelineDocument(withCheck({ transform: 'filter', config: { condition: 'id > 1', on_error: 'quarantine' } })));
  t.deepEqual(problems.map((p) => p.field), ['nodes.1.config']);
  t.regex(problems[0]!.message, /Unrecognized key: "on_error"/);
  t.false(problems[0]!.message.includes('quarantine_asset_id'));
});
