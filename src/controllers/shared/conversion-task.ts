// ImportVolume conversion tasks cannot carry tags, so the operator marks the task's description with the owner
// tag value and finds it again by that mark after a crash between ImportVolume and the status write.
import { DescribeConversionTasksCommand } from '@aws-sdk/client-ec2';
import { cancelConversionTask, toConversionTaskInfo, type ConversionTaskInfo } from '../../cloud/ec2.ts';
import { CloudError } from '../../cloud/errors.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import { outcomeOfCloudError } from './outcomes.ts';

export function importDescription(ownerTag: string): string {
  return `imaging.eucalyptus.dev import for ${ownerTag}`;
}

/** Conversion tasks whose description carries this owner's mark, newest first as the cloud lists them. */
export async function findConversionTasks(gw: CloudGateway, ownerTag: string): Promise<ConversionTaskInfo[]> {
  let out;
  try {
    out = await gw.send(new DescribeConversionTasksCommand({}));
  } catch (err) {
    throw outcomeOfCloudError(err, 'looking for an import made by this capture');
  }
  const mark = importDescription(ownerTag);
  return (out.ConversionTasks ?? []).filter((t) => t.ImportVolume?.Description === mark).map(toConversionTaskInfo);
}

/** Cancels an active task; a task that already finished is left alone. */
export async function cancelActiveConversion(gw: CloudGateway, task: ConversionTaskInfo): Promise<boolean> {
  if (task.state !== 'active') return false;
  try {
    await cancelConversionTask(gw, task.conversionTaskId, 'image capture ended');
    return true;
  } catch (err) {
    if (err instanceof CloudError && (err.kind === 'terminal' || err.kind === 'notFound')) return false;
    throw err;
  }
}
