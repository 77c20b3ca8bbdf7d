// Which cloud a resource's objects were made in: the EC2 endpoint, the region, the account (as the cloud named the
// owner of the instance at validation) and a hash of the access key id (never the key itself). Recorded in status
// before the first creating call; a CloudProfile later pointed at another endpoint, region or account is another
// cloud for those objects, and the operator neither looks them up nor changes or deletes them there.
import { createHash } from 'node:crypto';
import type { CloudSettings } from '../../cloud/settings.ts';

export interface CloudIdentity {
  endpoint: string;
  region: string;
  accountId?: string;
  /** `sha256:` and the first 16 hex digits of the SHA-256 of the access key id. */
  credentials: string;
}

export function credentialsId(accessKeyId: string): string {
  return `sha256:${createHash('sha256').update(accessKeyId).digest('hex').slice(0, 16)}`;
}

/** One spelling per endpoint: scheme, lower-case host and port, path without a trailing slash. */
export function normalEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url;
  }
}

export function identityOf(settings: CloudSettings, accountId?: string): CloudIdentity {
  return {
    endpoint: normalEndpoint(settings.ec2Endpoint),
    region: settings.region,
    ...(accountId ? { accountId } : {}),
    credentials: credentialsId(settings.credentials.accessKeyId),
  };
}

export function describeIdentity(c: CloudIdentity): string {
  return `${c.endpoint} (region ${c.region}, ${c.accountId ? `account ${c.accountId}` : `access key ${c.credentials}`})`;
}

export type Comparison = 'same' | 'otherCloud' | 'otherKey';

/** Endpoint and region decide alone; with the same endpoint a different key may still be the same account. */
export function compareIdentity(recorded: CloudIdentity, current: CloudIdentity): Comparison {
  if (recorded.endpoint !== current.endpoint || recorded.region !== current.region) return 'otherCloud';
  return recorded.credentials === current.credentials ? 'same' : 'otherKey';
}
