// Starts eucasim in-process on a free port with the test fixture and builds real SDK clients against it.
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PROFILES } from '../../../sim/profiles.ts';
import { type Eucasim, type EucasimOptions, startEucasim } from '../../../sim/server.ts';
import { S3SigV2Signer } from '../../../src/cloud/s3-sigv2.ts';

export const TEST_FIXTURE = fileURLToPath(new URL('../../../sim/fixtures/test.yaml', import.meta.url));
export const TEST_KEY = { accessKeyId: 'AKIATESTEUCASIM00001', secretAccessKey: 'test-secret-key' };
export const OTHER_KEY = { accessKeyId: 'AKIAOTHEREUCASIM0002', secretAccessKey: 'other-secret-key' };
export const TEST_ACCOUNT = '111111111111';

export interface TestSim {
  sim: Eucasim;
  ec2: EC2Client;
  /** S3 signed the way the profile's object storage accepts: SigV4 where it has it, SigV2 before Eucalyptus 4.4. */
  s3: S3Client;
  otherEc2: EC2Client;
}

export async function startTestSim(profile: EucasimOptions['profile'], extra: Partial<EucasimOptions> = {}): Promise<TestSim> {
  const sim = await startEucasim({ profile, fixtures: TEST_FIXTURE, ...extra });
  const common = { endpoint: sim.url, region: 'eucalyptus', maxAttempts: 1 };
  return {
    sim,
    ec2: new EC2Client({ ...common, credentials: TEST_KEY }),
    otherEc2: new EC2Client({ ...common, credentials: OTHER_KEY }),
    s3: new S3Client({
      ...common, endpoint: sim.s3Url, forcePathStyle: true, credentials: TEST_KEY,
      ...(PROFILES[profile].s3Signatures.includes('v4') ? {} : { signer: new S3SigV2Signer(TEST_KEY) }),
    }),
  };
}

export async function stopTestSim(t: TestSim | undefined): Promise<void> {
  if (!t) return;
  t.ec2.destroy();
  t.otherEc2.destroy();
  t.s3.destroy();
  await t.sim.close();
}

/** Polls until fn returns a truthy value (no fixed sleeps). */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

/**
 * A SigV2 query-authenticated GET URL (`AWSAccessKeyId`, `Expires` in epoch seconds, `Signature` = base64
 * HMAC-SHA1 over `GET\n\n\n<Expires>\n<path>`), as euca2ools hands ImportVolume its manifest.
 */
export function presignGetV2(s3Url: string, bucket: string, key: string, creds: { accessKeyId: string; secretAccessKey: string }, expiresSeconds: number, now = new Date()): string {
  const url = new URL(`${s3Url}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`);
  const expires = Math.floor(now.getTime() / 1000) + expiresSeconds;
  const signature = createHmac('sha1', creds.secretAccessKey).update(`GET\n\n\n${expires}\n${url.pathname}`).digest('base64');
  url.search = new URLSearchParams({ AWSAccessKeyId: creds.accessKeyId, Expires: String(expires), Signature: signature }).toString();
  return url.toString();
}
