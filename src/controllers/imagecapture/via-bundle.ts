// Strategy ViaBundle: an instance-store instance becomes an EBS image. Bundle the instance into a staging
// bucket → ImportVolume from the bundle's manifest (presigned GET) → snapshot the imported volume → register a
// snapshot-backed image with the user's name, description and mappings → delete the temporary volume and the
// staged objects. Every temporary object is found again after a crash: the bundle task by instance, bucket and
// prefix, the import by its description mark, the volume and snapshot by their owner tags.
import { STEP_TAG, ownerTagValue } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import {
  createSnapshot, createTags, deleteVolume, describeVolumes, importVolume, registerImage, toSnapshotInfo,
  type InstanceInfo,
} from '../../cloud/ec2.ts';
import { ensureBucket, presignGet } from '../../cloud/s3.ts';
import { checkBundleable } from '../shared/bundle-checks.ts';
import { deleteBundleObjects, manifestKey, readManifestFacts } from '../shared/bundle-objects.ts';
import { bundleFailureMessage, startOrAdoptBundle } from '../shared/bundle-task.ts';
import { findConversionTasks, importDescription } from '../shared/conversion-task.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { stagingOf, type StagingLocation } from '../shared/staging-cleanup.ts';
import { adoptImage, followRegisteredImage, ownerTags, tagObjects } from './image-steps.ts';
import { mergeMappings } from './mappings.ts';
import type { CloudContext } from './ports.ts';
import type { CaptureState } from './state.ts';
import type { StepResult } from './step-result.ts';
import { loadInstance } from './validate.ts';

const GIB = 1024 ** 3;
/** The cloud fetches the manifest when the conversion starts; a day is ample and well under SigV4's 7-day cap. */
const MANIFEST_URL_TTL_S = 24 * 3600;
const CREATION_SLACK_MS = 2_000;

export async function runViaBundle(cloud: CloudContext, state: CaptureState): Promise<StepResult> {
  const staging = stagingOf(state.obj);
  let instance: InstanceInfo | undefined;
  const instanceNow = async () => (instance ??= await loadInstance(cloud, state.obj));

  if (state.condition('BundleStored')?.status !== 'True') {
    const r = await bundle(cloud, state, staging, instanceNow);
    if (r) return r;
  }
  if (state.condition('VolumeImported')?.status !== 'True') {
    const r = await importFromBundle(cloud, state, staging, instanceNow);
    if (r) return r;
  }
  if (state.condition('SnapshotsCompleted')?.status !== 'True') {
    const r = await snapshotImported(cloud, state, instanceNow);
    if (r) return r;
  }
  if (!state.status.imageId) return register(cloud, state, await instanceNow());
  const followed = followRegisteredImage(cloud, state);
  if (!followed.done) return followed;
  await removeTemporaries(cloud, state, staging);
  return { done: true };
}

async function bundle(cloud: CloudContext, state: CaptureState, staging: StagingLocation, instanceNow: () => Promise<InstanceInfo>): Promise<StepResult | undefined> {
  const obj = state.obj;
  if (!state.status.bundleId) {
    const instance = await instanceNow();
    checkBundleable(instance, cloud.capabilities, staging.prefix);
    try {
      await ensureBucket(cloud.gw, staging.bucket, true);
    } catch (err) {
      throw outcomeOfCloudError(err, `staging bucket ${staging.bucket}`);
    }
    const created = obj.metadata.creationTimestamp ? new Date(obj.metadata.creationTimestamp) : undefined;
    const { task } = await startOrAdoptBundle(cloud.gw, {
      instanceId: instance.instanceId,
      bucket: staging.bucket,
      prefix: staging.prefix,
      uploadPolicyTtlMs: parseDuration(obj.spec.timeout ?? '2h'),
      ...(created ? { notBefore: new Date(created.getTime() - CREATION_SLACK_MS) } : {}),
    });
    state.status.bundleId = task.bundleId;
    state.phase('Bundling');
    state.step('BundleStored', 'False', 'Bundling', `bundling ${instance.instanceId} into ${staging.bucket}/${staging.prefix}`);
    state.reconciling('Bundling', `bundle task ${task.bundleId} is ${task.rawState ?? task.state}`);
    state.status.progress = 5;
    return { done: false, checkpoint: true, again: true };
  }
  const id = state.status.bundleId;
  cloud.bundleTasks.watch(id, state.key);
  const seen = cloud.bundleTasks.get(id);
  if (!seen) return { done: false };
  if ('notFound' in seen) throw new StallError('BundleFailed', `bundle task ${id} is no longer known to the cloud`);
  if (seen.state === 'failed' || seen.state === 'cancelled') {
    await dropStagedObjects(cloud, staging);
    throw new StallError('BundleFailed', seen.state === 'failed' ? bundleFailureMessage(seen) : `bundle task ${id} was cancelled outside the operator`);
  }
  if (seen.state !== 'complete') {
    state.status.progress = Math.max(state.status.progress ?? 0, Math.round(5 + 0.35 * (seen.progress ?? 0)));
    state.reconciling('Bundling', `bundle task ${id} is ${seen.rawState ?? seen.state} (${seen.progress ?? 0}%)`);
    return { done: false };
  }
  cloud.bundleTasks.unwatch(state.key);
  state.status.progress = Math.max(state.status.progress ?? 0, 40);
  state.step('BundleStored', 'True', 'Succeeded', `bundle stored at ${staging.bucket}/${manifestKey(staging.prefix)}`);
  return undefined;
}

