// DescribeSecurityGroups, as far as the operator uses it: every account has its `default` group (Eucalyptus
// creates it on the account's first describe, NetworkGroups.createDefault), and each group names its owner
// account, which is how a client learns the account of its credentials. Rules are not modelled.
import { createHash } from 'node:crypto';
import { SimError } from '../errors.ts';
import { matchesAny } from '../filters.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import type { ActionDef, Ec2Context } from './context.ts';

function defaultGroupId(accountId: string): string {
  return `sg-${createHash('sha256').update(accountId).digest('hex').slice(0, 8)}`;
}

function describeSecurityGroups(ctx: Ec2Context): XmlObject {
  const ownerId = ctx.account.accountId;
  const group = { groupName: 'default', groupId: defaultGroupId(ownerId), groupDescription: 'default group', ownerId };
  const names = ctx.params.list('GroupName');
  const ids = ctx.params.list('GroupId');
  const unknownName = names.find((n) => n !== group.groupName);
  if (unknownName) throw new SimError('InvalidGroup.NotFound', `The security group '${unknownName}' does not exist`);
  const unknownId = ids.find((id) => id !== group.groupId);
  if (unknownId) throw new SimError('InvalidGroup.NotFound', `The security group '${unknownId}' does not exist`);
  const filters = ctx.params.filters();
  const fields: Record<string, string> = { 'group-name': group.groupName, 'group-id': group.groupId, 'owner-id': ownerId, description: group.groupDescription };
  const shown = [...filters].every(([name, wanted]) => matchesAny(fields[name], wanted));
  return { securityGroupInfo: itemSet(shown ? [{ ...group, ipPermissions: '', ipPermissionsEgress: '' }] : []) };
}

export const SECURITY_GROUP_ACTIONS: Record<string, ActionDef> = {
  DescribeSecurityGroups: { params: ['GroupName.N', 'GroupId.N', 'Filter.N.Name', 'Filter.N.Value.N'], handler: describeSecurityGroups },
};
