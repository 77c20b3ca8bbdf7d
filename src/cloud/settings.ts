// Everything needed to talk to one cloud. Built by the CloudProfile controller (or from the operator's flags for
// the default cloud); the registry rebuilds the clients when the fingerprint changes.
import { createHash } from 'node:crypto';
import type { Capabilities } from './capabilities.ts';

export interface CloudSettings {
  /** `namespace/name` of the CloudProfile, or `default`. */
  id: string;
  ec2Endpoint: string;
  s3Endpoint?: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** PEM bundle trusted in addition to nothing else: when set, it replaces the system roots for this cloud. */
  caBundle?: string;
  rateLimit: { qps: number; burst: number };
  /** EC2 query `Version` to send instead of the SDK's own (e.g. `2013-08-15` for Eucalyptus 3.4). */
  apiVersion?: string;
  /** S3 signature to use (CloudProfile `spec.s3Signature`); detected when absent. */
  s3Signature?: 'v2' | 'v4';
  /** Explicit overrides of detected capabilities (CloudProfile `spec.capabilities`). */
  capabilities?: Partial<Capabilities>;
  /** Deadline of one call (CloudProfile spec.callTimeout within the operator's bounds); absent = 30 s. */
  callTimeoutMs?: number;
  /** Operator-wide cap on a bundle's upload policy lifetime (--max-upload-policy-ttl); absent = 7 days. */
  maxUploadPolicyTtlMs?: number;
}

export const DEFAULT_MAX_UPLOAD_POLICY_TTL_MS = 7 * 24 * 3_600_000;

export const DEFAULT_RATE_LIMIT = { qps: 10, burst: 20 } as const;

/** Stable JSON: object keys sorted, so equal settings always hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 over every field (secret included, never logged): any change to Secret or CloudProfile shows. */
export function fingerprint(settings: CloudSettings): string {
  return createHash('sha256').update(canonical(settings)).digest('hex').slice(0, 32);
}
