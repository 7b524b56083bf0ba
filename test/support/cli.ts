/** Runs the real `hubsync` CLI (bin/hubsync.js) as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'hubsync.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hubsync ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running CLI process whose output can be awaited line by line. */
export class CliProcess {
  readonly child: ChildProcess;
  output = '';

  /** `opts.entry`: node's arguments before the CLI's (default: bin/hubsync.js, the sources through tsx). */
  constructor(args: string[], env: NodeJS.ProcessEnv, opts: { detached?: boolean; entry?: string[] } = {}) {
    this.child = spawn(process.execPath, [...(opts.entry ?? [BIN]), ...args], {
      // A worker or stack serves /metrics on 9464 by default: two test files running side by side would both
      // bind it and one would fail (EADDRINUSE). Off unless the test gives a port (it should pick a free one).
      env: { ...process.env, HUBSYNC_METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /**
   * The output with each JSON log line shown as its message: `hubsync worker` prints one JSON line per event
   * (issue 15), where `polls task queue "x"` is `polls task queue \"x\"`.
   */
  get messages(): string {
    return this.output
      .split('\n')
      .map((line) => {
        if (!line.startsWith('{')) return line;
        try {
          const msg: unknown = (JSON.parse(line) as { msg?: unknown }).msg;
          return typeof msg === 'string' ? msg : line;
        } catch {
          return line;
        }
      })
      .join('\n');
  }

  /** Until the output, or its messages (JSON log lines), show `text`. */
  async waitFor(text: string | RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const shows = (out: string) => (typeof text === 'string' ? out.includes(text) : text.test(out));
    const found = () => shows(this.output) || shows(this.messages);
    while (!found()) {
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before printing ${String(text)}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  exited(timeoutMs: number): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
