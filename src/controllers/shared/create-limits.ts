// The check every kind runs before its first creating call: the image name, description and tags it will send
// fit the cloud's dialect (cloud/limits.ts). A refusal stalls with a stable reason and nothing is created.
import type { Capabilities } from '../../cloud/capabilities.ts';
import { imageNameProblem, limitProblems } from '../../cloud/limits.ts';
import { StallError } from './outcomes.ts';

export interface CreateInputs {
  /** The spec field of the name, for the message (`spec.image.name`, `spec.register.name`). */
  nameField: string;
  imageName: string;
  description?: string;
  /** Every tag the creating calls carry: the user's and the operator's owner and step tags. */
  tags: Record<string, string>;
}

export function checkCreateInputs(caps: Pick<Capabilities, 'dialect'>, input: CreateInputs): void {
  const name = imageNameProblem(input.imageName, caps.dialect);
  if (name) throw new StallError('InvalidImageName', `${input.nameField}: ${name}; nothing was created: create a new resource with a name the cloud accepts`);
  const limits = limitProblems(input, caps.dialect);
  if (limits.length) {
    throw new StallError('ExceedsCloudLimits', `${limits.join('; ')}; nothing was created (the owner tag is <namespace>/<name>/<uid>): create a new resource within these limits`);
  }
}
