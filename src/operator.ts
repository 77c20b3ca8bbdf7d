// Assembles the operator: caches, controllers, the shared cloud registry with its batched pollers, leader
// election, and the health/metrics server. main.ts only parses flags and handles signals.
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, KINDS } from './api/constants.ts';
import { inShard, MAIN_SHARD, shardSelector, shardSuffix } from './api/shard.ts';
import type { ImageCapture, ImageSchedule, InstanceBundle } from './api/types.ts';
import { onTruncated } from './api/conditions.ts';
import { EndpointPolicy } from './cloud/endpoint-policy.ts';
import { CloudRegistry } from './cloud/registry.ts';
import type { OperatorConfig } from './config.ts';
import { cloudProfileController } from './controllers/cloudprofile/controller.ts';
import { IMAGE_CAPTURE, imageCaptureController } from './controllers/imagecapture/controller.ts';
import { INSTANCE_BUNDLE, instanceBundleController } from './controllers/instancebundle/controller.ts';
import { imageScheduleController } from './controllers/imageschedule/controller.ts';
import { CloudContexts, routeKey, type WatcherSource } from './controllers/shared/cloud-context.ts';
import { CloudResolver } from './controllers/shared/cloud-resolver.ts';
import { CreateCallSigner } from './controllers/shared/create-calls.ts';
import { usesProfile } from './controllers/shared/profile-refs.ts';
import type { Controller } from './runtime/controller.ts';
import { loadCheckpointKey } from './runtime/checkpoint-key.ts';
import { wallClock } from './runtime/clock.ts';
import { startHealthServer, type HealthServer } from './runtime/health.ts';
import { Manager } from './runtime/manager.ts';
import { labelMetricsWithShard } from './runtime/metrics.ts';
import { recordResourceMetrics } from './runtime/resource-metrics.ts';
import { FIELD_MANAGER, useFieldManager } from './runtime/rest.ts';

