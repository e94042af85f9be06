import test from 'ava';
import { createLogger } from '../../../src/platform/logger.js';
import { SecretBox } from '../../../src/platform/secret-box.js';
import { ConnectionService } from '../../../src/services/connection-service.js';
import { AssetRepo, type NewAsset } from '../../../src/store/repos/asset-repo.js';
import { ConnectionRepo, isUniqueViolation, type NewConnection } from '../../../src/store/repos/connection-repo.js';
import { VaultKeyRepo, vaultKeyStore } from '../../../src/store/repos/vault-key-repo.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../../helpers/stores.js';

const silent = createLogger({ level: 'silent', json: true, destination: { write: () => {} } });

async function store(t: { teardown(fn: () => Promise<void>): void }, kind: (typeof STORE_KINDS)[number]): Promise<TestStore> {
  const s = await openTestStore(kind);
  t.teardown(() => s.close());
  return s;
}

async function keyId(s: TestStore): Promise<string> {
  const box = await SecretBox.open(vaultKeyStore(s.db), 'repo-test-master', { kdf: { N: 1024, r: 8, p: 1 } });
  return box.activeKeyId;
}

const conn = (name: string, key_id: string): NewConnection => ({
  name,
  connector_type: 'postgresql',
  description: null,
  tags: ['a', 'b'],
  config_encrypted: '{"v":1}',
  key_id,
});

const asset = (connection_id: number, name: string): NewAsset => ({
  connection_id,
  name,
  asset_type: 'table',
  fully_qualified_name: `public.${name}`,
  is_source: true,
  is_destination: false,
  is_incremental_capable: false,
  config: { write_mode: 'append' },
  schema_metadata: null,
  description: null,
});

