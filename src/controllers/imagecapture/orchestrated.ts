// Strategy Orchestrated: the 3.4 CreateImage algorithm done by the operator, for clouds without CreateImage
// (Eucalyptus 3.3) or when asked: reboot unless noReboot, snapshot the root and attached volumes in parallel,
// register an image from the snapshots with the user's mappings, follow it to `available`.
import { OWNER_TAG, ownerTagValue } from '../../api/constants.ts';
import {
  CreatedButUntaggedError, createSnapshot, deleteSnapshot, describeSnapshots, findSnapshotsByOwner, findSnapshotsOfVolume, orNotFound, rebootInstance,
  registerImage, type SnapshotInfo,
} from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { adoptImage, followRegisteredImage, isDuplicateName, ownerTags, tagObjects } from './image-steps.ts';
import { callParams, madeBySnapshotStep } from './ownership.ts';
import { mergeMappings, volumesToCapture } from './mappings.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { RebootLedger } from './reboot-ledger.ts';
import type { ImageCaptureState, SourceInstance } from './state.ts';
import type { Step, StepResult } from '../shared/step-reconciler.ts';
import { checkInstanceState } from './validate.ts';

export interface OrchestratedOptions {
  /** After RebootInstances the instance stays `running` in Describe; give the guest this long to come back. */
  rebootSettleMs: number;
  /** Reboots per instance as every operator process sees them. */
  reboots: RebootLedger;
}

/** The steps of strategy Orchestrated: reboot (unless noReboot or stopped), snapshot every volume, register. */
export function orchestratedSteps(opts: OrchestratedOptions): Step<ImageCaptureState>[] {
  return [
    { name: 'quiesce the instance', when: (s) => s.condition('InstanceQuiesced')?.status !== 'True', run: (cloud, s) => quiesce(cloud, s, opts) },
    { name: 'snapshot the volumes', when: (s) => s.condition('SnapshotsCompleted')?.status !== 'True', run: snapshotVolumes },
    { name: 'register the image', when: (s) => !s.status.imageId, run: register },
    { name: 'wait for the image', run: followRegisteredImage },
  ];
}

async function quiesce(cloud: KindCloud, state: ImageCaptureState, opts: OrchestratedOptions): Promise<StepResult | undefined> {
  const obj = state.obj;
  const cond = state.condition('InstanceQuiesced');
  if (cond?.reason !== 'Rebooting') {
    // Whether to reboot is decided from the instance as validation recorded it.
    const instance = await state.source(cloud);
    checkInstanceState(instance);
    if (instance.state === 'stopped' || obj.spec.noReboot) {
      const why = instance.state === 'stopped' ? 'WasStopped' : 'NoReboot';
      state.status.indications = [why];
      state.step('InstanceQuiesced', 'True', why, why === 'WasStopped' ? 'the instance is stopped: its volumes are consistent without a reboot' : 'noReboot is set: the image is crash-consistent');
      return undefined;
    }
    state.phase('Quiescing');
    state.step('InstanceQuiesced', 'False', 'Rebooting', `rebooting instance ${instance.instanceId} for a consistent file system`);
    state.reconciling('Rebooting', `rebooting instance ${instance.instanceId}`);
    state.status.progress = 5;
    return { checkpoint: true, again: true };
  }
  const requestedAt = Date.parse(cond.lastTransitionTime);
  // Rebooting: the instance is looked at afresh (its state after the reboot matters).
  const instance = await state.instance(cloud);
  if (!state.status.indications?.includes('Rebooted')) {
    const decision = await opts.reboots.decide(cloud.gw.settings.ec2Endpoint, instance.instanceId, ownerTagValue(obj), requestedAt);
    if (decision.kind === 'wait') return { requeueAfterMs: decision.ms };
    if (decision.kind === 'send') {
      try {
        await rebootInstance(cloud.gw, instance.instanceId);
      } catch (err) {
        throw outcomeOfCloudError(err, `RebootInstances ${instance.instanceId}`);
      }
    }
    const sentAt = decision.kind === 'shared' ? decision.sentAt : Date.now();
    state.status.indications = ['Rebooted'];
    return { checkpoint: true, requeueAfterMs: Math.max(500, sentAt + opts.rebootSettleMs - Date.now()) };
  }
  // Settled once the latest reboot of the instance (ours, one we shared, or a later one of another capture) has had
  // its time: a snapshot never starts while the guest may be going down.
  const lastSent = await opts.reboots.lastSentAt(cloud.gw.settings.ec2Endpoint, instance.instanceId);
  const settledAt = Math.max(requestedAt, lastSent ?? 0) + opts.rebootSettleMs;
  if (instance.state !== 'running' || Date.now() < settledAt) {
    return { requeueAfterMs: Math.max(500, settledAt - Date.now()) };
  }
  state.step('InstanceQuiesced', 'True', 'Rebooted', `instance ${instance.instanceId} was rebooted and is running again`);
  return undefined;
}

