import { expect } from 'chai';
import { loadConfig } from '../../src/config.ts';

describe('operator configuration', () => {
  it('has production defaults', () => {
    const c = loadConfig([], {});
    expect(c.watchNamespaces).to.deep.equal([]);
    expect(c.leaderElection).to.equal(false);
    expect(c.pollMinMs).to.equal(1000);
    expect(c.rebootSettleMs).to.equal(15000);
    expect(c.statusRefreshMs).to.equal(120000);
    expect(loadConfig(['--status-refresh=0s'], {}).statusRefreshMs).to.equal(0);
    expect(c.checkpointKeySecret).to.equal('eucalyptus-image-operator-checkpoint-key');
    expect(loadConfig([], { EIO_CHECKPOINT_KEY_SECRET: 'eio-key' }).checkpointKeySecret).to.equal('eio-key');
  });

  it('reads the environment and lets flags win', () => {
    const c = loadConfig(['--concurrency=4', '--watch-namespaces', 'a,b'], { EIO_CONCURRENCY: '8', EIO_LEADER_ELECT: 'true', EIO_REBOOT_SETTLE: '2s' });
    expect(c.concurrency).to.equal(4);
    expect(c.watchNamespaces).to.deep.equal(['a', 'b']);
    expect(c.leaderElection).to.equal(true);
    expect(c.rebootSettleMs).to.equal(2000);
  });

  it('runs the main shard by default and gives a named shard its own Lease', () => {
    const main = loadConfig([], {});
    expect(main.shard).to.equal(undefined);
    expect(main.leaseName).to.equal('eucalyptus-image-operator');
    const a = loadConfig(['--shard=team-a'], {});
    expect(a.shard).to.equal('team-a');
    expect(a.leaseName).to.equal('eucalyptus-image-operator-shard-team-a');
    const b = loadConfig([], { EIO_SHARD: 'b', EIO_LEASE_NAME: 'eio' });
    expect(b.leaseName).to.equal('eio-shard-b');
    expect(() => loadConfig(['--shard=Team_A'], {})).to.throw(/--shard "Team_A" must be 1-40 lower-case letters/);
    expect(() => loadConfig(['--shard=-a'], {})).to.throw(/--shard/);
    expect(() => loadConfig(['--shard=' + 'a'.repeat(41)], {})).to.throw(/--shard/);
    expect(() => loadConfig(['--shard=main'], {})).to.throw(/--shard "main" is how metrics name the main shard/);
  });

  it('rejects bad values with a message naming the flag', () => {
    expect(() => loadConfig(['--concurrency=0'], {})).to.throw(/--concurrency must be a whole number/);
    expect(() => loadConfig(['--reboot-settle=soon'], {})).to.throw(/--reboot-settle must be a duration/);
    expect(() => loadConfig(['--leader-elect=maybe'], {})).to.throw(/--leader-elect must be true or false/);
    expect(() => loadConfig(['--poll-min=20s', '--poll-max=1s'], {})).to.throw(/--poll-min/);
    expect(() => loadConfig(['--colour=blue'], {})).to.throw(/unknown flag --colour/);
  });

  it('bounds cloud calls and bundles, and reads the endpoint policy', () => {
    const d = loadConfig([], {});
    expect(d.allowedEndpoints).to.deep.equal([]);
    expect(d.cloudCallTimeoutMs).to.equal(30_000);
    expect(d.maxUploadPolicyTtlMs).to.equal(7 * 24 * 3_600_000);
    expect(d.workersPerCloud).to.equal(8);
    const c = loadConfig(['--allowed-endpoints=ec2.example, 10.0.0.0/8,*.euca.example', '--cloud-call-timeout=10s', '--workers-per-cloud=3'], {});
    expect(c.allowedEndpoints).to.deep.equal(['ec2.example', '10.0.0.0/8', '*.euca.example']);
    expect(c.cloudCallTimeoutMs).to.equal(10_000);
    expect(c.workersPerCloud).to.equal(3);
    expect(() => loadConfig(['--allowed-endpoints=http://x/'], {})).to.throw(/--allowed-endpoints entry "http:\/\/x\/"/);
    expect(() => loadConfig(['--cloud-call-timeout=10m'], {})).to.throw(/--cloud-call-timeout must not exceed/);
    expect(() => loadConfig(['--max-upload-policy-ttl=1s'], {})).to.throw(/at least 1m/);
  });
});
