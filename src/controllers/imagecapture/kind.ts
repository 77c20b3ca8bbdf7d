// ImageCapture on the shared step reconciler: its steps (steps.ts), what a finished capture looks after (its
// image, tags, launch permissions, its CloudProfile), its cleanup (cleanup.ts) and the words that differ from
// other kinds. Deletion, finalizer, cloud, timeout, errors and status writes are the skeleton's
// (shared/step-reconciler.ts).
import type { Logger } from 'pino';
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import { Reasons, type EventReason } from '../../api/reasons.ts';
import type { ImageCapture, ImageCaptureStatus } from '../../api/types.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { applyLaunchPermissions, revokeOnRetain, sameSet } from '../shared/launch-permissions.ts';
import { finishedCloud, type FinishedWork } from '../shared/profile-away.ts';
import type { EventSink, KindDefinition, Requeue } from '../shared/step-reconciler.ts';
import { cleanUp } from './cleanup.ts';
import { ownImage, ownsImage } from './ownership.ts';
import type { OrchestratedOptions } from './orchestrated.ts';
import { ImageCaptureState } from './state.ts';
import { captureSteps } from './steps.ts';
import { sameTags, type TagSyncResult } from './tag-sync.ts';
import { verifyImage } from './verify.ts';

export interface ImageCaptureKindOptions extends OrchestratedOptions {
  /** How often a finished capture checks that its image still exists. */
  verifyAvailableEveryMs: number;
  /** Fallback look when no poller answers for the image of a finished capture. */
  waitingRequeueMs: number;
}

