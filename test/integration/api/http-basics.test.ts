import test from 'ava';
import { startTestApp } from '../../helpers/test-app.js';
import { assertSafeBinding } from '../../../src/bin/server.js';

test('with API_TOKENS set, routes need a valid bearer token; /health stays open', async (t) => {
  const app = await startTestApp({ store: 'pglite', apiTokens: ['tok-a', 'tok-b'] });
  t.teardown(() => app.close());
  const none = await app.api('GET', '/openapi.json');
  t.is(none.status, 401);
  t.is(none.body.error.code, 'UNAUTHORIZED');
  t.is(none.headers.get('www-authenticate'), 'Bearer realm="synqx"');
  const wrong = await app.api('GET', '/openapi.json', undefined, { authorization: 'Bearer tok-c' });
  t.is(wrong.status, 401);
  const notBearer = await app.api('GET', '/openapi.json', undefined, { authorization: 'Basic dG9rLWE=' });
  t.is(notBearer.status, 401);
  const unknownRoute = await app.api('GET', '/api/v1/pipelines');
  t.is(unknownRoute.status, 401, 'auth is checked before routing: nothing leaks about routes');
  for (const tok of ['tok-a', 'tok-b']) {
    const ok = await app.api('GET', '/openapi.json', undefined, { authorization: `Bearer ${tok}` });
    t.is(ok.status, 200);
  }
  t.is((await app.api('GET', '/health')).status, 200);
  t.is((await app.api('GET', '/api/v1/health')).status, 200);
});

test('without API_TOKENS every route is open (loopback only)', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  t.is((await app.api('GET', '/openapi.json')).status, 200);
});

test('the server refuses to bind beyond loopback without tokens, and says why', (t) => {
  const err = t.throws(() => assertSafeBinding({ host: '0.0.0.0', apiTokens: [] }));
  t.regex(err!.message, /API_TOKENS/);
  t.notThrows(() => assertSafeBinding({ host: '0.0.0.0', apiTokens: ['x'] }));
  t.notThrows(() => assertSafeBinding({ host: '127.0.0.1', apiTokens: [] }));
  t.notThrows(() => assertSafeBinding({ host: 'localhost', apiTokens: [] }));
});

test('malformed JSON answers 400, oversized bodies 413, non-JSON bodies 415, unknown routes 404 — one error shape', async (t) => {
  const app = await startTestApp({ store: 'pglite', maxBodyBytes: 1024 });
  t.teardown(() => app.close());
  const malformed = await app.api('POST', '/api/v1/pipelines', '{"name": ');
  t.is(malformed.status, 400);
  t.is(malformed.body.error.code, 'BAD_REQUEST');
  t.regex(malformed.body.error.message, /malformed JSON/);
  const big = await app.api('POST', '/api/v1/pipelines', JSON.stringify({ name: 'x'.repeat(5000) }));
  t.is(big.status, 413);
  t.is(big.body.error.code, 'PAYLOAD_TOO_LARGE');
  const text = await app.api('POST', '/api/v1/pipelines', 'name=x', { 'content-type': 'text/plain' });
  t.is(text.status, 415);
  t.is(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  const missing = await app.api('GET', '/api/v1/nothing-here');
  t.is(missing.status, 404);
  t.is(missing.body.error.code, 'NOT_FOUND');
  for (const r of [malformed, big, text, missing]) {
    t.is(typeof r.body.error.message, 'string');
    t.is(typeof r.body.error.request_id, 'string');
  }
});

test('X-Request-ID is echoed (or generated) and appears in the request log lines', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  const r = await app.api('GET', '/health', undefined, { 'x-request-id': 'req-abc-123' });
  t.is(r.headers.get('x-request-id'), 'req-abc-123');
  const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.path === '/health' && l.msg === 'request');
  t.is(line?.requestId, 'req-abc-123');
  const gen = await app.api('GET', '/health');
  const id = gen.headers.get('x-request-id');
  t.regex(id ?? '', /^[0-9a-f-]{36}$/);
  t.true(app.logs.some((l) => JSON.parse(l).requestId === id));
  const bad = await app.api('GET', '/health', undefined, { 'x-request-id': 'has spaces and "quotes"' });
  t.not(bad.headers.get('x-request-id'), 'has spaces and "quotes"');
});

test('GET /openapi.json is an OpenAPI 3.1 document and /docs serves a page with local assets only', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  const doc = await app.api('GET', '/openapi.json');
  t.is(doc.status, 200);
  t.is(doc.body.openapi, '3.1.0');
  t.truthy(doc.body.paths['/health'].get);
  const page = await app.api('GET', '/docs');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  t.false(/https?:\/\//.test(page.text), 'no CDN or external URL in the docs page');
  const srcs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.true(srcs.length >= 3);
  for (const src of srcs) {
    const asset = await fetch(app.url + src);
    t.is(asset.status, 200, src);
    await asset.arrayBuffer();
  }
});

test('the OpenAPI document publishes every transform config schema (the README transform reference lists the same names)', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  const doc = (await app.api('GET', '/openapi.json')).body;
  const names = Object.keys(doc.components.schemas).filter((n) => n.startsWith('TransformConfig.')).map((n) => n.slice('TransformConfig.'.length));
  const { transformCatalog } = await import('../../../src/services/transform-catalog.js');
  t.deepEqual(names.sort(), transformCatalog().map((x) => x.name).sort());
  t.is(doc.components.schemas['TransformConfig.filter'].properties.condition.type, 'string');
  t.false(doc.components.schemas['TransformConfig.filter'].additionalProperties !== false, 'configs are strict');
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  const reference = readme.slice(readme.indexOf('## Transform reference'));
  for (const n of names) t.true(reference.includes(`\`${n}\``), `README transform reference mentions ${n}`);
  // Each reference row (`| \`name\` | keys | …`) names every config key the schema accepts, and no other.
  const rows = new Map(reference.split('\n').flatMap((line) => (/^\| `([a-z_]+)` \|/.exec(line) ? [[/^\| `([a-z_]+)`/.exec(line)![1]!, line] as const] : [])));
  for (const n of names) {
    const schema = doc.components.schemas[`TransformConfig.${n}`];
    const keys = Object.keys(schema.properties ?? {});
    const row = rows.get(n);
    if (!row) continue; // plugins and the stateful transforms' rows are checked by the name test above
    const cells = row.split(' | ');
    const listed = new Set([...(cells[1] ?? '').matchAll(/`([a-z_]+)/g)].map((m) => m[1]!));
    t.deepEqual(keys.filter((k) => !listed.has(k)), [], `README row of ${n} lists every key of TransformConfig.${n}`);
    // Spelled as a key (`name:` or `name?`), not a value such as `first`.
    const declared = [...(cells[1] ?? '').matchAll(/`([a-z_]+)\??:|`([a-z_]+)\?/g)].map((m) => (m[1] ?? m[2])!);
    t.deepEqual(declared.filter((k) => !keys.includes(k)), [], `README row of ${n} declares no key TransformConfig.${n} lacks`);
  }
});
