// Conversions between the SDK's shapes and the operator's, shared by the EC2 object files.
import type { Filter, ResourceType, Tag, TagSpecification } from '../ec2-sdk.ts';
import { OWNER_TAG } from '../../api/constants.ts';
import type { CloudGateway } from '../gateway.ts';

export type Tags = Record<string, string>;

export function toSdkTags(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromSdkTags(tags: Tag[] | undefined): Tags {
  const out: Tags = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export function tagSpec(resourceType: ResourceType, tags: Tags | undefined): TagSpecification[] | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  return [{ ResourceType: resourceType, Tags: toSdkTags(tags) }];
}

export function numberOf(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return undefined;
}

export const ownerFilter = (ownerTag: string): Filter[] => [{ Name: `tag:${OWNER_TAG}`, Values: [ownerTag] }];

/** A not-found answer for a lookup by id means "gone": callers get undefined/[] instead of an error. */
export async function orNotFound<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as { kind?: string }).kind === 'notFound') return fallback;
    throw err;
  }
}

/** Tags go with the create call where the cloud takes TagSpecifications (Eucalyptus refuses them). */
export function tagOnCreate(gw: CloudGateway, override: boolean | undefined): boolean {
  return override ?? gw.capabilities?.tagOnCreate ?? false;
}

/**
 * The creating call succeeded but tagging what it made failed: the id travels with the error so the caller
 * records the object at once (and cleans it up by its policy) instead of losing it.
 */
export class CreatedButUntaggedError extends Error {
  readonly id: string;
  override readonly cause: unknown;
  constructor(id: string, cause: unknown) {
    super(`${id} was created but could not be tagged: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'CreatedButUntaggedError';
    this.id = id;
    this.cause = cause;
  }
}

/** Tags a just-created object; a failure keeps the id (CreatedButUntaggedError). */
export async function tagCreated(id: string, tag: () => Promise<unknown>): Promise<void> {
  try {
    await tag();
  } catch (err) {
    throw new CreatedButUntaggedError(id, err);
  }
}
