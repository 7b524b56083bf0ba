import type { ChildProcess } from 'node:child_process';

/**
 * Asks a child process to stop (SIGTERM unless `ask` says otherwise), waits for it to exit, and kills it
 * after `graceMs` if it has not. Resolves at once for a process that has already exited.
 */
export function stopChild(child: ChildProcess, opts: { graceMs?: number; ask?: (child: ChildProcess) => void } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 10000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    (opts.ask ?? ((c) => c.kill('SIGTERM')))(child);
  });
}