async function snapshotVolumes(cloud: KindCloud, state: ImageCaptureState): Promise<StepResult | undefined> {
  const obj = state.obj;
  if (!state.status.snapshots?.length) {
    const instance = await state.source(cloud);
    const volumes = volumesToCapture(instance, obj.spec.blockDeviceMappings, obj.spec.includeAttachedVolumes ?? true);
    if (!volumes.some((v) => v.isRoot)) {
      throw new StallError('UnsupportedByCloud', `instance ${instance.instanceId} reports no root volume (${instance.rootDeviceName ?? 'no root device'}): it cannot be captured by snapshots`);
    }
    state.status.snapshots = volumes.map((v) => ({ deviceName: v.deviceName, volumeId: v.volumeId, state: 'new', progress: 0 }));
  }
  const missing = state.status.snapshots!.filter((s) => !s.snapshotId);
  if (missing.length) {
    // What the calls start is stored before they are sent (with the validation); the snapshot ids they return
    // go with the next real change, and after a crash the owner tag finds them.
    state.phase('Snapshotting');
    state.step('SnapshotsCompleted', 'False', 'WaitingForSnapshots', `snapshotting ${state.status.snapshots!.length} volume(s)`);
    state.reconciling('WaitingForSnapshots', `snapshotting ${state.status.snapshots!.length} volume(s)`);
    await state.persist();
    const owner = ownerTagValue(obj);
    // A CreateSnapshot of this capture may have been sent and not recorded only if an earlier pass got past
    // validation: then its snapshots are looked for first. In the pass that validated, none can exist yet.
    const lookFirst = !state.validatedThisPass;
    let existing: SnapshotInfo[] = [];
    if (lookFirst) {
      try {
        existing = await findSnapshotsByOwner(cloud.gw, owner);
      } catch (err) {
        throw outcomeOfCloudError(err, 'looking for snapshots made by this capture');
      }
    }
    const inline = cloud.capabilities.tagOnCreate;
    /** Snapshots that still need the owner tags: tagged together, in one CreateTags. */
    const untagged: string[] = [];
    // Every call is awaited before a failure ends the pass: a CreateSnapshot still in flight after the pass would
    // land unseen, and the next pass (after a short backoff) would make the same snapshot a second time.
    const settled = await Promise.allSettled(missing.map(async (s) => {
      const description = snapshotDescription(obj.spec.image.name, s.deviceName, owner);
      try {
        if (lookFirst) {
          // By owner tag, or, when a crash came between CreateSnapshot and CreateTags (clouds without
          // TagSpecifications), by the volume and the description only this capture writes.
          let found = existing.find((x) => x.volumeId === s.volumeId && x.state !== 'failed');
          if (!found) {
            const ours = (await findSnapshotsOfVolume(cloud.gw, s.volumeId!)).filter((x) => x.description === description);
            // A failed one is never adopted; left alone (untagged, if its CreateTags never came) it would outlive
            // the capture, so it is removed before a new one is made.
            for (const dead of ours.filter((x) => x.state === 'failed')) await deleteSnapshot(cloud.gw, dead.snapshotId);
            found = ours.find((x) => x.state !== 'failed');
          }
          if (found) {
            s.snapshotId = found.snapshotId;
            if (found.tags?.[OWNER_TAG] !== owner) untagged.push(found.snapshotId);
            return;
          }
        }
        const created = await createSnapshot(cloud.gw, {
          volumeId: s.volumeId!,
          description,
          ...(inline ? { tags: ownerTags(obj, 'snapshot'), tagOnCreate: true } : { tagOnCreate: false }),
        });
        s.snapshotId = created.snapshotId;
        if (!inline) untagged.push(created.snapshotId);
      } catch (err) {
        throw outcomeOfCloudError(err, `CreateSnapshot of ${s.volumeId}`);
      }
      s.state = 'pending';
    }));
    if (untagged.length) {
      try {
        await tagObjects(cloud, obj, untagged, 'snapshot');
      } catch (err) {
        // A snapshot is recorded only once it carries the owner tag: the next pass finds the untagged ones by
        // volume and description, adopts (or replaces a failed one) and tags them again.
        for (const s of missing) {
          if (s.snapshotId && untagged.includes(s.snapshotId)) delete s.snapshotId;
        }
        throw err;
      }
      for (const id of untagged) state.written.set(id, ownerTags(obj, 'snapshot'));
    }
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { again: true };
  }
  let total = 0;
  let completed = 0;
  for (const s of state.status.snapshots!) {
    cloud.snapshots.watch(s.snapshotId!, state.key);
    const seen = cloud.snapshots.get(s.snapshotId!);
    if (seen && 'notFound' in seen) {
      throw new StallError('SnapshotFailed', `snapshot ${s.snapshotId} of ${s.deviceName} disappeared from the cloud (deleted outside the operator?)`);
    }
    if (seen) {
      s.state = seen.state;
      s.progress = seen.progress;
      if (seen.state === 'failed') {
        throw new StallError('SnapshotFailed', `snapshot ${s.snapshotId} of volume ${s.volumeId} (${s.deviceName}) failed in the cloud${seen.stateMessage ? `: ${seen.stateMessage}` : ''}`);
      }
    }
    total += s.progress ?? 0;
    if (s.state === 'completed') completed++;
  }
  const n = state.status.snapshots!.length;
  state.status.progress = Math.max(state.status.progress ?? 0, Math.round(10 + (70 * total) / (100 * n)));
  if (completed < n) {
    state.reconciling('WaitingForSnapshots', `${completed}/${n} snapshot(s) completed`);
    return {};
  }
  state.step('SnapshotsCompleted', 'True', 'Succeeded', `${n} snapshot(s) completed`);
  return undefined;
}

