// The objects a bundle leaves in its bucket (`<prefix>.manifest.xml`, `<prefix>.part.N`, the euca2ools
// layout).
import type { CloudGateway } from '../../cloud/gateway.ts';
import { deleteObjects, listObjects } from '../../cloud/s3.ts';

export function manifestKey(prefix: string): string {
  return `${prefix}.manifest.xml`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Only the bundle's own keys: a prefix `img` must not take `img2.part.0` or `img.part.0.bak` with it. */
export function isBundleKey(prefix: string, key: string): boolean {
  return new RegExp(`^${escapeRegExp(prefix)}\\.(manifest\\.xml|part\\.\\d+)$`).test(key);
}

export async function listBundleObjects(gw: CloudGateway, bucket: string, prefix: string): Promise<string[]> {
  try {
    return (await listObjects(gw, bucket, `${prefix}.`)).map((o) => o.key).filter((k) => isBundleKey(prefix, k));
  } catch (err) {
    if ((err as { kind?: string }).kind === 'notFound') return []; // the bucket is gone: so are the objects
    throw err;
  }
}

/** Deletes the bundle's manifest and parts; returns the keys deleted. */
export async function deleteBundleObjects(gw: CloudGateway, bucket: string, prefix: string): Promise<string[]> {
  const keys = await listBundleObjects(gw, bucket, prefix);
  if (keys.length) await deleteObjects(gw, bucket, keys);
  return keys;
}
