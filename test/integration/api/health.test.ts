import test from 'ava';
import { startTestApp } from '../../helpers/test-app.js';

test('GET /health answers 200 healthy with the store kind, with and without the prefix and trailing slash', async (t) => {
  const app = await startTestApp({ store: 'pglite' });
  t.teardown(() => app.close());
  for (const path of ['/health', '/health/', '/api/v1/health', '/api/v1/health/']) {
    const r = await app.api('GET', path);
    t.is(r.status, 200, path);
    t.is(r.body.status, 'healthy');
    t.is(r.body.database, 'connected');
    t.is(r.body.store, 'pglite');
  }
});

test('GET /health answers 503 degraded naming the database when it is down', async (t) => {
  const app = await startTestApp({ store: 'postgres' });
  t.teardown(() => app.close().catch(() => {}));
  await app.store.db.close();
  const r = await app.api('GET', '/health');
  t.is(r.status, 503);
  t.is(r.body.status, 'degraded');
  t.is(r.body.database, 'disconnected');
  t.is(r.body.problems[0].dependency, 'database');
});
