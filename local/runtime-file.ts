/**
 * `.hubsync/runtime.json`: what a running `hubsync start` serves (addresses, URLs, its pid), so that
 * `hubsync doctor` and other commands in another terminal find the local stack without configuration.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface RuntimeInfo {
  pid: number;
  startedAt: string;
  temporal: { address: string; namespace: string; uiUrl?: string; origin: string; codecServerUrl?: string };
  database: { url: string; origin: string };
  sandboxes: Record<string, { url: string }>;
  /** The worker's metrics and health endpoint (`/metrics`, `/healthz`, `/readyz`), when it serves one. */
  metricsUrl?: string;
}

export function runtimeFilePath(hubsyncHome: string): string {
  return path.join(hubsyncHome, 'runtime.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The runtime file of a live `hubsync start`, or undefined (no file, or its process is gone). */
export function readRuntimeInfo(hubsyncHome: string): RuntimeInfo | undefined {
  const file = runtimeFilePath(hubsyncHome);
  if (!fs.existsSync(file)) return undefined;
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as RuntimeInfo;
  return isAlive(info.pid) ? info : undefined;
}

export function writeRuntimeInfo(hubsyncHome: string, info: RuntimeInfo): void {
  fs.mkdirSync(hubsyncHome, { recursive: true });
  const file = runtimeFilePath(hubsyncHome);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(info, null, 2), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

export function removeRuntimeInfo(hubsyncHome: string, pid = process.pid): void {
  const file = runtimeFilePath(hubsyncHome);
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as RuntimeInfo;
    if (info.pid === pid) fs.rmSync(file);
  } catch {
    // already gone
  }
}
