import { inspect } from 'node:util';
import test from 'ava';
import { SynqxError } from '../../../src/core/errors.js';
import {
  createVaultKey,
  parseEnvelope,
  SecretBox,
  type KdfParams,
  type VaultKeyRecord,
  type VaultKeyStore,
} from '../../../src/platform/secret-box.js';

// Cheap scrypt parameters keep the suite fast; the production default is exercised by the API tests.
const kdf: KdfParams = { N: 1024, r: 8, p: 1 };

/** The key table in memory: the store is not what these tests are about. */
class MemoryKeys implements VaultKeyStore {
  rows: VaultKeyRecord[] = [];
  async get(id: string) {
    return this.rows.find((r) => r.key_id === id);
  }
  async active() {
    return [...this.rows].reverse().find((r) => r.is_active);
  }
  async ensureActive(make: () => Promise<VaultKeyRecord>) {
    const a = await this.active();
    if (a) return a;
    const k = await make();
    this.rows.push(k);
    return k;
  }
}

function flipByte(b64: string, index = 0): string {
  const b = Buffer.from(b64, 'base64');
  b[index] = b[index]! ^ 0x01;
  return b.toString('base64');
}

test('seal then open round-trips text, and the envelope carries version, key id, 12-byte iv and tag', async (t) => {
  const box = await SecretBox.open(new MemoryKeys(), 'master-1', { kdf });
  const sealed = box.seal('hunter2 ünïcödé');
  const env = parseEnvelope(sealed);
  t.is(env.v, 1);
  t.is(env.kid, box.activeKeyId);
  t.is(Buffer.from(env.iv, 'base64').length, 12);
  t.is(Buffer.from(env.tag, 'base64').length, 16);
  t.false(sealed.includes('hunter2'));
  t.is(await box.open(sealed), 'hunter2 ünïcödé');
  t.deepEqual(await box.openJson(box.sealJson({ password: 'x', port: 5432 })), { password: 'x', port: 5432 });
});

test('each seal uses a fresh random iv, so equal plaintexts give different ciphertexts', async (t) => {
  const box = await SecretBox.open(new MemoryKeys(), 'master-1', { kdf });
  const a = parseEnvelope(box.seal('same'));
  const b = parseEnvelope(box.seal('same'));
  t.not(a.iv, b.iv);
  t.not(a.ct, b.ct);
});

test('a flipped byte in the ciphertext, tag or iv, or a relabelled key id, fails authentication', async (t) => {
  const keys = new MemoryKeys();
  const box = await SecretBox.open(keys, 'master-1', { kdf });
  const env = parseEnvelope(box.seal('secret value'));
  for (const field of ['ct', 'tag', 'iv'] as const) {
    const tampered = JSON.stringify({ ...env, [field]: flipByte(env[field]) });
    const err = await t.throwsAsync(box.open(tampered), { instanceOf: SynqxError });
    t.is(err.code, 'VAULT_ERROR', field);
  }
  // A second key with the same password must not open an envelope relabelled to it.
  const other = await createVaultKey('master-1', kdf);
  keys.rows.push({ ...other.record, is_active: false });
  const err = await t.throwsAsync(box.open(JSON.stringify({ ...env, kid: other.id })), { instanceOf: SynqxError });
  t.is(err.code, 'VAULT_ERROR');
  await t.throwsAsync(box.open('not json'), { instanceOf: SynqxError });
});

test('the first start creates one key; later starts with the same password reuse it', async (t) => {
  const keys = new MemoryKeys();
  const a = await SecretBox.open(keys, 'master-1', { kdf });
  const sealed = a.seal('v');
  const b = await SecretBox.open(keys, 'master-1', { kdf });
  t.is(keys.rows.length, 1);
  t.is(b.activeKeyId, a.activeKeyId);
  t.is(await b.open(sealed), 'v');
});

