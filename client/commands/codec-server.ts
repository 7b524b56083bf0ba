/**
 * `hubsync codec-server [--port N] [--ui-origin URL…]`: serves the payload codec of HUBSYNC_PAYLOAD_KEY
 * (workers/codec-server.ts) until Ctrl-C, for the Temporal UI to show sealed payloads decrypted: start the UI
 * with its codec endpoint pointing here (`temporal server start-dev --ui-codec-endpoint <url>`, or the UI's
 * TEMPORAL_CODEC_ENDPOINT), or paste the URL in the UI's "Codec Server" settings.
 */
import { loadEnv } from '../../kernel/env';
import { ConfigurationError } from '../../kernel/errors';
import { startCodecServer } from '../../workers/codec-server';
import { AesGcmPayloadCodec } from '../../workers/payload-codec';
import { createLogger } from '../../workers/log';

export async function codecServerCommand(opts: { port: string; uiOrigin: string[] }): Promise<void> {
  const env = loadEnv();
  if (!env.HUBSYNC_PAYLOAD_KEY) throw new ConfigurationError('`hubsync codec-server` decodes with HUBSYNC_PAYLOAD_KEY, which is not set.', { fix: 'set it to the key the workers and clients use' });
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`--port: expected a port number (0 for any free one), got ${opts.port}`);
  const codec = new AesGcmPayloadCodec(env.HUBSYNC_PAYLOAD_KEY);
  const server = await startCodecServer(codec, { port, origins: opts.uiOrigin });
  // Issue 15: a process the CLI starts for a deployment logs JSON lines, like the worker (workers/log.ts).
  const log = createLogger({ level: env.HUBSYNC_LOG_LEVEL, name: 'hubsync-codec-server' });
  const lifecycle = log.child({}, { level: log.isLevelEnabled('info') ? env.HUBSYNC_LOG_LEVEL : 'info' });
  lifecycle.info({ url: server.url, keyId: codec.keyId, origins: opts.uiOrigin }, `Codec server: ${server.url} (key ${codec.keyId}; browser origins: ${opts.uiOrigin.join(', ') || 'none'}). Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      lifecycle.info({ signal }, `${signal}: codec server stopping.`);
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  lifecycle.info('Codec server stopped.');
}
