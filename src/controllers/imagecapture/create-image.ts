// Strategy CreateImage: the cloud's own CreateImage does reboot, snapshots and registration; the operator tags
// what it made and follows the image to `available`.
import { removeCondition } from '../../api/conditions.ts';
import { CreatedButUntaggedError, createImage } from '../../cloud/ec2.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import { createImageMappings } from './mappings.ts';
import { adoptCloudSnapshots, adoptImage, isDuplicateName, ownerTags, tagObjects, waitForImage } from './image-steps.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { ImageCaptureState } from './state.ts';
import type { Step, StepResult } from '../shared/step-reconciler.ts';
import { checkInstanceState } from './validate.ts';
import { callParams } from './ownership.ts';
import type { RebootLedger } from './reboot-ledger.ts';
import { ownerTagValue } from '../../api/constants.ts';

/** The steps of strategy CreateImage: the cloud quiesces, snapshots and registers in one call. */
export function createImageSteps(reboots: RebootLedger): Step<ImageCaptureState>[] {
  return [
    { name: 'create the image', when: (s) => !s.status.imageId, run: (cloud, s) => createTheImage(cloud, s, reboots) },
    { name: 'wait for the image', run: waitForTheImage },
  ];
}

async function createTheImage(cloud: KindCloud, state: ImageCaptureState, reboots: RebootLedger): Promise<StepResult> {
  const obj = state.obj;
  // No creating call without its signed checkpoint in status (validation writes it; a forged or lost one is
  // written again here, and the call waits for that write).
  if (cloud.createCalls.pending(state, 'CreateImage', callParams(obj))) return { checkpoint: true, again: true };
  // A CreateImage of this capture may have been sent and not recorded only if an earlier pass wrote the
  // checkpoint: then the image is looked for first. In the pass that wrote it, nothing can exist yet.
  let adopted = state.validatedThisPass ? undefined : await adoptImage(cloud, state.current);
  if (!adopted) {
    const instance = await state.source(cloud);
    checkInstanceState(instance);
    // A stopped instance needs no reboot: the cloud forces NoReboot (3.4 CreateImageTask does the same).
    state.status.indications = [instance.state === 'stopped' ? 'WasStopped' : obj.spec.noReboot ? 'NoReboot' : 'Rebooted'];
    // What the call starts is stored before it is sent (with the validation): the only write until the image
    // is available, since the image id is found again by its owner tag after a crash. Stored before the reboot
    // turn is taken, so no write comes between the turn and the call.
    creating(state, 'the cloud is creating the image');
    await state.persist();
    if (state.status.indications[0] === 'Rebooted') {
      // The cloud's CreateImage reboots the instance: it waits its turn like any other reboot of the instance.
      const decision = await reboots.decide(cloud.gw.settings.ec2Endpoint, instance.instanceId, ownerTagValue(obj));
      if (decision.kind === 'wait') {
        state.reconciling('Rebooting', `waiting for an earlier reboot of instance ${instance.instanceId} to settle before CreateImage reboots it`);
        return { requeueAfterMs: decision.ms };
      }
    }
    let imageId: string | undefined;
    try {
      imageId = await createImage(cloud.gw, {
        instanceId: obj.spec.instanceId,
        name: obj.spec.image.name,
        description: obj.spec.image.description,
        noReboot: obj.spec.noReboot ?? false,
        blockDeviceMappings: createImageMappings(instance, obj.spec.blockDeviceMappings, obj.spec.includeAttachedVolumes ?? true),
        // Without TagSpecifications the image is tagged together with its snapshots once they are known (one
        // CreateTags); until then the signed record of this call proves it ours (ownership.ts).
        ...(cloud.capabilities.tagOnCreate ? { tags: ownerTags(obj, 'image'), tagOnCreate: true } : { tagOnCreate: false }),
      });
    } catch (err) {
      if (err instanceof CreatedButUntaggedError) {
        // Made but not tagged: recorded at once, so it is tagged later (verification) or cleaned up by policy.
        imageId = err.id;
      } else {
        // The name is taken: an image of ours whose CreateImage answer was lost is adopted, anything else stalls.
        if (isDuplicateName(err)) adopted = await adoptImage(cloud, state.current);
        if (!adopted) throw outcomeOfCloudError(err, 'CreateImage');
      }
    }
    if (!adopted && !imageId) {
      // Eucalyptus 3.3 validates CreateImage and returns without doing anything: nothing was made.
      cloud.learn({ createImage: false });
      if (obj.spec.strategy === 'CreateImage') {
        throw new StallError('UnsupportedByCloud', 'the cloud answered CreateImage without an image id (Eucalyptus 3.3 does not implement it): use strategy Orchestrated or Auto');
      }
      state.status.strategy = 'Orchestrated';
      state.status.indications = [];
      // The register step signs its RegisterImage in the status write just before that call.
      state.status.createCalls = state.status.createCalls?.filter((c) => c.call !== 'CreateImage');
      state.status.conditions = removeCondition(state.status.conditions, 'InstanceQuiesced');
      // Stored by the Orchestrated steps' persist before their first creating call.
      return { again: true, event: { reason: 'StrategyChanged', message: 'the cloud does not implement CreateImage; the operator orchestrates reboot, snapshots and registration itself' } };
    }
    if (imageId) {
      cloud.createCalls.succeeded(state, 'CreateImage', callParams(obj), imageId);
      state.status.imageId = imageId;
    }
  }
  if (adopted) {
    state.status.imageId = adopted.imageId;
    cloud.createCalls.succeeded(state, 'CreateImage', callParams(obj), adopted.imageId);
    await tagObjects(cloud, obj, [adopted.imageId], 'image');
  }
  creating(state, `image ${state.status.imageId} is being created by the cloud`);
  return { again: true };
}

/** Phase and conditions while the cloud's CreateImage works (set before the call, so it adds no write). */
function creating(state: ImageCaptureState, message: string): void {
  state.step('InstanceQuiesced', 'True', state.status.indications?.[0] ?? 'Rebooted', 'the cloud quiesces the instance as part of CreateImage');
  state.phase('Snapshotting');
  state.reconciling('WaitingForImage', message);
}

async function waitForTheImage(cloud: KindCloud, state: ImageCaptureState): Promise<StepResult | undefined> {
  const wait = waitForImage(cloud, state);
  if (!wait.done) {
    state.status.progress = Math.max(state.status.progress ?? 0, 10);
    state.reconciling('WaitingForImage', `waiting for image ${state.status.imageId} to become available (${wait.image?.state ?? 'pending'})`);
    return {};
  }
  await adoptCloudSnapshots(cloud, state, wait.image!);
  state.step('SnapshotsCompleted', 'True', 'Succeeded', `${state.status.snapshots?.length ?? 0} snapshot(s) made by the cloud's CreateImage`);
  return undefined;
}
