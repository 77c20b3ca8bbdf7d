// Lease leader election against a real API server: of two candidates only one leads; when the leader releases
// (or just stops renewing) the other takes over within the lease duration.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getEnv, waitFor, type TestEnv } from '../../env/index.ts';
import { LeaderElector } from '../../../src/runtime/leader.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { kubeRequest, resourcePath } from '../../../src/runtime/rest.ts';

const candidateScript = fileURLToPath(new URL('./fixtures/lease-candidate.ts', import.meta.url));

interface Tracked {
  elector: LeaderElector;
  leading: boolean;
  started: number;
  stopped: number;
  startedAt?: number;
}

describe('runtime LeaderElector on a real API server', function () {
  this.timeout(120_000);
  let env: TestEnv;
  let ns: string;
  let seq = 0;
  const running: Tracked[] = [];
  const silent = createLogger({ level: 'silent' });

  before(async () => {
    env = await getEnv();
    ns = await env.newNamespace('rt-leader');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.elector.release()));
  });

  function candidate(lease: string, identity: string, leaseDurationSeconds = 3): Tracked {
    const elector = new LeaderElector({
      kubeConfig: env.kubeConfig, namespace: ns, name: lease, identity,
      leaseDurationSeconds, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.3, log: silent,
    });
    const t: Tracked = { elector, leading: false, started: 0, stopped: 0 };
    void elector.run({
      onStartedLeading: () => {
        t.leading = true;
        t.started++;
        t.startedAt = Date.now();
      },
      onStoppedLeading: () => {
        t.leading = false;
        t.stopped++;
      },
    });
    running.push(t);
    return t;
  }

  const holder = async (lease: string): Promise<string | null | undefined> =>
    (await kubeRequest<{ spec?: { holderIdentity?: string | null } }>(env.kubeConfig, 'GET',
      resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: ns, name: lease }))).spec?.holderIdentity;

  it('elects exactly one of two candidates and keeps it while it renews', async () => {
    const lease = `l${++seq}`;
    const a = candidate(lease, 'a');
    const b = candidate(lease, 'b');
    await waitFor(() => a.leading || b.leading, { message: 'a leader' });
    // Watch both for longer than a lease duration: never two leaders, no flapping.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      expect(a.leading && b.leading, 'two leaders').to.equal(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    const [leader, standby] = a.leading ? [a, b] : [b, a];
    expect(leader.started).to.equal(1);
    expect(leader.stopped).to.equal(0);
    expect(standby.started).to.equal(0);
    expect(await holder(lease)).to.equal(leader.elector.identity);
  });

  it('hands over at once when the leader releases the Lease', async () => {
    const lease = `l${++seq}`;
    const a = candidate(lease, 'a', 15);
    await waitFor(() => a.leading, { message: 'a leads' });
    const b = candidate(lease, 'b', 15);
    const released = Date.now();
    await a.elector.release();
    expect(a.leading).to.equal(false);
    expect(a.stopped).to.equal(1);
    await waitFor(() => b.leading, { message: 'b takes over', timeoutMs: 15_000 });
    // Well within the 15 s lease: the standby did not wait for expiry.
    expect((b.startedAt as number) - released).to.be.below(5000);
    expect(await holder(lease)).to.equal('b');
  });

  it('takes over within the lease duration when the leader process dies without releasing', async () => {
    const lease = `l${++seq}`;
    const leaseSeconds = 3;
    const child = spawn(process.execPath, [candidateScript, env.kubeconfigPath, ns, lease, 'crasher', String(leaseSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitFor(() => out.includes('LEADING'), { message: 'child leads', timeoutMs: 30_000 });
      const b = candidate(lease, 'b', leaseSeconds);
      await waitFor(async () => (await holder(lease)) === 'crasher', { message: 'crasher holds the Lease' });
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor(() => b.leading, { message: 'b takes over after expiry', timeoutMs: 20_000 });
      // At most one lease duration after the last renewal (plus a retry period and request time).
      expect((b.startedAt as number) - killedAt).to.be.at.most(leaseSeconds * 1000 + 1500);
      expect(await holder(lease)).to.equal('b');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a leader that cannot renew (Lease taken by force) stops leading', async () => {
    const lease = `l${++seq}`;
    const a = candidate(lease, 'a', 3);
    await waitFor(() => a.leading, { message: 'a leads' });
    // Someone overwrites the Lease with a far-future renewTime for another holder.
    const path = resourcePath({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: ns, name: lease });
    const current = await kubeRequest<Record<string, unknown> & { spec: Record<string, unknown> }>(env.kubeConfig, 'GET', path);
    const future = new Date(Date.now() + 3600_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await kubeRequest(env.kubeConfig, 'PUT', path, { body: { ...current, spec: { ...current.spec, holderIdentity: 'intruder', renewTime: future, leaseDurationSeconds: 3600 } } });
    await waitFor(() => !a.leading, { message: 'a steps down', timeoutMs: 10_000 });
    expect(a.stopped).to.equal(1);
  });
});

