// InstanceBundle on the shared step reconciler: its steps (steps.ts), its cleanup (cleanup.ts) and the words
// and marks that differ from other kinds. Deletion, finalizer, cloud, timeout, errors and status writes are
// the skeleton's (shared/step-reconciler.ts).
import type { Logger } from 'pino';
import type { InstanceBundle, InstanceBundleStatus } from '../../api/types.ts';
import { Reasons } from '../../api/reasons.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { applyLaunchPermissions, revokeOnRetain, sameSet } from '../shared/launch-permissions.ts';
import type { EventSink, KindDefinition } from '../shared/step-reconciler.ts';
import { StallError } from '../shared/outcomes.ts';
import { finishedCloud, type FinishedWork } from '../shared/profile-away.ts';
import { cleanUp } from './cleanup.ts';
import { ownImage } from './ownership.ts';
import { InstanceBundleState } from './state.ts';
import { bundleSteps } from './steps.ts';

export function instanceBundleKind(events: EventSink<InstanceBundle>, log: Logger): KindDefinition<InstanceBundle, InstanceBundleStatus, InstanceBundleState> {
  /** Only on an image proven ours: status.imageId may name someone else's. Nothing to grant or revoke: no call. */
  const launchPermissions = async (cloud: KindCloud, state: InstanceBundleState) => {
    if (!state.obj.spec.launchPermissions?.length && !state.status.launchPermissions?.length) return;
    if (!(await ownImage(cloud, state, state.status.imageId!))) return;
    await applyLaunchPermissions(cloud.gw, state.status.imageId!, state.obj.spec.launchPermissions, state,
      (message) => events.normal(state.obj, 'LaunchPermissionsUpdated', message));
  };

  /** What a finished bundle keeps while its cloud cannot be used. */
  const finished = (state: InstanceBundleState): FinishedWork => ({ noun: 'bundle', what: `image ${state.status.imageId}`, cannot: 'apply edits (launch permissions) to it' });

  return {
    noun: 'bundle',
    newState: (obj) => new InstanceBundleState(obj),
    steps: bundleSteps(events),
    async complete(cloud, state) {
      const s = state.status;
      if (s.imageId) await launchPermissions(cloud, state);
      state.phase('Available');
      s.progress = 100;
      s.completedAt ??= new Date().toISOString();
      const what = s.imageId ? `image ${s.imageId} is available from ${s.manifestLocation}` : `bundle stored at ${s.manifestLocation}`;
      state.ready(what);
      events.normal(state.obj, s.imageId ? 'ImageAvailable' : 'BundleAvailable', what);
      return {};
    },
    // Only spec.launchPermissions of a registered image acts on an edit (deletionPolicy acts at deletion). While
    // the cloud cannot be used (its CloudProfile away or repointed) the bundle stays Ready and says so.
    async whenAvailable(cloud, state) {
      const edited = !!state.status.imageId && !sameSet(state.obj.spec.launchPermissions, state.status.launchPermissions);
      if (edited || state.condition('CloudProfileReady')) {
        const resolved = await finishedCloud(cloud, state, finished(state), events);
        if ('requeue' in resolved) return resolved.requeue;
        if (edited) await launchPermissions(resolved.cloud, state);
      }
      return {};
    },
    onStall(state, err) {
      // Only once a task was being started: BundleStored also tells deletion to look for one.
      const stored = state.condition('BundleStored');
      if ((err.reason === Reasons.BundleFailed || err.reason === Reasons.Timeout) && stored && stored.status !== 'True') {
        state.step('BundleStored', 'False', err.reason, err.message);
      }
      if (!state.status.completedAt && err.reason === Reasons.BundleFailed) state.status.completedAt = new Date().toISOString();
    },
    cleanupReasons: new Set([Reasons.Timeout, Reasons.BundleFailed]),
    failureCleanup: {
      /** Best effort: cancel a still-running task and drop partial objects; deletion finishes whatever is left. */
      async run(cloud, state) {
        try {
          const result = await cleanUp(await cloud(), state, { deleteAll: false });
          if (result.waiting) events.normal(state.obj, 'Cancelling', result.waiting);
          if (result.deleted.length) events.normal(state.obj, 'CleanedUp', `removed ${result.deleted.join(', ')}`);
        } catch (err) {
          log.warn({ key: state.key, err: String(err) }, 'cleanup after failure did not finish; it is retried on deletion');
        }
        return {};
      },
    },
    deletion: {
      // BundleStored is written before BundleInstance is sent: without it (and without ids) nothing exists in the cloud.
      madeAnything: (state) => !!(state.status.bundleId || state.status.imageId || state.condition('BundleStored')),
      retainNeedsCloud: ({ obj, status: s }) => !(s.completedAt && s.state === 'complete') || (!!obj.spec.revokeLaunchPermissionsOnDeletion && !!s.launchPermissions?.length),
      recordedObjects(state) {
        const s = state.status;
        const { bucket, prefix } = state.obj.spec.storage;
        return [s.imageId, s.bundleId && `bundle task ${s.bundleId}`, `${bucket}/${prefix}.*`].filter((x): x is string => !!x);
      },
      nothingMade: 'no bundle task was started; no cloud call needed',
      describe: (policy) => policy === 'Delete'
        ? 'cancelling a running task, deregistering the image and removing the bundle'
        : 'cancelling a running task and removing a partial bundle',
      async cleanUp(cloud, state, policy) {
        const imageId = state.status.imageId;
        if (imageId && policy === 'Retain' && state.obj.spec.revokeLaunchPermissionsOnDeletion && await ownImage(cloud, state, imageId).catch((e: unknown) => { if (e instanceof StallError) return undefined; throw e; })) {
          await revokeOnRetain(cloud.gw, state, policy, (message) => events.normal(state.obj, 'LaunchPermissionsRevoked', message));
        }
        return cleanUp(cloud, state, { deleteAll: policy === 'Delete' });
      },
    },
    timeoutConsequence: 'a running bundle task was cancelled and partial objects removed',
    newAttempt({ status: s }) {
      // Validation runs again and a new task is started (a finished task of this instance and storage is adopted); the
      // signed create-call records stay, so what the failed attempt's calls made is still proven this bundle's.
      Object.assign(s, { bundleId: undefined, state: undefined, progress: 0, manifestLocation: undefined, imageId: undefined, completedAt: undefined });
      s.conditions = s.conditions?.filter((c) => ['Ready', 'Reconciling', 'Stalled'].includes(c.type));
    },
  };
}
