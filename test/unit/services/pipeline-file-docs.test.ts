import { readFileSync } from 'node:fs';
import test from 'ava';
import { parsePipelineFile } from '../../../src/services/pipeline-file.js';

// docs/pipeline-file.md shows whole pipeline files; each ```yaml and ```json block must parse and
// validate as it stands, so the documented format cannot drift from the code.

const DOC = readFileSync(new URL('../../../docs/pipeline-file.md', import.meta.url), 'utf8');
const ENV = { APP_PASSWORD: 'pw', WAREHOUSE_PASSWORD: 'pw', APP_URL: 'postgresql://app@db1/app' };

const examples = [...DOC.matchAll(/^```(yaml|json)\n([\s\S]*?)^```$/gm)].map((m, i) => ({ lang: m[1]!, text: m[2]!, at: i }));

test('the doc has YAML and JSON examples', (t) => {
  t.true(examples.some((e) => e.lang === 'yaml'));
  t.true(examples.some((e) => e.lang === 'json'));
});

for (const e of examples) {
  test(`example ${e.at + 1} (${e.lang}) is a valid pipeline file`, (t) => {
    const p = parsePipelineFile(e.text, `example.${e.lang}`, ENV);
    t.true(p.nodes.length > 0);
  });
}

test('the fan-in example: inputs in edge order (the join\'s left side first), as the doc says', (t) => {
  const e = examples.find((x) => x.text.includes('transform: join'));
  t.truthy(e);
  const nodes = new Map(parsePipelineFile(e!.text, 'fan-in.yaml', ENV).nodes.map((n) => [n.id, n]));
  t.deepEqual(nodes.get('all_orders')!.inputs, ['orders', 'archive']);
  t.deepEqual(nodes.get('joined')!.inputs, ['customers', 'all_orders']);
});

test('the quarantine example: the validate node carries its quarantine table', (t) => {
  const e = examples.find((x) => x.text.includes('quarantine:'));
  t.truthy(e);
  const check = parsePipelineFile(e!.text, 'q.yaml', ENV).nodes.find((n) => n.id === 'check')!;
  t.like(check, { kind: 'transform', quarantine: { label: 'public.orders_rejected' } });
});
