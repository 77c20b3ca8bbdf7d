// The objects a bundle leaves in its bucket (`<prefix>.manifest.xml`, `<prefix>.part.N`, the euca2ools
// layout) and the manifest fields the import needs.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { XMLParser } from 'fast-xml-parser';
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

export interface ManifestFacts {
  /** Bytes of the unbundled disk image (`image/size`). */
  size: number;
  architecture?: string;
}

const parser = new XMLParser({ ignoreAttributes: true });

/** Reads `image/size` and the architecture from the stored manifest (one GetObject). */
export async function readManifestFacts(gw: CloudGateway, bucket: string, prefix: string): Promise<ManifestFacts> {
  const out = await gw.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey(prefix) }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  const doc = parser.parse(text) as { manifest?: { image?: { size?: unknown }; machine_configuration?: { architecture?: unknown } } };
  const size = Number(doc.manifest?.image?.size);
  if (!Number.isFinite(size) || size <= 0) throw new Error(`manifest ${bucket}/${manifestKey(prefix)} has no image size`);
  const arch = doc.manifest?.machine_configuration?.architecture;
  return { size, ...(typeof arch === 'string' ? { architecture: arch } : {}) };
}