test('a wrong MASTER_PASSWORD is refused at start with a clear message that holds no secret', async (t) => {
  const keys = new MemoryKeys();
  await SecretBox.open(keys, 'the-right-password', { kdf });
  const err = await t.throwsAsync(SecretBox.open(keys, 'a-wrong-password', { kdf }), { instanceOf: SynqxError });
  t.is(err.code, 'CONFIG_INVALID');
  t.regex(err.message, /MASTER_PASSWORD does not match vault key vk_/);
  t.regex(err.message, /sealed the stored connections/);
  const all = err.message + JSON.stringify(err.details);
  t.false(all.includes('the-right-password'));
  t.false(all.includes('a-wrong-password'));
});

test('neither JSON nor inspect of a box or key shows the key bytes or the password', async (t) => {
  const box = await SecretBox.open(new MemoryKeys(), 'visible-if-leaked', { kdf });
  const key = await createVaultKey('visible-if-leaked', kdf);
  for (const text of [JSON.stringify(box), inspect(box, { depth: 5 }), JSON.stringify(key), inspect(key, { depth: 5, showHidden: true })]) {
    t.false(text.includes('visible-if-leaked'));
  }
  t.deepEqual(JSON.parse(JSON.stringify(box)), { active_key_id: box.activeKeyId });
});

test('rotation re-seals with a new key (new salt), old ciphertexts open before it, and a failed persist changes nothing', async (t) => {
  const keys = new MemoryKeys();
  const box = await SecretBox.open(keys, 'master-1', { kdf });
  const oldKid = box.activeKeyId;
  let stored = [box.seal('one'), box.seal('two')];
  t.deepEqual(await Promise.all(stored.map((s) => box.open(s))), ['one', 'two']);

  await t.throwsAsync(
    box.rotate(async () => {
      throw new Error('transaction failed');
    }),
    { message: 'transaction failed' },
  );
  t.is(box.activeKeyId, oldKid);

  const { key, result } = await box.rotate(async (newKey, reseal) => {
    keys.rows.push(newKey.record);
    const out = await Promise.all(stored.map(reseal));
    for (const r of keys.rows) if (r.key_id !== newKey.id) r.is_active = false;
    return out;
  });
  t.not(key.id, oldKid);
  t.not(Buffer.from(key.record.salt).toString('hex'), Buffer.from(keys.rows[0]!.salt).toString('hex'));
  t.is(box.activeKeyId, key.id);
  const before = stored;
  stored = result;
  t.true(stored.every((s) => SecretBox.keyIdOf(s) === key.id));
  t.deepEqual(await Promise.all(stored.map((s) => box.open(s))), ['one', 'two']);
  // Ciphertexts sealed before the rotation still open: the retired key stays readable.
  t.deepEqual(await Promise.all(before.map((s) => box.open(s))), ['one', 'two']);
  t.is(SecretBox.keyIdOf(box.seal('three')), key.id);
});

test('rotation to a new master password: the new password opens everything, the old one is refused', async (t) => {
  const keys = new MemoryKeys();
  const box = await SecretBox.open(keys, 'old-master', { kdf });
  let stored = [box.seal('alpha')];
  await box.rotate(
    async (newKey, reseal) => {
      keys.rows.push(newKey.record);
      stored = await Promise.all(stored.map(reseal));
      for (const r of keys.rows) if (r.key_id !== newKey.id) r.is_active = false;
    },
    { masterPassword: 'new-master' },
  );
  const reopened = await SecretBox.open(keys, 'new-master', { kdf });
  t.is(await reopened.open(stored[0]!), 'alpha');
  const err = await t.throwsAsync(SecretBox.open(keys, 'old-master', { kdf }), { instanceOf: SynqxError });
  t.is(err.code, 'CONFIG_INVALID');
});

test('a key created by another process is picked up for new seals after refreshActive', async (t) => {
  const keys = new MemoryKeys();
  const a = await SecretBox.open(keys, 'm', { kdf });
  const b = await SecretBox.open(keys, 'm', { kdf });
  await b.rotate(async (k) => {
    keys.rows.push(k.record);
    for (const r of keys.rows) if (r.key_id !== k.id) r.is_active = false;
  });
  t.not(a.activeKeyId, b.activeKeyId);
  await a.refreshActive();
  t.is(a.activeKeyId, b.activeKeyId);
  t.is(await b.open(a.seal('x')), 'x');
});
