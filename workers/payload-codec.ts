/**
 * Encryption of workflow payloads (issue 14 §3): with HUBSYNC_PAYLOAD_KEY set, every payload the client, the
 * worker and its activities hand to Temporal (workflow inputs and results, activity inputs and results,
 * Workflow Update arguments such as write-back values, heartbeat details, queries) is sealed with AES-256-GCM
 * before it leaves the process, so Temporal's history holds ciphertext only. The Temporal UI shows them
 * decrypted through the codec server (`hubsync codec-server`, client/commands/codec-server.ts) to operators
 * who can reach it.
 *
 * A sealed payload is `{ metadata: { encoding: "binary/encrypted", "encryption-key-id": <id> }, data }`, where
 * data is a 12-byte IV, the AES-GCM ciphertext of the original payload (its metadata and data, as JSON with
 * base64 values), and the 16-byte tag. The key ID is the first 8 hex digits of the key's SHA-256, so a payload
 * sealed with another key is refused by name instead of failing as garbage. Payloads that are not sealed pass
 * through decode unchanged (history written before the key was set stays readable).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ConfigurationError } from '../kernel/errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : '');

/** The payload codec of a key given as base64 of 32 bytes (what HUBSYNC_PAYLOAD_KEY holds). */
export class AesGcmPayloadCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly key: Buffer;

  constructor(keyBase64: string) {
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length !== 32 || key.toString('base64') !== keyBase64.trim()) {
      throw new ConfigurationError(`HUBSYNC_PAYLOAD_KEY must be 32 random bytes in base64 (44 characters); got ${keyBase64.length} characters that decode to ${key.length} bytes.`, {
        fix: "generate one with `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`",
      });
    }
    this.key = key;
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const plain = Buffer.from(JSON.stringify({ m: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), d: Buffer.from(p.data ?? []).toString('base64') }));
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID]: text(this.keyId) }, data: new Uint8Array(sealed) };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (str(p.metadata?.['encoding']) !== ENCRYPTED_ENCODING) return p;
      const keyId = str(p.metadata?.[KEY_ID]);
      if (keyId !== this.keyId) throw new ConfigurationError(`A payload is sealed with key ${keyId || '(unnamed)'}, not with HUBSYNC_PAYLOAD_KEY (key ${this.keyId}).`, { fix: 'set HUBSYNC_PAYLOAD_KEY to the key the deployment used when the payload was written' });
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const { m, d } = JSON.parse(plain.toString('utf8')) as { m: Record<string, string>; d: string };
      return { metadata: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])), data: new Uint8Array(Buffer.from(d, 'base64')) };
    });
  }
}

/** The codec for HUBSYNC_PAYLOAD_KEY, or undefined when it is not set (payloads then go as they are). */
export function payloadCodecFor(key: string | undefined): AesGcmPayloadCodec | undefined {
  return key ? new AesGcmPayloadCodec(key) : undefined;
}

/** The data converter option for Temporal clients and workers: the codec when there is one. */
export function dataConverterFor(codec: PayloadCodec | undefined): { dataConverter?: { payloadCodecs: PayloadCodec[] } } {
  return codec ? { dataConverter: { payloadCodecs: [codec] } } : {};
}