export interface RunningOperator {
  manager: Manager;
  health: HealthServer;
  stop(): Promise<void>;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export interface OperatorExtras {
  /** Watchers of cloud objects other than the shared batched pollers, given the wake-up (the benchmark's baseline). */
  watchers?: (wake: (pollerKey: string) => void) => WatcherSource;
}

export async function startOperator(cfg: OperatorConfig, log: Logger, extras: OperatorExtras = {}): Promise<RunningOperator> {
  const kubeConfig = loadKubeConfig(cfg.kubeconfig);
  // managedFields name the shard that wrote each object: the proof that no resource had two writers.
  if (cfg.shard) useFieldManager(kubeConfig, FIELD_MANAGER + shardSuffix(cfg.shard));
  labelMetricsWithShard(cfg.shard);
  // A sharded install also watches its own namespace: the default cloud's CloudProfile lives there.
  const namespaces = cfg.watchNamespaces.length ? [...new Set([...cfg.watchNamespaces, cfg.namespace])] : [];
  const manager = new Manager({
    kubeConfig,
    namespaces,
    log,
    shardSelector: shardSelector(cfg.shard),
    leaderElection: cfg.leaderElection ? { namespace: cfg.namespace, name: cfg.leaseName, identity: cfg.identity } : undefined,
  });
  const defaultProfile = cfg.defaultCloud ? { namespace: cfg.namespace, name: cfg.defaultCloud } : undefined;
  const profiles = manager.informer<never>({ apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural, kind: KINDS.CloudProfile.kind });

  const wakers = new Map<string, (key: string) => void>();
  const wake = (pollerKey: string) => {
    const { kind, key } = routeKey(pollerKey);
    wakers.get(kind)?.(key);
  };
  const registry = new CloudRegistry({
    gateway: { endpointPolicy: new EndpointPolicy(cfg.allowedEndpoints), log: log.child({ module: 'cloud' }) },
    pollers: { minIntervalMs: cfg.pollMinMs, maxIntervalMs: cfg.pollMaxMs, onChange: wake },
  });
  const clouds = new CloudResolver({
    kubeConfig,
    getProfile: (ns, name) => profiles.get(ns, name) as never,
    defaultProfile,
    limits: { callTimeoutMs: cfg.cloudCallTimeoutMs, maxCallTimeoutMs: cfg.maxCloudCallTimeoutMs, maxUploadPolicyTtlMs: cfg.maxUploadPolicyTtlMs },
  });
  // A condition message cut to fit the API server's limits keeps its whole text here.
  onTruncated((type, message) => log.info({ condition: type, message }, 'condition message truncated'));
  // Create checkpoints in status are signed with a key tenants cannot read, so writing status proves nothing.
  const createCalls = new CreateCallSigner(await loadCheckpointKey(kubeConfig, cfg.namespace, cfg.checkpointKeySecret));
  const contexts = new CloudContexts(registry, { createCalls, ...(extras.watchers ? { watchers: extras.watchers(wake) } : {}) });

  let captures!: Controller<ImageCapture>;
  let bundles!: Controller<InstanceBundle>;
  manager.addController((ctx) => asAny(captures = imageCaptureController(ctx, {
    clouds, contexts, defaultProfile, concurrency: cfg.concurrency, workersPerCloud: cfg.workersPerCloud, rebootSettleMs: cfg.rebootSettleMs, namespace: cfg.namespace, verifyAvailableEveryMs: cfg.verifyAvailableEveryMs,
    statusRefreshMs: cfg.statusRefreshMs,
  })));
  manager.addController((ctx) => asAny(bundles = instanceBundleController(ctx, { clouds, contexts, defaultProfile, concurrency: cfg.concurrency, workersPerCloud: cfg.workersPerCloud, statusRefreshMs: cfg.statusRefreshMs })));
  let schedules!: Controller<ImageSchedule>;
  manager.addController((ctx) => asAny(schedules = imageScheduleController(ctx, { clouds, contexts, clock: cfg.clock ?? wallClock })));
  wakers.set(IMAGE_CAPTURE, (key) => captures.enqueue(key));
  wakers.set(INSTANCE_BUNDLE, (key) => bundles.enqueue(key));

  manager.addController((ctx) => asAny(cloudProfileController(ctx, {
    clouds,
    registry,
    defaultProfile,
    // Every shard reads every CloudProfile (its resources may use any); the profile's own shard label says which
    // shard checks the cloud and writes the profile's status.
    owns: (profile) => inShard(profile, cfg.shard),
    // Captures and bundles follow their CloudProfile through their own controllers' profile cache (one path);
    // a schedule reads the profile only through its capture template, so it is told here.
    profileChanged: (namespace, name) => {
      const profile = { metadata: { namespace, name } };
      for (const sc of schedules.primary.list()) {
        if (usesProfile({ metadata: sc.metadata, spec: sc.spec.captureTemplate }, profile, defaultProfile)) schedules.enqueue(`${sc.metadata.namespace}/${sc.metadata.name}`);
      }
    },
  })));

  // Resources by kind and phase, Stalled ones and Ready clouds, from the caches (no API calls). Every shard reports
  // whether each CloudProfile is Ready, but only the profile's own shard counts it Stalled, so a sum over shards
  // counts every Stalled resource once.
  const countPhases = setInterval(() => {
    recordResourceMetrics([[IMAGE_CAPTURE, captures.primary.values()], [INSTANCE_BUNDLE, bundles.primary.values()]], profiles.list(), (p) => inShard(p, cfg.shard));
  }, 15_000);
  countPhases.unref();

  const health = await startHealthServer({
    port: cfg.healthPort,
    host: cfg.healthHost,
    readiness: () => manager.ready,
    // Reported, never failing: a restart would not make a tenant's cloud answer.
    notices: () => registry.unresponsive().map((c) => `cloud ${c.id} has not answered for ${Math.round(c.ms / 1000)} s (its resources wait; other clouds are unaffected)`),
  });
  await manager.start();
  log.info({ shard: cfg.shard ?? MAIN_SHARD, namespaces: namespaces.length ? namespaces : 'all', leaderElection: cfg.leaderElection, healthPort: health.port }, 'operator started');
  return {
    manager,
    health,
    async stop() {
      clearInterval(countPhases);
      await manager.stop();
      registry.close();
      await health.close();
    },
  };
}

/** The manager keeps controllers of every kind in one list. */
function asAny<T>(c: Controller<T & KubernetesObject>): Controller<never> {
  return c as unknown as Controller<never>;
}
