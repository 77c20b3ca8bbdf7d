// Wires ImageCapture's step reconciler into the runtime: its cache, the CloudProfile cache as a secondary source,
// status and finalizer writes, events, and poller wake-ups.
import { API_VERSION, KINDS } from '../../api/constants.ts';
import type { CloudProfile, ImageCapture, ImageCaptureStatus } from '../../api/types.ts';
import { Controller } from '../../runtime/controller.ts';
import { abandonRequested } from '../shared/deletion.ts';
import type { ManagerContext } from '../../runtime/manager.ts';
import type { CloudContexts } from '../shared/cloud-context.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { FreshObjects } from '../shared/fresh-objects.ts';
import { eventSink, resourceWriter } from '../shared/resource-writer.ts';
import { cloudPartition, profileUsers } from '../shared/profile-refs.ts';
import { StepReconciler } from '../shared/step-reconciler.ts';
import { imageCaptureKind } from './kind.ts';
import { RebootLedger } from './reboot-ledger.ts';

export const IMAGE_CAPTURE = KINDS.ImageCapture.kind;
const kindRef = { apiVersion: API_VERSION, plural: KINDS.ImageCapture.plural };

export interface ImageCaptureControllerOptions {
  clouds: CloudResolver;
  contexts: CloudContexts;
  defaultProfile?: { namespace: string; name: string };
  concurrency: number;
  /** Most workers one cloud endpoint may hold at a time. */
  workersPerCloud?: number;
  rebootSettleMs: number;
  /** The operator's namespace, where reboots are recorded for every operator process to see. */
  namespace: string;
  verifyAvailableEveryMs: number;
  waitingRequeueMs?: number;
  /** Longest a minor status change waits for a real one (see StepReconcilerDeps). */
  statusRefreshMs?: number;
}

export function imageCaptureController(ctx: ManagerContext, o: ImageCaptureControllerOptions): Controller<ImageCapture> {
  const captures = ctx.informer<ImageCapture>({ apiVersion: API_VERSION, plural: KINDS.ImageCapture.plural, kind: IMAGE_CAPTURE, sharded: true });
  const profiles = ctx.informer<CloudProfile>({ apiVersion: API_VERSION, plural: KINDS.CloudProfile.plural, kind: KINDS.CloudProfile.kind });
  const fresh = new FreshObjects<ImageCapture>();
  const log = ctx.log.child({ controller: 'imagecapture' });

  const events = eventSink<ImageCapture>(ctx);
  const waitingRequeueMs = o.waitingRequeueMs ?? 60_000;
  const reboots = new RebootLedger({ kubeConfig: ctx.kubeConfig, namespace: o.namespace, settleMs: o.rebootSettleMs, log });
  const kind = imageCaptureKind(events, log, { rebootSettleMs: o.rebootSettleMs, reboots, verifyAvailableEveryMs: o.verifyAvailableEveryMs, waitingRequeueMs });
  const reconciler = new StepReconciler(kind, {
    get: (ns, name) => fresh.pick(`${ns}/${name}`, captures.get(ns, name)),
    clouds: o.clouds,
    cloudView: (settings) => o.contexts.forKind(IMAGE_CAPTURE, settings),
    forget: (key) => {
      o.contexts.forget(IMAGE_CAPTURE, key);
      if (!captures.has(key)) fresh.forget(key);
    },
    writer: resourceWriter<ImageCapture, ImageCaptureStatus>(ctx, kindRef, fresh),
    events,
    log,
    waitingRequeueMs,
    cancelPollMs: 1_000,
    statusRefreshMs: o.statusRefreshMs,
  });

  return new Controller<ImageCapture>({
    name: 'imagecapture',
    primary: captures,
    secondaries: [{
      cache: profiles as never,
      map: (p) => profileUsers(captures.values(), p, o.defaultProfile),
    }],
    // Our own status writes must not wake the resource again; spec, deletion and finalizer changes do.
    updatePredicate: (a, b) => a.metadata.generation !== b.metadata.generation
      || !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp
      || (a.metadata.finalizers ?? []).length !== (b.metadata.finalizers ?? []).length
      || abandonRequested(a) !== abandonRequested(b),
    queue: { concurrency: o.concurrency },
    partition: {
      of: (key) => cloudPartition(captures.getByKey(key), (ns, name) => profiles.get(ns, name), o.defaultProfile),
      maxActive: o.workersPerCloud ?? o.concurrency,
    },
    reconcile: (key) => reconciler.reconcile(key),
    log,
  });
}

