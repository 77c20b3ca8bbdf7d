// What a ViaBundle capture may leave behind besides owner-tagged volumes and snapshots (which the ImageCapture
// cleanup removes): a running bundle task, an active or finished import (whose volume is untagged until the
// capture records it), and the staged bundle objects. Idempotent; safe to call at any step.
import { ownerTagValue } from '../../api/constants.ts';
import type { ImageCapture } from '../../api/types.ts';
import { deleteVolume, describeVolumes } from '../../cloud/ec2.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import { deleteBundleObjects } from './bundle-objects.ts';
import { cancelRunningTask, findBundleTask, isRunning } from './bundle-task.ts';
import { cancelActiveConversion, findConversionTasks } from './conversion-task.ts';

export interface StagingLocation {
  bucket: string;
  prefix: string;
  keepObjects: boolean;
}

/** Where a capture stages its bundle: spec.staging, else `eio-staging-<namespace>` and a prefix from the uid. */
export function stagingOf(obj: ImageCapture): StagingLocation {
  const ns = (obj.metadata.namespace ?? 'default').toLowerCase();
  return {
    bucket: obj.spec.staging?.bucket ?? `eio-staging-${ns}`.slice(0, 63).replace(/[-.]+$/, ''),
    prefix: obj.spec.staging?.prefix ?? `eio-${obj.metadata.uid ?? obj.metadata.name}`,
    keepObjects: obj.spec.staging?.keepObjects ?? false,
  };
}

export interface StagingCleanupResult {
  deleted: string[];
  /** Work the cloud is still winding down (a cancelled bundle or import): call again later. */
  pending: string[];
}

export async function cleanUpStaging(gw: CloudGateway, obj: ImageCapture, opts: { keepImportedVolume?: boolean } = {}): Promise<StagingCleanupResult> {
  const staging = stagingOf(obj);
  const deleted: string[] = [];
  const pending: string[] = [];
  const task = await findBundleTask(gw, { instanceId: obj.spec.instanceId, bucket: staging.bucket, prefix: staging.prefix });
  if (task && (isRunning(task.state) || task.state === 'cancelling')) {
    if (task.state !== 'cancelling') await cancelRunningTask(gw, task.bundleId);
    pending.push(`bundle task ${task.bundleId}`);
  }
  for (const conv of await findConversionTasks(gw, ownerTagValue(obj))) {
    if (conv.state === 'active' || conv.state === 'cancelling') {
      await cancelActiveConversion(gw, conv);
      pending.push(`conversion task ${conv.conversionTaskId}`);
      continue;
    }
    if (conv.volumeId && !opts.keepImportedVolume) {
      const [vol] = await describeVolumes(gw, [conv.volumeId]);
      if (vol && vol.state !== 'deleted') {
        await deleteVolume(gw, conv.volumeId);
        deleted.push(conv.volumeId);
      }
    }
  }
  // Objects go once no task can write them any more.
  if (!staging.keepObjects && pending.length === 0) {
    deleted.push(...(await deleteBundleObjects(gw, staging.bucket, staging.prefix)).map((k) => `${staging.bucket}/${k}`));
  }
  return { deleted, pending };
}