export function imageCaptureKind(events: EventSink<ImageCapture>, log: Logger, o: ImageCaptureKindOptions): KindDefinition<ImageCapture, ImageCaptureStatus, ImageCaptureState> {
  /** Only on an image proven ours (verification proves it; an edit later is proven here, from the poller's view). */
  const launchPermissions = (cloud: KindCloud, state: ImageCaptureState) => applyLaunchPermissions(cloud.gw, state.status.imageId!,
    state.obj.spec.launchPermissions, state, (message) => events.normal(state.obj, 'LaunchPermissionsUpdated', message));

  const recordTags = (state: ImageCaptureState, tags: TagSyncResult, reason: EventReason, verb: string) => {
    state.status.appliedTags = tags.applied;
    if (tags.added.length) events.normal(state.obj, reason, `${verb}: ${tags.added.join('; ')}`);
    if (tags.removed.length) events.normal(state.obj, reason, `removed tags no longer in spec.image.tags: ${tags.removed.join('; ')}`);
  };

  /** What a finished capture keeps while its cloud cannot be used. */
  const finished = (state: ImageCaptureState): FinishedWork => ({ noun: 'capture', what: `image ${state.status.imageId}`, cannot: 'check it or apply edits (tags) to it' });

  /** A finished capture looks at its image now and then: one deregistered by hand is reported, never re-created. */
  const verifyAvailable = async (cloud: KindCloud, state: ImageCaptureState): Promise<Requeue> => {
    const imageId = state.status.imageId!;
    cloud.images.watch(imageId, state.key);
    const seen = cloud.images.get(imageId);
    if (!seen) return { requeueAfterMs: o.waitingRequeueMs };
    cloud.images.unwatch(state.key);
    if ('notFound' in seen || seen.state === 'deregistered') {
      state.phase('Failed');
      state.step('ImageRegistered', 'False', 'ImageDeregistered', `image ${imageId} was deregistered outside the operator`);
      state.stalled('ImageDeregistered', `image ${imageId} no longer exists in the cloud (deregistered outside the operator): delete and re-create this ImageCapture to capture again`);
      events.warning(state.obj, 'ImageDeregistered', `image ${imageId} no longer exists in the cloud`);
      return {};
    }
    if (!sameSet(state.obj.spec.launchPermissions, state.status.launchPermissions)) {
      await ownImage(cloud, state.current, imageId, seen);
      await launchPermissions(cloud, state);
    }
    if (!sameTags(state.obj.spec.image.tags, state.status.appliedTags)) {
      // spec.image.tags was edited: the image and its snapshots follow.
      const v = await verifyImage(cloud, state);
      recordTags(state, v.tags, 'TagsUpdated', 'spec.image.tags changed; wrote');
    }
    return { requeueAfterMs: o.verifyAvailableEveryMs };
  };

  return {
    noun: 'capture',
    newState: (obj) => new ImageCaptureState(obj),
    steps: captureSteps(events, o),
    async complete(cloud, state) {
      const imageId = state.status.imageId;
      // Checked once, whatever the cloud claims to have applied on create.
      const v = await verifyImage(cloud, state);
      recordTags(state, v.tags, 'TagsRepaired', 'the cloud did not apply every tag on create; added');
      const differs = v.differences.join('; ');
      if (v.differences.length) {
        state.step('ImageVerified', 'False', 'ImageDiffers', `image ${imageId} differs from what was asked: ${differs}`);
        events.warning(state.obj, 'ImageDiffers', `image ${imageId} differs from what was asked: ${differs}`);
      } else {
        state.step('ImageVerified', 'True', 'Succeeded', `name, description, tags on the image and its snapshots${v.devices ? ` and ${v.devices} device mapping(s)` : ''} as asked`);
      }
      await launchPermissions(cloud, state);
      state.phase('Available');
      state.status.progress = 100;
      state.status.completedAt ??= new Date().toISOString();
      state.step('ImageRegistered', 'True', 'Succeeded', `image ${imageId} is available`);
      state.ready(v.differences.length ? `image ${imageId} is available, but differs from what was asked (see ImageVerified): ${differs}` : `image ${imageId} is available`);
      events.normal(state.obj, 'ImageAvailable', `image ${imageId} is available (strategy ${state.status.strategy})`);
      return { requeueAfterMs: o.verifyAvailableEveryMs };
    },
    async whenAvailable(cloud, state) {
      const resolved = await finishedCloud(cloud, state, finished(state), events);
      return 'requeue' in resolved ? resolved.requeue : verifyAvailable(resolved.cloud, state);
    },
    cleanupReasons: new Set([Reasons.Timeout, Reasons.SnapshotFailed, Reasons.ImageFailed]),
    failureCleanup: {
      /** Removes what a failed capture made; a cleanup that did not finish is tried again. */
      async run(cloud, state) {
        if (!state.status.strategy) return {}; // never got past validation: it made nothing
        try {
          const result = await cleanUp(await cloud(), state.current, { includeImage: true });
          state.status.retainedObjects = result.kept.length ? result.kept : undefined;
          state.step('CleanedUp', 'True', 'Succeeded', result.deleted.length ? `removed ${result.deleted.join(', ')}` : 'nothing to remove');
          if (result.deleted.length) events.normal(state.obj, 'CleanedUp', `removed temporary cloud objects: ${result.deleted.join(', ')}`);
          return {};
        } catch (err) {
          log.warn({ key: state.key, err: String(err) }, 'cleanup after failure did not finish; retrying');
          state.step('CleanedUp', 'False', 'Retrying', `cleanup did not finish: ${String((err as Error)?.message ?? err)}`);
          return { requeueAfterMs: 10_000 };
        }
      },
      unfinished: (state) => state.condition('CleanedUp')?.status === 'False',
    },
    deletion: {
      // Creating calls happen only after the strategy is recorded; any id in status is a cloud object.
      madeAnything: ({ status: s }) => !!(s.strategy || s.imageId || s.snapshots?.some((x) => x.snapshotId)),
      retainNeedsCloud: ({ obj, status: s }) => !(s.completedAt && s.imageId) || (!!obj.spec.revokeLaunchPermissionsOnDeletion && !!s.launchPermissions?.length),
      recordedObjects({ status: s }) {
        const ids = [s.imageId, ...(s.snapshots ?? []).map((x) => x.snapshotId)];
        return [...new Set(ids.filter((x): x is string => !!x))];
      },
      nothingMade: 'nothing was created in the cloud; no cloud call needed',
      abandonHint: (state) => ` (owner tag ${OWNER_TAG}=${ownerTagValue(state.obj)})`,
      describe: (policy) => policy === 'Delete' ? 'removing the image, its snapshots and temporary objects' : 'removing temporary objects (the image is retained)',
      async cleanUp(cloud, state, policy) {
        // Grants are revoked only on an image proven ours: status.imageId may name someone else's.
        const imageId = state.status.imageId;
        if (imageId && policy === 'Retain' && state.obj.spec.revokeLaunchPermissionsOnDeletion && await ownsImage(cloud, state.current, imageId)) {
          await revokeOnRetain(cloud.gw, state, policy, (message) => events.normal(state.obj, 'LaunchPermissionsRevoked', message));
        }
        return cleanUp(cloud, state.current, { includeImage: policy === 'Delete' });
      },
    },
    timeoutConsequence: 'temporary cloud objects were removed',
    newAttempt({ status: s }) {
      // Validation runs again (the edit may have changed what fits); the steps find snapshots and an image that
      // still carry this capture's owner tag and make what is missing. Granted launch permissions, applied tags,
      // retained objects and the signed create-call records stay: they describe the cloud (and prove what earlier calls
      // made), not the attempt.
      Object.assign(s, { strategy: undefined, imageId: undefined, snapshots: undefined, indications: undefined, progress: 0, completedAt: undefined, bootCheck: undefined });
      s.conditions = s.conditions?.filter((c) => ['Ready', 'Reconciling', 'Stalled'].includes(c.type));
    },
  };
}