async function importFromBundle(cloud: CloudContext, state: CaptureState, staging: StagingLocation, instanceNow: () => Promise<InstanceInfo>): Promise<StepResult | undefined> {
  const obj = state.obj;
  const owner = ownerTagValue(obj);
  if (!state.status.conversionTaskId) {
    const earlier = (await findConversionTasks(cloud.gw, owner)).find((t) => t.state === 'active' || t.state === 'completed');
    if (earlier) {
      state.status.conversionTaskId = earlier.conversionTaskId;
    } else {
      const instance = await instanceNow();
      let task;
      try {
        const facts = await readManifestFacts(cloud.gw, staging.bucket, staging.prefix);
        const url = await presignGet(cloud.gw, staging.bucket, manifestKey(staging.prefix), MANIFEST_URL_TTL_S);
        task = await importVolume(cloud.gw, {
          availabilityZone: instance.availabilityZone ?? '',
          imageFormat: 'RAW',
          imageBytes: facts.size,
          importManifestUrl: url,
          volumeSizeGiB: Math.max(1, Math.ceil(facts.size / GIB)),
          description: importDescription(owner),
        });
      } catch (err) {
        throw outcomeOfCloudError(err, `ImportVolume from ${staging.bucket}/${manifestKey(staging.prefix)}`);
      }
      state.status.conversionTaskId = task.conversionTaskId;
    }
    state.phase('Importing');
    state.step('VolumeImported', 'False', 'ImportingVolume', `conversion task ${state.status.conversionTaskId} imports the bundle into a volume`);
    state.reconciling('ImportingVolume', `conversion task ${state.status.conversionTaskId} is active`);
    state.status.progress = Math.max(state.status.progress ?? 0, 45);
    return { done: false, checkpoint: true, again: true };
  }
  const id = state.status.conversionTaskId;
  cloud.conversionTasks.watch(id, state.key);
  const seen = cloud.conversionTasks.get(id);
  if (!seen) return { done: false };
  if ('notFound' in seen) throw new StallError('ConversionFailed', `conversion task ${id} is no longer known to the cloud`);
  if (seen.state === 'failed' || seen.state === 'cancelled') {
    state.step('VolumeImported', 'False', 'ConversionFailed', `conversion task ${id} ${seen.rawState ?? seen.state}`);
    await dropStagedObjects(cloud, staging);
    throw new StallError('ConversionFailed', `ImportVolume conversion task ${id} ${seen.rawState ?? seen.state}${seen.statusMessage ? `: ${seen.statusMessage}` : ''}; the staged bundle was removed`);
  }
  if (seen.state !== 'completed' || !seen.volumeId) {
    state.reconciling('ImportingVolume', `conversion task ${id} is ${seen.rawState ?? seen.state}`);
    return { done: false };
  }
  cloud.conversionTasks.unwatch(state.key);
  // The cloud made the volume: tag it at once so every cleanup finds it.
  try {
    await createTags(cloud.gw, [seen.volumeId], ownerTags(obj, 'import-volume'));
  } catch (err) {
    throw outcomeOfCloudError(err, `tagging imported volume ${seen.volumeId}`);
  }
  state.status.importedVolumeId = seen.volumeId;
  state.status.progress = Math.max(state.status.progress ?? 0, 60);
  state.step('VolumeImported', 'True', 'Succeeded', `volume ${seen.volumeId} imported by ${id}`);
  return undefined;
}

