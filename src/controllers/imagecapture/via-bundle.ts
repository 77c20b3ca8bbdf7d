// Strategy ViaBundle: instance-store source -> bundle -> ImportVolume -> snapshot -> register.
import { StallError } from '../shared/outcomes.ts';
import type { CloudContext } from './ports.ts';
import type { CaptureState } from './state.ts';
import type { StepResult } from './step-result.ts';

export async function runViaBundle(_cloud: CloudContext, _state: CaptureState): Promise<StepResult> {
  throw new StallError('UnsupportedByCloud', 'strategy ViaBundle is not available in this build: create an InstanceBundle with spec.register instead');
}
