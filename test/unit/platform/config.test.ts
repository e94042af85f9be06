import test from 'ava';
import { DEFAULT_MASTER_PASSWORD, isLoopbackHost, loadConfig, workerHeapMbFromEnv } from '../../../src/platform/config.js';

test('defaults: port 8000, loopback host, JSON logs, embedded store, development', (t) => {
  const c = loadConfig({});
  t.is(c.port, 8000);
  t.is(c.host, '127.0.0.1');
  t.true(c.jsonLogs);
  t.is(c.databaseUrl, undefined);
  t.is(c.redisUrl, undefined);
  t.is(c.environment, 'development');
  t.deepEqual(c.apiTokens, []);
  t.true(c.home.endsWith('.synqx'));
});

test('parses every variable', (t) => {
  const c = loadConfig({
    DATABASE_URL: 'postgresql://u:p@db:5432/synqx',
    REDIS_URL: 'redis://cache:6379/0',
    MASTER_PASSWORD: 'a-real-secret',
    PORT: '9000',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'WARNING',
    JSON_LOGS: 'False',
    API_TOKENS: ' t1, t2 ,,',
    ENVIRONMENT: 'Production',
    SYNQX_HOME: '/tmp/synqx-home',
  });
  t.is(c.databaseUrl, 'postgresql://u:p@db:5432/synqx');
  t.is(c.redisUrl, 'redis://cache:6379/0');
  t.is(c.port, 9000);
  t.is(c.host, '0.0.0.0');
  t.is(c.logLevel, 'warn');
  t.false(c.jsonLogs);
  t.deepEqual(c.apiTokens, ['t1', 't2']);
  t.is(c.environment, 'production');
  t.is(c.home, '/tmp/synqx-home');
});

test('reports every invalid variable at once with a clear message', (t) => {
  const err = t.throws(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JSON_LOGS: 'maybe' }));
  t.regex(err!.message, /PORT/);
  t.regex(err!.message, /DATABASE_URL/);
  t.regex(err!.message, /JSON_LOGS/);
});

test('outside development a missing or default MASTER_PASSWORD refuses to start', (t) => {
  t.throws(() => loadConfig({ ENVIRONMENT: 'production' }), { message: /MASTER_PASSWORD/ });
  t.throws(() => loadConfig({ ENVIRONMENT: 'production', MASTER_PASSWORD: DEFAULT_MASTER_PASSWORD }), { message: /MASTER_PASSWORD/ });
  t.notThrows(() => loadConfig({ ENVIRONMENT: 'production', MASTER_PASSWORD: 's3cret-value' }));
  t.notThrows(() => loadConfig({ ENVIRONMENT: 'development' }));
});

test('the config error message never echoes the master password', (t) => {
  const err = t.throws(() => loadConfig({ ENVIRONMENT: 'production', MASTER_PASSWORD: DEFAULT_MASTER_PASSWORD }));
  t.false(err!.message.includes(DEFAULT_MASTER_PASSWORD));
});

test('loopback detection', (t) => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) t.true(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) t.false(isLoopbackHost(h), h);
});

test('TRANSFORM_WORKER_HEAP_MB: unset leaves the pool default, a number is taken, nonsense is refused by both readers', (t) => {
  t.is(loadConfig({}).transformWorkerHeapMb, undefined);
  t.is(loadConfig({ TRANSFORM_WORKER_HEAP_MB: '256' }).transformWorkerHeapMb, 256);
  t.is(workerHeapMbFromEnv({}), undefined);
  t.is(workerHeapMbFromEnv({ TRANSFORM_WORKER_HEAP_MB: ' ' }), undefined);
  t.is(workerHeapMbFromEnv({ TRANSFORM_WORKER_HEAP_MB: '64' }), 64);
  t.throws(() => loadConfig({ TRANSFORM_WORKER_HEAP_MB: '4' }), { message: /TRANSFORM_WORKER_HEAP_MB/ });
  t.throws(() => workerHeapMbFromEnv({ TRANSFORM_WORKER_HEAP_MB: 'lots' }), { message: /^TRANSFORM_WORKER_HEAP_MB: / });
});
