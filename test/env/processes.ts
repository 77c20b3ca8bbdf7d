// Registry of every child process and temp folder a test run creates, so that teardown (normal end, SIGINT,
// SIGTERM, uncaught errors) leaves nothing behind. Each child carries EIO_TEST_RUN=<run id> in its environment,
// which lets scripts/check-no-strays.sh find any survivor after the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The run id, shared with every child through the environment. Set by scripts/test.sh or made once here. */
export function runId(): string {
  if (!process.env.EIO_TEST_RUN) process.env.EIO_TEST_RUN = `run-${process.pid}-${Date.now()}`;
  return process.env.EIO_TEST_RUN;
}

export interface TrackedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** SIGTERM to the whole process group, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log file, for error messages. */
  logTail(lines?: number): string;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

const live = new Set<TrackedProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

const OWNER_FILE = '.eio-owner-pid';
let swept = false;

/** Makes a temp folder that teardown removes. */
export function makeTempDir(prefix: string): string {
  installTeardownHandlers();
  if (!swept) sweepOrphanedTempDirs();
  const dir = mkdtempSync(join(tmpdir(), `eio-${prefix}-`));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  tempDirs.add(dir);
  return dir;
}

// A test process killed with SIGKILL runs no cleanup; its folders are removed by the next run once their
// owner is gone.
function sweepOrphanedTempDirs(): void {
  swept = true;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('eio-')) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
      if (owner > 0 && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
    } catch { /* not ours, or already gone */ }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export interface SpawnOptions {
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a long-running child in its own process group (so its own children die with it), output appended to
 * logPath, tagged with the run id.
 */
export function spawnTracked(name: string, command: string, args: string[], opts: SpawnOptions): TrackedProcess {
  installTeardownHandlers();
  const fd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  // setpriv (util-linux) execs the server with a parent-death signal, so even a SIGKILLed test process, which
  // runs no handler, takes its servers with it.
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, args];
  try {
    child = spawn(cmd, argv, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, EIO_TEST_RUN: runId() },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  return adopt(name, child, (lines = 40) => tailOf(opts.logPath, lines), opts.logPath);
}

/** Tracks a child started elsewhere (spawned detached, so it leads its own process group). */
export function adopt(name: string, child: ChildProcess, logTail: (lines?: number) => string, logPath = ''): TrackedProcess {
  installTeardownHandlers();
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    const done = (result: number | string) => { ended = true; live.delete(tracked); resolve(result); };
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown'));
    child.once('error', (err) => done(`spawn error: ${err.message}`));
  });
  const tracked: TrackedProcess = {
    name,
    pid: child.pid ?? -1,
    logPath,
    child,
    exited,
    hasExited: () => ended,
    async stop(graceMs = 3000) {
      if (ended) return;
      signalGroup(tracked, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(tracked, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader has gone; make sure nothing else in its group lingers.
      signalGroup(tracked, 'SIGKILL');
    },
    logTail,
  };
  if (child.pid !== undefined) live.add(tracked);
  return tracked;
}

function signalGroup(p: TrackedProcess, signal: NodeJS.Signals): void {
  if (p.pid <= 0) return;
  try { process.kill(-p.pid, signal); } catch { /* group already gone */ }
}

function tailOf(path: string, lines: number): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Processes of this run still alive (for tests of the harness and for diagnostics). */
export function liveProcesses(): TrackedProcess[] {
  return [...live];
}

/** Synchronous last-resort cleanup: SIGKILL every tracked process group and remove temp folders. */
export function killEverything(): void {
  for (const p of live) signalGroup(p, 'SIGKILL');
  live.clear();
  for (const dir of tempDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort on the way out */ }
  }
  tempDirs.clear();
}

/** Installs, once per process, handlers that clean up on exit, SIGINT/SIGTERM and uncaught errors. */
export function installTeardownHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' also fires when an uncaught error or unhandled rejection ends the process. Cleaning up on every
  // uncaught error instead would break runners such as mocha, which report it as a failed test and go on.
  process.once('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killEverything();
      process.kill(process.pid, signal); // re-raise with the default action now that our handler is gone
    });
  }
}
