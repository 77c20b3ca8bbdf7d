// The account the credentials belong to: every account has a `default` security group, and a group names its
// owner. Asked by the CloudProfile check, so a capture can tell a rotated key of the same account from another
// account's key.
import { DescribeSecurityGroupsCommand } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';

/** The credentials' account id, or undefined when the cloud shows no group (a policy that hides them). */
export async function describeAccountId(gw: CloudGateway): Promise<string | undefined> {
  const out = await gw.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
  return out.SecurityGroups?.find((g) => g.OwnerId)?.OwnerId;
}
