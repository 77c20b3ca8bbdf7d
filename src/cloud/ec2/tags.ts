// Tags added to and removed from any EC2 object.
import { CreateTagsCommand, DeleteTagsCommand } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';
import { toSdkTags, type Tags } from './shapes.ts';

export async function createTags(gw: CloudGateway, resourceIds: string[], tags: Tags): Promise<void> {
  if (resourceIds.length === 0 || Object.keys(tags).length === 0) return;
  await gw.send(new CreateTagsCommand({ Resources: resourceIds, Tags: toSdkTags(tags) }));
}

/** Removes the given tag keys (whatever their value) from the resources. */
export async function deleteTags(gw: CloudGateway, resourceIds: string[], keys: string[]): Promise<void> {
  if (resourceIds.length === 0 || keys.length === 0) return;
  await gw.send(new DeleteTagsCommand({ Resources: resourceIds, Tags: keys.map((Key) => ({ Key })) }));
}
