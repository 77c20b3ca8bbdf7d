import { expect } from 'chai';
import { loadConfig } from '../../src/config.ts';

describe('operator configuration', () => {
  it('has production defaults', () => {
    const c = loadConfig([], {});
    expect(c.watchNamespaces).to.deep.equal([]);
    expect(c.leaderElection).to.equal(false);
    expect(c.pollMinMs).to.equal(1000);
    expect(c.rebootSettleMs).to.equal(15000);
  });

  it('reads the environment and lets flags win', () => {
    const c = loadConfig(['--concurrency=4', '--watch-namespaces', 'a,b'], { EIO_CONCURRENCY: '8', EIO_LEADER_ELECT: 'true', EIO_REBOOT_SETTLE: '2s' });
    expect(c.concurrency).to.equal(4);
    expect(c.watchNamespaces).to.deep.equal(['a', 'b']);
    expect(c.leaderElection).to.equal(true);
    expect(c.rebootSettleMs).to.equal(2000);
  });

  it('rejects bad values with a message naming the flag', () => {
    expect(() => loadConfig(['--concurrency=0'], {})).to.throw(/--concurrency must be a whole number/);
    expect(() => loadConfig(['--reboot-settle=soon'], {})).to.throw(/--reboot-settle must be a duration/);
    expect(() => loadConfig(['--leader-elect=maybe'], {})).to.throw(/--leader-elect must be true or false/);
    expect(() => loadConfig(['--poll-min=20s', '--poll-max=1s'], {})).to.throw(/--poll-min/);
    expect(() => loadConfig(['--colour=blue'], {})).to.throw(/unknown flag --colour/);
  });
});
