// Sharding, the Kubernetes-native way out of one leader (as Flux does it): a label on a resource names the
// operator shard that reconciles it, and the main shard takes every resource without the label. Each shard
// lists and watches its kinds with a server-side label selector, so it neither caches nor sees the others'.
import { GROUP } from './constants.ts';

/** The shard key label on ImageCaptures, InstanceBundles, ImageSchedules and CloudProfiles. */
export const SHARD_LABEL = `${GROUP}/shard`;

/** What `--shard` accepts: a DNS label (it becomes part of a Lease and Deployment name). */
const SHARD_NAME = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** How metrics and the chart's pod label name the main shard; no named shard may take it. */
export const MAIN_SHARD = 'main';

/** Throws an actionable error for a shard name that cannot be a label value and part of an object name. */
export function checkShardName(name: string): void {
  if (!SHARD_NAME.test(name)) {
    throw new Error(`--shard "${name}" must be 1-40 lower-case letters, digits or '-', starting and ending with a letter or digit`);
  }
  if (name === MAIN_SHARD) {
    throw new Error(`--shard "${MAIN_SHARD}" is how metrics name the main shard (resources without the label): run without --shard, or pick another name`);
  }
}

/** The label selector of a shard: its name, or (main shard) the absence of the label. */
export function shardSelector(shard: string | undefined): string {
  return shard ? `${SHARD_LABEL}=${shard}` : `!${SHARD_LABEL}`;
}

/** Whether `obj` belongs to `shard` (undefined = main), by the same rule as shardSelector on the API server. */
export function inShard(obj: { metadata?: { labels?: Record<string, string> } }, shard: string | undefined): boolean {
  const labels = obj.metadata?.labels ?? {};
  return shard ? labels[SHARD_LABEL] === shard : !Object.hasOwn(labels, SHARD_LABEL);
}

/** Suffix a shard adds to names that must differ per shard (its Lease, its field manager). */
export function shardSuffix(shard: string | undefined): string {
  return shard ? `-shard-${shard}` : '';
}
