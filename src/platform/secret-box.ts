import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { SynqxError } from '../core/errors.js';

/**
 * The connection vault: AES-256-GCM with a 256-bit key derived from MASTER_PASSWORD by scrypt and a
 * random per-key salt. Every ciphertext is a JSON envelope naming the key that sealed it (`kid`), so
 * keys can rotate while older ciphertexts stay readable. The raw keys and the master password live
 * only in private fields: nothing here can end up in a log line or a JSON response by accident.
 */

/** A row of `vault_keys`, as the store gives it back. */
export interface VaultKeyRecord {
  key_id: string;
  kdf: string;
  salt: Uint8Array;
  /** An envelope sealing CHECK_PLAINTEXT: opening it proves a password derives this key. */
  check_value: string;
  is_active: boolean;
}

/** What the box needs from the metadata store (implemented by src/store/repos/vault-key-repo.ts). */
export interface VaultKeyStore {
  get(keyId: string): Promise<VaultKeyRecord | undefined>;
  /** The newest active key, if any. */
  active(): Promise<VaultKeyRecord | undefined>;
  /**
   * Returns the active key; when there is none, stores `make()`'s key first. Atomic against two
   * processes starting at once on an empty store (only one key gets created).
   */
  ensureActive(make: () => Promise<VaultKeyRecord>): Promise<VaultKeyRecord>;
}

export interface Envelope {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/** ~50-100 ms per derivation on a current CPU; keys are derived once per process and cached. */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 15, r: 8, p: 1 };
const ENVELOPE_VERSION = 1;
const CHECK_PLAINTEXT = 'synqx-vault-check';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export function formatKdf(p: KdfParams): string {
  return `scrypt:N=${p.N},r=${p.r},p=${p.p}`;
}

export function parseKdf(kdf: string): KdfParams {
  if (kdf === 'scrypt') return DEFAULT_KDF;
  const m = /^scrypt:N=(\d+),r=(\d+),p=(\d+)$/.exec(kdf);
  if (!m) throw new SynqxError('VAULT_ERROR', `unsupported key derivation "${kdf}"`);
  return { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
}

export function deriveKey(password: string, salt: Uint8Array, params: KdfParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function parseEnvelope(text: string): Envelope {
  let e: Partial<Envelope>;
  try {
    e = JSON.parse(text) as Partial<Envelope>;
  } catch {
    throw new SynqxError('VAULT_ERROR', 'sealed value is not a vault envelope');
  }
  if (e?.v !== ENVELOPE_VERSION || typeof e.kid !== 'string' || typeof e.iv !== 'string' || typeof e.tag !== 'string' || typeof e.ct !== 'string') {
    throw new SynqxError('VAULT_ERROR', 'sealed value is not a version 1 vault envelope');
  }
  return e as Envelope;
}

// The key id and version are authenticated too, so an envelope cannot be relabelled to another key.
const aadFor = (kid: string) => Buffer.from(`synqx-vault:v${ENVELOPE_VERSION}:${kid}`, 'utf8');

/** One derived key. The key bytes are in a private field; the object serializes to its id only. */
export class VaultKey {
  readonly #key: Buffer;

  constructor(
    readonly record: VaultKeyRecord,
    key: Buffer,
  ) {
    this.#key = key;
  }

  get id(): string {
    return this.record.key_id;
  }

  seal(plaintext: string | Uint8Array): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aadFor(this.id));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ct = Buffer.concat([cipher.update(data), cipher.final()]);
    const env: Envelope = { v: 1, kid: this.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
    return JSON.stringify(env);
  }

  open(env: Envelope): Buffer {
    if (env.kid !== this.id) throw new SynqxError('VAULT_ERROR', `envelope was sealed with key ${env.kid}, not ${this.id}`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(env.iv, 'base64'));
      decipher.setAAD(aadFor(this.id));
      decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(env.ct, 'base64')), decipher.final()]);
    } catch {
      throw new SynqxError('VAULT_ERROR', `sealed value failed authentication with key ${this.id} (tampered, or sealed under another master password)`);
    }
  }

  /** True when this key opens its own check value, i.e. it was derived from the right password. */
  verifies(): boolean {
    try {
      return this.open(parseEnvelope(this.record.check_value)).toString('utf8') === CHECK_PLAINTEXT;
    } catch {
      return false;
    }
  }

  toJSON(): { key_id: string } {
    return { key_id: this.id };
  }
}

