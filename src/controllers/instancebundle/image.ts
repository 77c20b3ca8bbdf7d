// Registering the stored bundle as an image: adopt one this bundle registered before (owner tag, or its name
// with our manifest location when the crash came before tagging), otherwise RegisterImage with ImageLocation.
import { OWNER_TAG, STEP_TAG, ownerTagValue } from '../../api/constants.ts';
import type { InstanceBundle } from '../../api/types.ts';
import { createTags, findImageByName, findImagesByOwner, registerImage, type ImageInfo } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import { outcomeOfCloudError, StallError } from '../shared/outcomes.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { isOwnImage, manifestLocation } from './ownership.ts';
import type { InstanceBundleState } from './state.ts';

export function bundleOwnerTags(obj: InstanceBundle, step: string): Record<string, string> {
  return { [OWNER_TAG]: ownerTagValue(obj), [STEP_TAG]: step };
}

/** The image name must be free unless the image carrying it is this bundle's own. */
export async function checkImageNameFree(cloud: KindCloud, obj: InstanceBundle): Promise<void> {
  const name = obj.spec.register?.name;
  if (!name) return;
  let existing: ImageInfo | undefined;
  try {
    existing = await findImageByName(cloud.gw, name);
  } catch (err) {
    throw outcomeOfCloudError(err, `DescribeImages name=${name}`);
  }
  if (!existing || existing.state === 'deregistered' || existing.state === 'failed') return;
  if (existing.tags?.[OWNER_TAG] === ownerTagValue(obj)) return;
  throw new StallError('DuplicateImageName', `an image named "${name}" already exists in this account (${existing.imageId}): choose another spec.register.name`);
}

/**
 * An image this bundle registered before (owner tag; or untagged, of our name and manifest location, with the
 * signed RegisterImage checkpoint: the crash before its tags), otherwise RegisterImage of our manifest.
 */
/** An image this bundle registered earlier: by owner tag, or untagged with our name and proven ours (tagged now). */
async function findOurImage(cloud: KindCloud, state: InstanceBundleState): Promise<string | undefined> {
  const obj = state.obj;
  try {
    const tagged = (await findImagesByOwner(cloud.gw, ownerTagValue(obj))).find((i) => i.state !== 'deregistered');
    if (tagged) return tagged.imageId;
    const named = await findImageByName(cloud.gw, obj.spec.register!.name);
    if (named && named.state !== 'deregistered' && isOwnImage(cloud, state, named)) {
      await createTags(cloud.gw, [named.imageId], bundleOwnerTags(obj, 'image'));
      return named.imageId;
    }
    return undefined;
  } catch (err) {
    throw outcomeOfCloudError(err, 'looking for an image registered by this bundle');
  }
}

/**
 * Registers the manifest, or adopts the image an earlier RegisterImage made: looked for first when such a call
 * may have been sent and not recorded (`lookFirst`), and whenever the cloud refuses the name as taken
 * (InvalidAMIName.Duplicate).
 */
export async function adoptOrRegister(cloud: KindCloud, state: InstanceBundleState, architecture: string | undefined, lookFirst: boolean): Promise<{ imageId: string; adopted: boolean }> {
  const obj = state.obj;
  const reg = obj.spec.register!;
  const location = manifestLocation(obj);
  if (lookFirst) {
    const found = await findOurImage(cloud, state);
    if (found) return { imageId: found, adopted: true };
  }
  try {
    const imageId = await registerImage(cloud.gw, {
      name: reg.name,
      description: reg.description,
      architecture: reg.architecture ?? architecture,
      imageLocation: location,
      tags: bundleOwnerTags(obj, 'image'),
      tagOnCreate: cloud.capabilities.tagOnCreate,
    });
    return { imageId, adopted: false };
  } catch (err) {
    if (err instanceof CloudError && err.code === 'InvalidAMIName.Duplicate') {
      const found = await findOurImage(cloud, state);
      if (found) return { imageId: found, adopted: true };
    }
    throw outcomeOfCloudError(err, `RegisterImage ${location}`);
  }
}
