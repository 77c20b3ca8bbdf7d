// Bundle tasks: started, described (by id, by instance, or all of the account's), cancelled.
import { BundleInstanceCommand, CancelBundleTaskCommand, DescribeBundleTasksCommand, type BundleTask } from '../ec2-sdk.ts';
import type { CloudGateway } from '../gateway.ts';
import { normalizeBundleState, parseProgress, type BundleState } from '../states.ts';

export interface BundleTaskInfo {
  bundleId: string;
  instanceId?: string;
  state: BundleState;
  rawState?: string;
  progress?: number;
  bucket?: string;
  prefix?: string;
  /** `<bucket>/<prefix>.manifest.xml`: what RegisterImage takes as ImageLocation. */
  manifestLocation?: string;
  /** When the task started (a complete task older than the resource belongs to an earlier one). */
  startTime?: Date;
  error?: { code?: string; message?: string };
}

export function toBundleTaskInfo(t: BundleTask): BundleTaskInfo {
  const progress = parseProgress(t.Progress);
  const bucket = t.Storage?.S3?.Bucket;
  const prefix = t.Storage?.S3?.Prefix;
  return {
    bundleId: t.BundleId ?? '',
    state: normalizeBundleState(t.State),
    ...(t.State ? { rawState: t.State } : {}),
    ...(t.InstanceId ? { instanceId: t.InstanceId } : {}),
    ...(progress !== undefined ? { progress } : {}),
    ...(bucket ? { bucket } : {}),
    ...(prefix ? { prefix } : {}),
    ...(bucket && prefix ? { manifestLocation: `${bucket}/${prefix}.manifest.xml` } : {}),
    ...(t.StartTime ? { startTime: new Date(t.StartTime) } : {}),
    ...(t.BundleTaskError && (t.BundleTaskError.Code || t.BundleTaskError.Message)
      ? { error: { ...(t.BundleTaskError.Code ? { code: t.BundleTaskError.Code } : {}),
        ...(t.BundleTaskError.Message ? { message: t.BundleTaskError.Message } : {}) } }
      : {}),
  };
}

export interface BundleInstanceInput {
  instanceId: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  /** The policy JSON text; the SDK base64-encodes the blob on the wire. */
  uploadPolicy: string;
  /** base64(HMAC-SHA1(secret, base64(policy))): see upload-policy.ts. */
  signature: string;
}

export async function bundleInstance(gw: CloudGateway, input: BundleInstanceInput): Promise<BundleTaskInfo> {
  const out = await gw.send(new BundleInstanceCommand({
    InstanceId: input.instanceId,
    Storage: {
      S3: {
        Bucket: input.bucket,
        Prefix: input.prefix,
        AWSAccessKeyId: input.accessKeyId,
        UploadPolicy: Buffer.from(input.uploadPolicy, 'utf8'),
        UploadPolicySignature: input.signature,
      },
    },
  }));
  if (!out.BundleTask?.BundleId) throw new Error(`BundleInstance for ${input.instanceId} answered without a bundle id`);
  return toBundleTaskInfo(out.BundleTask);
}

export async function describeBundleTasks(gw: CloudGateway, ids: string[]): Promise<BundleTaskInfo[]> {
  if (ids.length === 0) return [];
  const out = await gw.send(new DescribeBundleTasksCommand({ BundleIds: ids }));
  return (out.BundleTasks ?? []).map(toBundleTaskInfo);
}

/** The account's bundle tasks, or only those of one instance (one DescribeBundleTasks either way). */
export async function listBundleTasks(gw: CloudGateway, instanceId?: string): Promise<BundleTaskInfo[]> {
  const out = await gw.send(new DescribeBundleTasksCommand(instanceId ? { Filters: [{ Name: 'instance-id', Values: [instanceId] }] } : {}));
  return (out.BundleTasks ?? []).map(toBundleTaskInfo);
}

export async function cancelBundleTask(gw: CloudGateway, bundleId: string): Promise<BundleTaskInfo | undefined> {
  const out = await gw.send(new CancelBundleTaskCommand({ BundleId: bundleId }));
  return out.BundleTask ? toBundleTaskInfo(out.BundleTask) : undefined;
}
