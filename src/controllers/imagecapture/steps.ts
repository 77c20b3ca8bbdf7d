// The ImageCapture steps, in order: validate (once, before anything is created), then the chosen strategy's
// steps (create-image.ts, orchestrated.ts). Each step starts from status and the cloud, so a restart anywhere
// resumes without a second snapshot or image.
import type { ImageCapture } from '../../api/types.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { StallError } from '../shared/outcomes.ts';
import type { EventSink, Step, StepResult } from '../shared/step-reconciler.ts';
import { bootStep, checkBootSpec } from './boot-verify.ts';
import { createImageSteps } from './create-image.ts';
import { orchestratedSteps, type OrchestratedOptions } from './orchestrated.ts';
import { checkCreateInputs } from '../shared/create-limits.ts';
import { ownerTags } from './image-steps.ts';
import { callParams } from './ownership.ts';
import { recordedInstance, type ImageCaptureState } from './state.ts';
import { checkImageName, checkInstanceState, chooseStrategy, INSTANCE_STORE_REFUSAL } from './validate.ts';

/** The steps of one strategy, applying only while the capture uses it. */
function forStrategy(strategy: string, steps: Step<ImageCaptureState>[]): Step<ImageCaptureState>[] {
  return steps.map((step) => ({ ...step, name: `${strategy}: ${step.name}`, when: (s) => s.status.strategy === strategy && (!step.when || step.when(s)) }));
}

export function captureSteps(events: EventSink<ImageCapture>, opts: OrchestratedOptions): Step<ImageCaptureState>[] {
  return [
    { name: 'validate', when: (s) => !s.status.strategy, run: validate },
    ...forStrategy('CreateImage', createImageSteps(opts.reboots)),
    ...forStrategy('Orchestrated', orchestratedSteps(opts)),
    {
      name: 'verify that the image boots',
      when: (s) => !!s.obj.spec.bootVerification && s.status.bootCheck?.result !== 'Passed'
        && (s.status.strategy === 'CreateImage' || s.status.strategy === 'Orchestrated'),
      run: (cloud, s) => bootStep(cloud, s, events),
    },
    {
      name: 'refuse a retired strategy',
      when: (s) => s.status.strategy !== 'CreateImage' && s.status.strategy !== 'Orchestrated',
      run: (_cloud, s) => {
        // A capture recorded with the retired ViaBundle strategy: no cloud can import a bundle.
        throw new StallError('UnsupportedByCloud', `strategy ${s.status.strategy} is not supported: ${INSTANCE_STORE_REFUSAL}`);
      },
    },
  ];
}

/**
 * Validation before anything is created: the instance, its state, a strategy that fits, a free image name. Its
 * result (strategy, startedAt) is stored by the strategy's first step, which persists before its creating call:
 * after a crash, an untagged image of this name is ours to adopt only if that write happened.
 */
async function validate(cloud: KindCloud, state: ImageCaptureState): Promise<StepResult> {
  const obj = state.obj;
  state.phase('Pending');
  state.reconciling('Validating', `validating instance ${obj.spec.instanceId}`);
  checkBootSpec(state);
  checkCreateInputs(cloud.capabilities, { nameField: 'spec.image.name', imageName: obj.spec.image.name, description: obj.spec.image.description, tags: ownerTags(obj, 'image') });
  const instance = await state.instance(cloud);
  checkInstanceState(instance);
  state.account = instance.ownerId;
  const strategy = chooseStrategy(obj, instance, cloud);
  await checkImageName(cloud, obj);
  state.status.strategy = strategy;
  state.status.sourceInstance = recordedInstance(instance);
  state.status.progress = 0;
  // The signed CreateImage checkpoint, stored with the strategy by the strategy's first step before anything is
  // created: after a crash, an untagged image of this name made after it, and matching what the call makes, is
  // ours to adopt. Orchestrated signs its RegisterImage in the status write just before that call (orchestrated.ts).
  if (strategy === 'CreateImage') cloud.createCalls.pending(state, 'CreateImage', callParams(obj));
  state.validatedThisPass = true;
  state.reconciling('Validating', `instance ${instance.instanceId} (${instance.rootDeviceType}, ${instance.state}) will be captured with strategy ${strategy}`);
  return { again: true };
}