async function register(cloud: KindCloud, state: ImageCaptureState): Promise<StepResult> {
  const obj = state.obj;
  // Stored before RegisterImage (snapshots completed, registering); the image id goes with the next real change.
  state.phase('Registering');
  // The signed RegisterImage checkpoint rides on this write, the last before the call, so every RegisterImage of
  // this capture follows a stored one: without one that verifies, none was ever sent (also not by an earlier
  // process) and there is nothing to look for; with one, an earlier pass may have sent it and lost the answer.
  const mayHaveBeenSent = !cloud.createCalls.pending(state, 'RegisterImage', callParams(obj));
  state.reconciling('WaitingForImage', 'registering the image');
  await state.persist();
  let adopted = mayHaveBeenSent ? await adoptImage(cloud, state.current) : undefined;
  if (!adopted) {
    await requireOwnSnapshots(cloud, state);
    const instance: SourceInstance = await state.source(cloud);
    const inline = cloud.capabilities.tagOnCreate;
    const captured = state.status.snapshots!.map((s) => {
      const v = instance.volumes.find((x) => x.volumeId === s.volumeId);
      // The size the snapshot poll reported (the volume's size); without it the cloud takes the snapshot's.
      const seen = cloud.snapshots.get(s.snapshotId!);
      const sizeGiB = seen && !('notFound' in seen) ? seen.volumeSizeGiB : undefined;
      return { deviceName: s.deviceName, snapshotId: s.snapshotId!, deleteOnTermination: v?.deleteOnTermination, sizeGiB };
    });
    try {
      state.status.imageId = await registerImage(cloud.gw, {
        name: obj.spec.image.name,
        description: obj.spec.image.description,
        architecture: instance.architecture,
        rootDeviceName: instance.rootDeviceName!,
        blockDeviceMappings: mergeMappings(captured, obj.spec.blockDeviceMappings),
        tags: ownerTags(obj, 'image'),
        tagOnCreate: inline,
      });
      if (!inline) state.written.set(state.status.imageId, ownerTags(obj, 'image'));
    } catch (err) {
      if (err instanceof CreatedButUntaggedError) {
        // Registered but not tagged: recorded at once, so it is tagged later (verification) or cleaned up by policy.
        state.status.imageId = err.id;
      } else {
        // The name is taken: an image of ours whose RegisterImage answer was lost is adopted, anything else stalls.
        if (isDuplicateName(err)) adopted = await adoptImage(cloud, state.current);
        if (!adopted) throw outcomeOfCloudError(err, 'RegisterImage');
      }
    }
    if (!adopted) cloud.createCalls.succeeded(state, 'RegisterImage', callParams(obj), state.status.imageId!);
  }
  if (adopted) {
    state.status.imageId = adopted.imageId;
    cloud.createCalls.succeeded(state, 'RegisterImage', callParams(obj), adopted.imageId);
    await tagObjects(cloud, obj, [adopted.imageId], 'image');
  }
  state.status.progress = Math.max(state.status.progress ?? 0, 85);
  state.reconciling('WaitingForImage', `image ${state.status.imageId} registered; waiting for it to become available`);
  return { again: true };
}

