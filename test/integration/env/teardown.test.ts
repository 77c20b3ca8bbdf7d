// The harness must leave nothing behind when the test process is interrupted.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCommand, waitFor } from '../../env/index.ts';

const repoRoot = new URL('../../../', import.meta.url).pathname;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

describe('harness teardown', function () {
  // SIGINT takes the same path; one signal keeps the suite to one extra control plane start.
  for (const signal of ['SIGTERM'] as const) {
    it(`stops etcd, kube-apiserver and moto and removes the temp folder on ${signal}`, async function () {
      this.timeout(180_000);
      const run = `teardown-${signal}-${process.pid}-${Date.now()}`;
      const child = spawn(process.execPath, [join(repoRoot, 'test/integration/env/fixtures/hold-control-plane.ts')],
        { env: { ...process.env, EIO_TEST_RUN: run }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        const info = await waitFor(() => {
          if (child.exitCode !== null) throw new Error(`fixture exited early: ${err}`);
          const line = out.split('\n').find((l) => l.startsWith('{'));
          return line ? JSON.parse(line) as { dir: string; pids: number[] } : undefined;
        }, { timeoutMs: 150_000, intervalMs: 200, message: 'the fixture to start its servers' });
        expect(info.pids).to.have.length(3);
        expect(info.pids.every(alive)).to.equal(true);
        const before = await runCommand('bash', [join(repoRoot, 'scripts/check-no-strays.sh'), run]);
        expect(before.code, 'the stray check sees the live servers').to.equal(1);

        child.kill(signal);
        await exited;
        await waitFor(() => info.pids.every((p) => !alive(p)), { timeoutMs: 10_000, message: 'servers to exit' });
        expect(existsSync(info.dir)).to.equal(false);
        const after = await runCommand('bash', [join(repoRoot, 'scripts/check-no-strays.sh'), run]);
        expect(after.code, after.stderr).to.equal(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
