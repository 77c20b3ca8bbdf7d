// Runs a short-lived command to completion and captures its output. The child is tracked like the servers,
// so a run interrupted mid-command leaves nothing behind.
import { spawn } from 'node:child_process';
import { adopt, runId } from './processes.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kills the command after this long; the result then has code 124 like timeout(1). */
  timeoutMs?: number;
}

export function runCommand(command: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, EIO_TEST_RUN: runId() },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const tracked = adopt(command, child, () => Buffer.concat(err).toString('utf8'));
  child.stdin.on('error', () => { /* the command may exit without reading its input */ });
  child.stdin.end(opts.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; void tracked.stop(1000); }, opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    // 'close' (not 'exit') waits until both output streams are drained.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : (code ?? 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout: '', stderr: `cannot run ${command}: ${e.message}` });
    });
  });
}