async function snapshotImported(cloud: CloudContext, state: CaptureState, instanceNow: () => Promise<InstanceInfo>): Promise<StepResult | undefined> {
  const obj = state.obj;
  const volumeId = state.status.importedVolumeId!;
  if (!state.status.snapshots?.length) {
    const instance = await instanceNow();
    state.status.snapshots = [{ deviceName: instance.rootDeviceName ?? '/dev/sda1', volumeId, state: 'new', progress: 0 }];
  }
  const snap = state.status.snapshots![0]!;
  if (!snap.snapshotId) {
    state.phase('Snapshotting');
    const step = `snapshot:${snap.deviceName}`;
    // The imported volume is this capture's own, so any snapshot of it is too: found by volume, it is adopted
    // even when a crash came between CreateSnapshot and the tags that follow it on Eucalyptus.
    let found;
    try {
      const out = await cloud.gw.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
      found = (out.Snapshots ?? []).map(toSnapshotInfo).find((x) => x.state !== 'failed');
    } catch (err) {
      throw outcomeOfCloudError(err, `looking for snapshots of imported volume ${volumeId}`);
    }
    if (found) {
      snap.snapshotId = found.snapshotId;
      if (found.tags?.[STEP_TAG] !== step) await tagObjects(cloud, obj, [found.snapshotId], step);
    } else {
      const [vol] = await describeVolumes(cloud.gw, [volumeId]);
      if (vol && vol.state !== 'available' && vol.state !== 'in-use') {
        state.reconciling('WaitingForSnapshots', `imported volume ${volumeId} is ${vol.state}`);
        return { done: false, requeueAfterMs: 1_000 };
      }
      try {
        snap.snapshotId = (await createSnapshot(cloud.gw, {
          volumeId,
          description: `${obj.spec.image.name} ${snap.deviceName} (${ownerTagValue(obj)})`,
          tags: ownerTags(obj, step),
          tagOnCreate: cloud.capabilities.tagOnCreate,
        })).snapshotId;
      } catch (err) {
        throw outcomeOfCloudError(err, `CreateSnapshot of imported volume ${volumeId}`);
      }
    }
    snap.state = 'pending';
    state.step('SnapshotsCompleted', 'False', 'WaitingForSnapshots', `snapshotting imported volume ${volumeId}`);
    state.reconciling('WaitingForSnapshots', `snapshot ${snap.snapshotId} of imported volume ${volumeId}`);
    return { done: false, checkpoint: true, again: true };
  }
  cloud.snapshots.watch(snap.snapshotId, state.key);
  const seen = cloud.snapshots.get(snap.snapshotId);
  if (!seen) return { done: false };
  if ('notFound' in seen) throw new StallError('SnapshotFailed', `snapshot ${snap.snapshotId} disappeared from the cloud (deleted outside the operator?)`);
  snap.state = seen.state;
  snap.progress = seen.progress;
  if (seen.state === 'failed') throw new StallError('SnapshotFailed', `snapshot ${snap.snapshotId} of imported volume ${volumeId} failed in the cloud${seen.stateMessage ? `: ${seen.stateMessage}` : ''}`);
  state.status.progress = Math.max(state.status.progress ?? 0, Math.round(60 + 0.2 * (seen.progress ?? 0)));
  if (seen.state !== 'completed') {
    state.reconciling('WaitingForSnapshots', `snapshot ${snap.snapshotId} is ${seen.progress ?? 0}% done`);
    return { done: false };
  }
  cloud.snapshots.unwatch(state.key);
  state.step('SnapshotsCompleted', 'True', 'Succeeded', `snapshot ${snap.snapshotId} of the imported volume completed`);
  return undefined;
}

async function register(cloud: CloudContext, state: CaptureState, instance: InstanceInfo): Promise<StepResult> {
  const obj = state.obj;
  state.phase('Registering');
  const adopted = await adoptImage(cloud, obj);
  if (adopted) {
    state.status.imageId = adopted.imageId;
    await tagObjects(cloud, obj, [adopted.imageId], 'image');
  } else {
    const snap = state.status.snapshots![0]!;
    const sizeGiB = (await describeVolumes(cloud.gw, [snap.volumeId!]))[0]?.sizeGiB;
    try {
      state.status.imageId = await registerImage(cloud.gw, {
        name: obj.spec.image.name,
        description: obj.spec.image.description,
        architecture: instance.architecture,
        rootDeviceName: snap.deviceName,
        blockDeviceMappings: mergeMappings([{ deviceName: snap.deviceName, snapshotId: snap.snapshotId!, deleteOnTermination: true, ...(sizeGiB ? { sizeGiB } : {}) }], obj.spec.blockDeviceMappings),
        tags: ownerTags(obj, 'image'),
        tagOnCreate: cloud.capabilities.tagOnCreate,
      });
    } catch (err) {
      throw outcomeOfCloudError(err, 'RegisterImage');
    }
  }
  state.step('ImageRegistered', 'False', 'WaitingForImage', `image ${state.status.imageId} registered`);
  state.reconciling('WaitingForImage', `image ${state.status.imageId} registered; waiting for it to become available`);
  state.status.progress = Math.max(state.status.progress ?? 0, 85);
  // Again at once: the next pass registers the image with the poller, which then wakes the capture.
  return { done: false, checkpoint: true, again: true };
}

/** The image is available: the imported volume and (unless kept) the staged bundle are no longer needed. */
async function removeTemporaries(cloud: CloudContext, state: CaptureState, staging: StagingLocation): Promise<void> {
  try {
    if (state.status.importedVolumeId) await deleteVolume(cloud.gw, state.status.importedVolumeId);
    if (!staging.keepObjects) await deleteBundleObjects(cloud.gw, staging.bucket, staging.prefix);
  } catch (err) {
    throw outcomeOfCloudError(err, 'removing the temporary volume and staged bundle');
  }
}

async function dropStagedObjects(cloud: CloudContext, staging: StagingLocation): Promise<void> {
  if (staging.keepObjects) return;
  await deleteBundleObjects(cloud.gw, staging.bucket, staging.prefix).catch(() => undefined);
}
