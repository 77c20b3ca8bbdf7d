// Wires InstanceBundle's step reconciler into the runtime: its cache, the CloudProfile cache as a secondary source,
// status and finalizer writes, events, and poller wake-ups.
import { API_VERSION, KINDS } from '../../api/constants.ts';
import type { CloudProfile, InstanceBundle, InstanceBundleStatus } from '../../api/types.ts';
import { Controller } from '../../runtime/controller.ts';
import { abandonRequested } from '../shared/deletion.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import type { CloudContexts } from '../shared/cloud-context.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { FreshObjects } from '../shared/fresh-objects.ts';
import { eventSink, resourceWriter } from '../shared/resource-writer.ts';
import { cloudPartition, profileUsers } from '../shared/profile-refs.ts';
import { StepReconciler } from '../shared/step-reconciler.ts';
import { instanceBundleKind } from './kind.ts';

export const INSTANCE_BUNDLE = KINDS.InstanceBundle.kind;
const kindRef = { apiVersion: API_VERSION, plural: KINDS.InstanceBundle.plural };

export interface InstanceBundleControllerOptions {
  clouds: CloudResolver;
  contexts: CloudContexts;
  defaultProfile?: { namespace: string; name: string };
  concurrency: number;
  /** Most workers one cloud endpoint may hold at a time. */
  workersPerCloud?: number;
  waitingRequeueMs?: number;
  /** Longest a minor status change waits for a real one (see StepReconcilerDeps). */
  statusRefreshMs?: number;
  cancelPollMs?: number;
}

export function instanceBundleController(ctx: ManagerContext, o: InstanceBundleControllerOptions): Controller<InstanceBundle> {
  const bundles = ctx.informer<InstanceBundle>({ apiVersion: API_VERSION, plural: KINDS.InstanceBundle.plural, kind: INSTANCE_BUNDLE, sharded: true });
  const profiles = ctx.informer<CloudProfile>({ apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural, kind: KINDS.CloudProfile.kind });
  const fresh = new FreshObjects<InstanceBundle>();
  const log = ctx.log.child({ controller: 'instancebundle' });

  const events = eventSink<InstanceBundle>(ctx);
  const reconciler = new StepReconciler(instanceBundleKind(events, log), {
    get: (ns, name) => fresh.pick(`${ns}/${name}`, bundles.get(ns, name)),
    clouds: o.clouds,
    cloudView: (settings) => o.contexts.forKind(INSTANCE_BUNDLE, settings),
    forget: (key) => {
      o.contexts.forget(INSTANCE_BUNDLE, key);
      if (!bundles.has(key)) fresh.forget(key);
    },
    writer: resourceWriter<InstanceBundle, InstanceBundleStatus>(ctx, kindRef, fresh),
    events,
    log,
    waitingRequeueMs: o.waitingRequeueMs ?? 60_000,
    cancelPollMs: o.cancelPollMs ?? 1_000,
    statusRefreshMs: o.statusRefreshMs,
  });

  return new Controller<InstanceBundle>({
    name: 'instancebundle',
    primary: bundles,
    secondaries: [{
      cache: profiles as never,
      map: (p) => profileUsers(bundles.values(), p, o.defaultProfile),
    }],
    // Our own status writes must not wake the resource again; spec, deletion and finalizer changes do.
    updatePredicate: (a, b) => a.metadata.generation !== b.metadata.generation
      || !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp
      || (a.metadata.finalizers ?? []).length !== (b.metadata.finalizers ?? []).length
      || abandonRequested(a) !== abandonRequested(b),
    queue: { concurrency: o.concurrency },
    partition: {
      of: (key) => cloudPartition(bundles.getByKey(key), (ns, name) => profiles.get(ns, name), o.defaultProfile),
      maxActive: o.workersPerCloud ?? o.concurrency,
    },
    reconcile: (key) => reconciler.reconcile(key),
    log,
  });
}