/**
 * The snapshots in status are registered into the image and, with it, deleted by deletionPolicy Delete: each must
 * be one this capture's snapshot step made (status proves nothing). The pollers already saw them; a snapshot they
 * do not know is described.
 */
async function requireOwnSnapshots(cloud: KindCloud, state: ImageCaptureState): Promise<void> {
  const ids = (state.status.snapshots ?? []).map((s) => s.snapshotId).filter((x): x is string => !!x);
  const seen = new Map<string, SnapshotInfo>();
  for (const id of ids) {
    const s = cloud.snapshots.get(id);
    if (s && !('notFound' in s)) seen.set(id, s);
  }
  const unseen = ids.filter((id) => !seen.has(id));
  if (unseen.length) for (const s of await orNotFound(describeSnapshots(cloud.gw, unseen), [])) seen.set(s.snapshotId, s);
  const foreign = ids.filter((id) => !seen.has(id) || !madeBySnapshotStep(state.obj, seen.get(id)!));
  if (foreign.length) {
    throw new StallError('SnapshotNotOwned', `status.snapshots names ${foreign.join(', ')}, which this capture did not make (no owner tag ${ownerTagValue(state.obj)}, not its snapshot description): nothing is registered from them and they are not touched; delete this ImageCapture and create a new one`);
  }
}

/**
 * `<image> <device> (<owner>)`, at most 255 characters (the clouds' description limit): the image name gives way,
 * the owner at the end stays whole, since look-ups match on it.
 */
export function snapshotDescription(imageName: string, deviceName: string, owner: string): string {
  const tail = ` ${deviceName} (${owner})`;
  return `${imageName.slice(0, Math.max(0, 255 - tail.length))}${tail}`.slice(-255);
}
