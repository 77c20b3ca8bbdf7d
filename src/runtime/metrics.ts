// The operator's one Prometheus registry. Every other module increments these objects; /metrics renders it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MAIN_SHARD } from '../api/shard.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/**
 * Labels every series of this process with its shard (`shard="main"` for the main shard), so the processes of a
 * sharded install can be told apart and aggregated per shard, not only per pod.
 */
export function labelMetricsWithShard(shard: string | undefined): void {
  registry.setDefaultLabels({ shard: shard ?? MAIN_SHARD });
}
labelMetricsWithShard(undefined);

export const reconcileDuration = new Histogram({
  name: 'eio_reconcile_duration_seconds',
  help: 'Time spent in one reconcile call',
  labelNames: ['controller', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const reconcileTotal = new Counter({
  name: 'eio_reconcile_total',
  help: 'Reconcile calls by outcome (success, requeue, error)',
  labelNames: ['controller', 'outcome'] as const,
  registers: [registry],
});

export const workqueueDepth = new Gauge({
  name: 'eio_workqueue_depth',
  help: 'Keys waiting in the work queue (excluding delayed ones)',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const cloudCallsTotal = new Counter({
  name: 'eio_cloud_calls_total',
  help: 'Calls to the cloud APIs by action and outcome',
  labelNames: ['cloud', 'action', 'outcome'] as const,
  registers: [registry],
});

export const resourcesGauge = new Gauge({
  name: 'eio_resources',
  help: 'Custom resources by kind and phase',
  labelNames: ['kind', 'phase'] as const,
  registers: [registry],
});

export const informerRelists = new Counter({
  name: 'eio_informer_relists_total',
  help: 'Full relists of an informer after its watch expired (410 Gone)',
  labelNames: ['resource'] as const,
  registers: [registry],
});

export const leaderGauge = new Gauge({
  name: 'eio_leader',
  help: '1 while this replica holds the leader Lease',
  registers: [registry],
});

export const resourcesStalled = new Gauge({
  name: 'eio_resources_stalled',
  help: 'Custom resources whose Stalled condition is True for their current generation, by kind and reason',
  labelNames: ['kind', 'reason'] as const,
  registers: [registry],
});

export const cloudProfileReady = new Gauge({
  name: 'eio_cloudprofile_ready',
  help: '1 while a CloudProfile is Ready for its current generation, else 0',
  labelNames: ['namespace', 'name'] as const,
  registers: [registry],
});

export const partitionDeferred = new Counter({
  name: 'eio_reconcile_deferred_total',
  help: 'Reconciles put back for a moment because their cloud already held its share of the workers',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const cloudUnresponsive = new Gauge({
  name: 'eio_cloud_unresponsive',
  help: '1 while a cloud has given no answer (only timeouts or network errors) for longer than its deadline, else 0',
  labelNames: ['cloud'] as const,
  registers: [registry],
});
