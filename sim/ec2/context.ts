// What every EC2 action handler receives, and the lookups shared by the handlers.
import { SimError } from '../errors.ts';
import type { Account, Image, Instance, Snapshot, Volume } from '../model.ts';
import type { SimState } from '../state.ts';
import type { XmlObject } from '../xml.ts';
import type { Params } from './params.ts';

export interface Ec2Context {
  state: SimState;
  account: Account;
  params: Params;
  action: string;
  version: string;
  requestId: string;
}

export type Ec2Handler = (ctx: Ec2Context) => XmlObject | Promise<XmlObject>;

export interface ActionDef {
  /** Accepted parameter names (`.N` = any index, `*` = anything); others are unknown parameters. */
  params: readonly string[];
  handler: Ec2Handler;
}

const AWS_ID = /^[a-z]+-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** AWS rejects ids that are not `prefix-hex`; Eucalyptus 3.4/4.0 just doesn't find them. */
function checkMalformed(ctx: Ec2Context, ids: string[], code: string, label: string): void {
  if (ctx.state.profile.eucalyptus) return;
  // Fixture ids in another style still resolve; only unknown ids are judged by their shape.
  const bad = ids.find((id) => !AWS_ID.test(id) && !ctx.state.exists(id));
  if (bad) throw new SimError(code, `Invalid id: "${bad}"${label ? ` (expecting "${label}")` : ''}`);
}

/** Terminated instances stay visible to DescribeInstances for a while in EC2; other actions do not find them. */
export function findInstances(ctx: Ec2Context, ids: string[], includeTerminated = false): Instance[] {
  checkMalformed(ctx, ids, 'InvalidInstanceID.Malformed', 'i-...');
  const found: Instance[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const inst = ctx.state.instances.get(id);
    if (inst && inst.ownerId === ctx.account.accountId && (includeTerminated || inst.state !== 'terminated')) found.push(inst);
    else missing.push(id);
  }
  if (missing.length > 0) {
    throw new SimError('InvalidInstanceID.NotFound', `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' ${missing.length > 1 ? 'do' : 'does'} not exist`);
  }
  return found;
}

export function findInstance(ctx: Ec2Context, id: string): Instance {
  return findInstances(ctx, [id])[0]!;
}

export function findVolume(ctx: Ec2Context, id: string): Volume {
  checkMalformed(ctx, [id], 'InvalidVolumeID.Malformed', 'vol-...');
  const vol = ctx.state.volumes.get(id);
  if (!vol || vol.ownerId !== ctx.account.accountId || vol.status === 'deleted') {
    throw new SimError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  }
  return vol;
}

export function findSnapshot(ctx: Ec2Context, id: string): Snapshot {
  checkMalformed(ctx, [id], 'InvalidSnapshotID.Malformed', 'snap-...');
  const snap = ctx.state.snapshots.get(id);
  if (!snap || snap.ownerId !== ctx.account.accountId) {
    throw new SimError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  }
  return snap;
}

/** An image the account can see (own or public); `forChange` also requires ownership. */
export function findImage(ctx: Ec2Context, id: string, forChange = false): Image {
  if (!ctx.state.profile.eucalyptus && !/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id) && !ctx.state.images.has(id)) {
    throw new SimError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
  }
  const image = ctx.state.images.get(id);
  if (!image || !ctx.state.imageVisible(image, ctx.account.accountId)) {
    throw new SimError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  }
  if (forChange && image.ownerId !== ctx.account.accountId) throw unauthorized(ctx, `image ${id}`);
  return image;
}

/**
 * A failure Eucalyptus raises as a plain EucalyptusCloudException: ReplyQueue.handle answers it with HTTP 406 and the
 * request's message type as the code (`CancelBundleTaskType`, F§11). EC2 has a code for the same situation.
 */
export function uncoded(ctx: Ec2Context, awsCode: string, message: string, awsStatus = 400): SimError {
  return ctx.state.profile.eucalyptus ? new SimError(`${ctx.action}Type`, message, 406) : new SimError(awsCode, message, awsStatus);
}

export function unauthorized(ctx: Ec2Context, what: string): SimError {
  const code = ctx.state.profile.unauthorizedCode;
  return code === 'AuthFailure'
    ? new SimError(code, `Not authorized to modify ${what}`, 400)
    : new SimError(code, `You are not authorized to perform this operation on ${what}.`, 403);
}

export function tagSet(tags: Map<string, string>): XmlObject | string {
  if (tags.size === 0) return '';
  return { item: [...tags].map(([key, value]) => ({ key, value })) };
}

/**
 * TagSpecifications on create calls: only profiles that know the parameter get here (others reject it as
 * unknown). Each spec's ResourceType must be one the action creates.
 */
export function applyTagSpecifications(ctx: Ec2Context, resourceType: string, tags: Map<string, string>): void {
  if (!ctx.state.profile.tagSpecifications) return;
  if (ctx.state.faults.take('ignoreTagSpecifications', ctx.action)) return;
  for (const spec of ctx.params.tagSpecifications()) {
    if (spec.resourceType !== resourceType) continue;
    for (const t of spec.tags) tags.set(t.key, t.value);
  }
}

export function validateTagSpecifications(ctx: Ec2Context, allowed: string[]): void {
  if (!ctx.state.profile.tagSpecifications) return;
  for (const spec of ctx.params.tagSpecifications()) {
    if (!allowed.includes(spec.resourceType)) {
      throw new SimError('InvalidParameterValue', `'${spec.resourceType}' is not a valid taggable resource type for this operation.`);
    }
  }
}

/**
 * MaxResults/NextToken over a computed list: the token is the offset. Not fields of the Describe request types in
 * Eucalyptus 3.3–4.0 (F§11): 3.4+ refuse them as unknown parameters (dispatch), 3.3 ignores them.
 */
export function paginate<T>(ctx: Ec2Context, items: T[]): { page: T[]; nextToken?: string } {
  if (ctx.state.profile.eucalyptus) return { page: items };
  const max = ctx.params.int('MaxResults');
  if (max === undefined) return { page: items };
  const start = Number(ctx.params.get('NextToken') ?? '0') || 0;
  const page = items.slice(start, start + max);
  return start + max < items.length ? { page, nextToken: String(start + max) } : { page };
}

export const COMMON_PARAMS = ['Action', 'Version', 'AWSAccessKeyId', 'SignatureMethod', 'SignatureVersion', 'Signature',
  'Timestamp', 'Expires', 'SecurityToken', 'X-Amz-*', 'DryRun'] as const;
