import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Installs the Temporal runtime once per process. hubsync handles SIGINT/SIGTERM itself (it must stop the
 * worker before the servers it started), so the SDK's own signal handling is turned off.
 */
export function installRuntime(level: 'debug' | 'info' | 'warn' | 'error' = 'warn'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'), shutdownSignals: [] });
  installed = true;
}
