/** Stopping a sandbox's HTTP server, shared by every CRM sandbox. */
import type http from 'node:http';

/**
 * Closes `server`: idle keep-alive connections at once, busy ones after `graceMs` (clients still around would
 * otherwise hold close() open).
 */
export function closeServer(server: http.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}