/** Creates a brand-new key (new id, new salt) from a password; nothing is stored yet. */
export async function createVaultKey(password: string, params: KdfParams = DEFAULT_KDF): Promise<VaultKey> {
  const salt = randomBytes(16);
  const keyId = `vk_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const key = await deriveKey(password, salt, params);
  const draft = new VaultKey({ key_id: keyId, kdf: formatKdf(params), salt, check_value: '', is_active: true }, key);
  return new VaultKey({ ...draft.record, check_value: draft.seal(CHECK_PLAINTEXT) }, key);
}

export async function loadVaultKey(record: VaultKeyRecord, password: string): Promise<VaultKey> {
  return new VaultKey(record, await deriveKey(password, Buffer.from(record.salt), parseKdf(record.kdf)));
}

export interface SecretBoxOptions {
  kdf?: KdfParams;
}

export class SecretBox {
  readonly #store: VaultKeyStore;
  readonly #kdf: KdfParams;
  readonly #keys = new Map<string, VaultKey>();
  #password: string;
  #active: VaultKey;

  private constructor(store: VaultKeyStore, password: string, active: VaultKey, kdf: KdfParams) {
    this.#store = store;
    this.#password = password;
    this.#active = active;
    this.#kdf = kdf;
    this.#keys.set(active.id, active);
  }

  /**
   * Opens the vault at start: creates the first key on an empty store, and refuses to start when
   * MASTER_PASSWORD does not derive the active key (which would make every stored connection unreadable).
   */
  static async open(store: VaultKeyStore, masterPassword: string, opts: SecretBoxOptions = {}): Promise<SecretBox> {
    if (!masterPassword) throw new SynqxError('CONFIG_INVALID', 'MASTER_PASSWORD is empty');
    const kdf = opts.kdf ?? DEFAULT_KDF;
    let created: VaultKey | undefined;
    const record = await store.ensureActive(async () => {
      created = await createVaultKey(masterPassword, kdf);
      return created.record;
    });
    const key = created && created.id === record.key_id ? created : await loadVaultKey(record, masterPassword);
    if (!key.verifies()) throw wrongPassword(record.key_id);
    return new SecretBox(store, masterPassword, key, kdf);
  }

  get activeKeyId(): string {
    return this.#active.id;
  }

  /**
   * Another process may have rotated the key since we started; new seals should use the current
   * one. Cheap (one indexed read); the derivation happens only when the key changed.
   */
  async refreshActive(): Promise<void> {
    const record = await this.#store.active();
    if (record && record.key_id !== this.#active.id) this.#active = await this.#key(record.key_id);
  }

  seal(plaintext: string): string {
    return this.#active.seal(plaintext);
  }

  async open(envelope: string): Promise<string> {
    const env = parseEnvelope(envelope);
    return (await this.#key(env.kid)).open(env).toString('utf8');
  }

  sealJson(value: unknown): string {
    return this.seal(JSON.stringify(value));
  }

  async openJson(envelope: string): Promise<unknown> {
    return JSON.parse(await this.open(envelope)) as unknown;
  }

  /** The key id an envelope names, without opening it. */
  static keyIdOf(envelope: string): string {
    return parseEnvelope(envelope).kid;
  }

  /**
   * Key rotation. Creates a new key (fresh salt; from `masterPassword` when given, else the current
   * one) and hands it to `persist`, which must, in ONE transaction, store the key, re-seal every
   * stored ciphertext with `reseal`, and mark the older keys inactive. Only after `persist` resolves
   * (committed) does this box seal with the new key; if it throws, nothing changes.
   */
  async rotate<T>(
    persist: (key: VaultKey, reseal: (envelope: string) => Promise<string>) => Promise<T>,
    opts: { masterPassword?: string } = {},
  ): Promise<{ key: VaultKey; result: T }> {
    const password = opts.masterPassword ?? this.#password;
    if (!password) throw new SynqxError('CONFIG_INVALID', 'the new master password is empty');
    const key = await createVaultKey(password, this.#kdf);
    const reseal = async (envelope: string) => {
      const env = parseEnvelope(envelope);
      return key.seal((await this.#key(env.kid)).open(env));
    };
    const result = await persist(key, reseal);
    this.#keys.set(key.id, key);
    this.#active = key;
    this.#password = password;
    return { key, result };
  }

  async #key(kid: string): Promise<VaultKey> {
    const cached = this.#keys.get(kid);
    if (cached) return cached;
    const record = await this.#store.get(kid);
    if (!record) throw new SynqxError('VAULT_ERROR', `vault key ${kid} does not exist`);
    const key = await loadVaultKey(record, this.#password);
    if (!key.verifies()) throw wrongPassword(kid);
    this.#keys.set(kid, key);
    return key;
  }

  toJSON(): { active_key_id: string } {
    return { active_key_id: this.#active.id };
  }
}

function wrongPassword(kid: string): SynqxError {
  return new SynqxError(
    'CONFIG_INVALID',
    `MASTER_PASSWORD does not match vault key ${kid}, the key that sealed the stored connections; ` +
      'start with the MASTER_PASSWORD they were created with (to change it, rotate the vault key)',
    { details: [{ field: 'MASTER_PASSWORD', message: `does not open vault key ${kid}`, error_type: 'vault_key_mismatch' }] },
  );
}
