// Connection secrets are encrypted at rest, and refused without a key.
import { randomBytes } from 'node:crypto';
import { loadSecretBox, SecretBox } from '../../activities/hub/secrets';
import { loadEnv } from '../../kernel/env';
import { ConfigurationError } from '../../kernel/errors';

describe('secret box', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a value and never leaves the plain text in the ciphertext', () => {
    const secrets = { refreshToken: 'very-secret-refresh-token', clientSecret: 'abc' };
    const sealed = box.encrypt(secrets);
    expect(sealed.toString('latin1')).not.toContain('very-secret');
    expect(box.decrypt(sealed, box.keyId)).toEqual(secrets);
  });

  it('detects tampering and the wrong key', () => {
    const sealed = box.encrypt({ a: 1 });
    sealed[sealed.length - 1]! ^= 1;
    expect(() => box.decrypt(sealed, box.keyId)).toThrow();
    const other = new SecretBox(randomBytes(32));
    expect(() => other.decrypt(box.encrypt({ a: 1 }), box.keyId)).toThrow(/encrypted with another key/);
  });

  it('refuses to work without a key, saying how to make one', () => {
    const env = loadEnv({ HUBSYNC_HOME: '/nonexistent/hubsync' });
    expect(() => loadSecretBox(env)).toThrow(ConfigurationError);
    expect(() => loadSecretBox(env)).toThrow(/HUBSYNC_SECRET_KEY is not set.*openssl rand -base64 32/);
    expect(() => loadEnv({ HUBSYNC_SECRET_KEY: 'short' })).toThrow(/HUBSYNC_SECRET_KEY: expected 32 bytes/);
    expect(loadSecretBox(loadEnv({ HUBSYNC_SECRET_KEY: randomBytes(32).toString('base64') }))).toBeInstanceOf(SecretBox);
  });
});
