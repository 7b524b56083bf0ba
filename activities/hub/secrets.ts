/**
 * Encryption of CRM connection secrets at rest (AES-256-GCM). The key comes from HUBSYNC_SECRET_KEY, or,
 * for the local stack only, from <HUBSYNC_HOME>/secret.key, which `hubsync start` creates (mode 0600).
 * Without a key, hubsync refuses to store or read secrets. Secrets never enter Temporal: workflows name a
 * connection, activities decrypt at call time.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type HubsyncEnv } from '../../kernel/env';
import { ConfigurationError } from '../../kernel/errors';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new ConfigurationError(`the secret key must be 32 bytes, got ${key.length}`);
    // Identifies the key (not secret): a ciphertext written under another key is reported as such.
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  encrypt(value: unknown): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), body]);
  }

  decrypt<T>(ciphertext: Buffer, keyId: string): T {
    if (keyId !== this.keyId) {
      throw new ConfigurationError(`these secrets were encrypted with another key (key id ${keyId}, current ${this.keyId}); set HUBSYNC_SECRET_KEY to the key they were stored with, or add the connection again`);
    }
    if (ciphertext[0] !== FORMAT_VERSION) throw new ConfigurationError(`unknown secret format version ${ciphertext[0]}`);
    const iv = ciphertext.subarray(1, 1 + IV_BYTES);
    const tag = ciphertext.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ciphertext.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  }
}

function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  return /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
}

export function localKeyFile(env: HubsyncEnv): string {
  return path.join(env.hubsyncHome, 'secret.key');
}

/** The key from the environment, else the local stack's key file; a clear refusal when there is neither. */
export function loadSecretBox(env: HubsyncEnv): SecretBox {
  if (env.HUBSYNC_SECRET_KEY) return new SecretBox(parseKey(env.HUBSYNC_SECRET_KEY));
  const file = localKeyFile(env);
  if (fs.existsSync(file)) return new SecretBox(parseKey(fs.readFileSync(file, 'utf8')));
  throw new ConfigurationError(
    'HUBSYNC_SECRET_KEY is not set, and hubsync will not store or read CRM secrets unencrypted. ' +
      'Set it to 32 random bytes (`export HUBSYNC_SECRET_KEY=$(openssl rand -base64 32)`) and keep it: ' +
      'the same key is needed to read the secrets back. (`npm start` creates one for the local stack.)',
  );
}

/** Creates the local stack's key file if there is none (and no HUBSYNC_SECRET_KEY). */
export function ensureLocalSecretKey(env: HubsyncEnv): void {
  if (env.HUBSYNC_SECRET_KEY) return;
  const file = localKeyFile(env);
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
}