for (const kind of STORE_KINDS) {
  test(`${kind}: connections insert, read, list newest first with totals, update and soft delete`, async (t) => {
    const s = await store(t, kind);
    const kid = await keyId(s);
    const repo = new ConnectionRepo(s.db);
    const a = await repo.insert(conn('alpha', kid));
    const b = await repo.insert({ ...conn('beta', kid), tags: { team: 'x' } });
    t.is(typeof a.id, 'number');
    t.deepEqual(a.tags, ['a', 'b']);
    t.deepEqual(b.tags, { team: 'x' });
    t.true(a.created_at instanceof Date);
    t.is(a.health_status, 'unknown');

    const page = await repo.list({ limit: 1, offset: 0 });
    t.is(page.total, 2);
    t.deepEqual(page.rows.map((r) => r.name), ['beta']);
    t.deepEqual((await repo.list({ limit: 10, offset: 1 })).rows.map((r) => r.name), ['alpha']);

    const updated = await repo.update(a.id, { name: 'Alpha2', description: 'd' });
    t.is(updated?.name, 'Alpha2');
    t.is(updated?.description, 'd');
    await repo.setHealth(a.id, 'healthy');
    const healthy = await repo.findLive(a.id);
    t.is(healthy?.health_status, 'healthy');
    t.true(healthy?.last_test_at instanceof Date);

    t.true(await repo.softDelete(a.id));
    t.false(await repo.softDelete(a.id));
    t.is(await repo.findLive(a.id), undefined);
    t.is(await repo.update(a.id, { name: 'x' }), undefined);
    t.is((await repo.list({ limit: 10, offset: 0 })).total, 1);
  });

  test(`${kind}: connection names are unique case-insensitively among live connections only`, async (t) => {
    const s = await store(t, kind);
    const kid = await keyId(s);
    const repo = new ConnectionRepo(s.db);
    const a = await repo.insert(conn('Warehouse', kid));
    t.true(await repo.nameTaken('warehouse'));
    t.false(await repo.nameTaken('WAREHOUSE', a.id));
    const err = await t.throwsAsync(repo.insert(conn('WAREHOUSE', kid)));
    t.true(isUniqueViolation(err));
    await repo.softDelete(a.id);
    t.false(await repo.nameTaken('warehouse'));
    await t.notThrowsAsync(repo.insert(conn('warehouse', kid)));
  });

  test(`${kind}: assets are scoped to their connection, unique by name, and unusable once their connection is deleted`, async (t) => {
    const s = await store(t, kind);
    const kid = await keyId(s);
    const conns = new ConnectionRepo(s.db);
    const assets = new AssetRepo(s.db);
    const c1 = await conns.insert(conn('one', kid));
    const c2 = await conns.insert(conn('two', kid));
    const x = await assets.insert(asset(c1.id, 'Orders'));
    const y = await assets.insert(asset(c2.id, 'orders'));
    t.deepEqual(x.config, { write_mode: 'append' });
    t.is(await assets.findLive(c2.id, x.id), undefined, 'an asset id under the wrong connection is not found');
    t.is((await assets.findLive(c1.id, x.id))?.name, 'Orders');
    t.true(isUniqueViolation(await t.throwsAsync(assets.insert(asset(c1.id, 'ORDERS')))));
    const keys = await assets.liveKeys(c1.id);
    t.true(keys.names.has('orders'));
    t.true(keys.fqns.has('public.orders'));

    const upd = await assets.update(c1.id, x.id, { config: { write_mode: 'truncate' }, schema_metadata: { columns: [] }, is_destination: true });
    t.deepEqual(upd?.config, { write_mode: 'truncate' });
    t.deepEqual(upd?.schema_metadata, { columns: [] });
    t.true(upd?.is_destination);
    t.deepEqual((await assets.list(c1.id, { limit: 10, offset: 0 })).total, 1);

    t.deepEqual((await assets.findUsable([x.id, y.id, 999])).map((a) => [a.id, a.connector_type]), [
      [x.id, 'postgresql'],
      [y.id, 'postgresql'],
    ]);
    await conns.softDelete(c2.id);
    t.deepEqual((await assets.findUsable([x.id, y.id])).map((a) => a.id), [x.id]);
    t.true(await assets.softDelete(c1.id, x.id));
    t.deepEqual(await assets.findUsable([x.id]), []);
    t.is(await assets.softDeleteByConnection(c2.id), 1);
  });

  test(`${kind}: two vault openings at once on an empty store create exactly one key`, async (t) => {
    const s = await store(t, kind);
    const kdf = { N: 1024, r: 8, p: 1 };
    const [a, b] = await Promise.all([
      SecretBox.open(vaultKeyStore(s.db), 'm', { kdf }),
      SecretBox.open(vaultKeyStore(s.db), 'm', { kdf }),
    ]);
    t.is(a.activeKeyId, b.activeKeyId);
    t.is((await new VaultKeyRepo(s.db).list()).length, 1);
  });

  test(`${kind}: key rotation re-seals every connection (deleted ones too) in one transaction and retires the old key`, async (t) => {
    const s = await store(t, kind);
    const svc = await ConnectionService.create({ db: s.db, config: { masterPassword: 'rotate-old' }, logger: silent });
    const config = { host: '127.0.0.1', database: 'x', username: 'u', password: 'Rotate-Secret-1' };
    const a = await svc.createConnection({ name: 'a', connector_type: 'postgresql', config });
    const b = await svc.createConnection({ name: 'b', connector_type: 'postgresql', config: { dsn: 'postgresql://u:dsnpw@h/db' } });
    await svc.remove(b.id);
    const keys = new VaultKeyRepo(s.db);
    const oldKey = (await keys.active())!.key_id;
    const before = await s.db.query<{ id: number; config_encrypted: string }>('SELECT id, config_encrypted FROM connections ORDER BY id');

    const out = await svc.rotateVaultKey({ masterPassword: 'rotate-new' });
    t.is(out.resealed, 2);
    t.is(out.retired_keys, 1);
    const rows = await s.db.query<{ key_id: string; config_encrypted: string }>('SELECT key_id, config_encrypted FROM connections ORDER BY id');
    t.true(rows.rows.every((r) => r.key_id === out.key_id && SecretBox.keyIdOf(r.config_encrypted) === out.key_id));
    t.notDeepEqual(rows.rows.map((r) => r.config_encrypted), before.rows.map((r) => r.config_encrypted));
    const all = await keys.list();
    t.deepEqual(all.map((k) => [k.key_id, k.is_active]), [
      [oldKey, false],
      [out.key_id, true],
    ]);
    // Same process keeps working; a restart needs the new password and gets the same config back.
    t.is((await svc.open(a.id)).config.password, 'Rotate-Secret-1');
    const restarted = await ConnectionService.create({ db: s.db, config: { masterPassword: 'rotate-new' }, logger: silent });
    t.deepEqual((await restarted.open(a.id)).config, { ...config, port: 5432, db_schema: 'public' });
    const err = await t.throwsAsync(ConnectionService.create({ db: s.db, config: { masterPassword: 'rotate-old' }, logger: silent }));
    t.regex(err.message, /MASTER_PASSWORD does not match/);
  });

  test(`${kind}: a failed rotation leaves keys and ciphertexts as they were`, async (t) => {
    const s = await store(t, kind);
    const svc = await ConnectionService.create({ db: s.db, config: { masterPassword: 'm1' }, logger: silent });
    const c = await svc.createConnection({ name: 'a', connector_type: 'postgresql', config: { host: 'h', database: 'd', username: 'u', password: 'p' } });
    // A ciphertext no key opens makes the re-seal fail halfway, after the new key row was inserted.
    await new ConnectionRepo(s.db).insert(conn('broken', (await new VaultKeyRepo(s.db).active())!.key_id));
    const before = await s.db.query('SELECT key_id, config_encrypted FROM connections ORDER BY id');
    await t.throwsAsync(svc.rotateVaultKey());
    t.deepEqual((await s.db.query('SELECT key_id, config_encrypted FROM connections ORDER BY id')).rows, before.rows);
    t.is((await new VaultKeyRepo(s.db).list()).length, 1);
    t.is((await svc.open(c.id)).config.password, 'p');
  });
}
