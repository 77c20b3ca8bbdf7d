// Every series of an operator process names its shard, so a sharded install's processes stay apart in Prometheus.
import { expect } from 'chai';
import { labelMetricsWithShard, leaderGauge, registry, reconcileTotal } from '../../../src/runtime/metrics.ts';

describe('runtime/metrics shard label', () => {
  after(() => labelMetricsWithShard(undefined));

  it('labels the operator\'s and the process\'s series with --shard, and the main shard as "main"', async () => {
    leaderGauge.set(1);
    reconcileTotal.inc({ controller: 'imagecapture', outcome: 'success' });
    labelMetricsWithShard('a');
    let text = await registry.metrics();
    expect(text).to.contain('eio_leader{shard="a"} 1');
    expect(text).to.match(/^eio_reconcile_total\{controller="imagecapture",outcome="success",shard="a"\} \d+$/m);
    expect(text).to.match(/^process_cpu_user_seconds_total\{shard="a"\} /m);
    // No series of this process goes without it.
    const unlabelled = text.split('\n').filter((l) => l && !l.startsWith('#') && !l.includes('shard="a"'));
    expect(unlabelled).to.deep.equal([]);
    labelMetricsWithShard(undefined);
    text = await registry.metrics();
    expect(text).to.contain('eio_leader{shard="main"} 1');
  });
});
