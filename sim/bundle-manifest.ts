// The euca2ools bundle layout (manifest version 2007-10-10): `<prefix>.manifest.xml` plus `<prefix>.part.N`.
// Bundle tasks write it; RegisterImage reads it back and checks the parts against it (ImportVolume reads import
// manifests instead, import-manifest.ts).
import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { SimError } from './errors.ts';
import type { Instance } from './model.ts';
import type { SimState } from './state.ts';
import { toXml } from './xml.ts';

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex');

export interface BuiltBundle {
  manifest: string;
  parts: { key: string; body: Buffer }[];
}

/** Synthetic bundled bytes (standing in for tar|gzip|aes of the disk), cut into parts of `partSize`. */
export function buildBundle(instance: Instance, prefix: string, accountId: string, bundledBytes: number, partSize: number): BuiltBundle {
  const data = randomBytes(Math.max(1, bundledBytes));
  const parts: { key: string; body: Buffer }[] = [];
  for (let off = 0, n = 0; off < data.length; off += partSize, n++) {
    parts.push({ key: `${prefix}.part.${n}`, body: data.subarray(off, Math.min(data.length, off + partSize)) });
  }
  const hex = (n: number) => randomBytes(n).toString('hex');
  const machineConfiguration = {
    architecture: instance.architecture,
    block_device_mapping: {
      mapping: [{ virtual: 'ami', device: 'sda1' }, { virtual: 'root', device: '/dev/sda1' }],
    },
  };
  const image = {
    name: prefix,
    user: accountId,
    type: 'machine',
    digest: { '@_algorithm': 'SHA1', '#text': sha1(data) },
    size: instance.diskBytes,
    bundled_size: data.length,
    ec2_encrypted_key: { '@_algorithm': 'AES-128-CBC', '#text': hex(128) },
    user_encrypted_key: { '@_algorithm': 'AES-128-CBC', '#text': hex(128) },
    ec2_encrypted_iv: hex(128),
    user_encrypted_iv: hex(128),
    parts: {
      '@_count': String(parts.length),
      part: parts.map((p, index) => ({
        '@_index': String(index), filename: p.key.slice(p.key.lastIndexOf('/') + 1),
        digest: { '@_algorithm': 'SHA1', '#text': sha1(p.body) },
      })),
    },
  };
  const manifest = toXml('manifest', {
    version: '2007-10-10',
    bundler: { name: 'eucasim', version: '1.0', release: '0' },
    machine_configuration: machineConfiguration,
    image,
    signature: sha1(JSON.stringify(machineConfiguration) + JSON.stringify(image)),
  });
  return { manifest, parts };
}

export interface ManifestInfo {
  bucket: string;
  key: string;
  architecture: string;
  platform?: 'windows';
  size: number;
  bundledSize: number;
  parts: string[];
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'part' });

/** Reads and checks a stored manifest: `bucket/key.manifest.xml`, every part present with its digest. */
export function readManifest(state: SimState, location: string): ManifestInfo {
  const slash = location.indexOf('/');
  const bucket = slash > 0 ? location.slice(0, slash) : '';
  const key = slash > 0 ? location.slice(slash + 1) : '';
  const fail = (why: string) => new SimError('InvalidManifest', `Failed to verify manifest ${location}: ${why}`);
  if (!bucket || !key.endsWith('.manifest.xml')) throw fail('the location must be bucket/prefix.manifest.xml');
  const obj = state.s3.get(bucket, key);
  if (!obj) throw fail('the manifest object does not exist');
  let doc: { manifest?: { machine_configuration?: { architecture?: string }; image?: Record<string, unknown> } };
  try {
    doc = parser.parse(obj.body.toString('utf8')) as typeof doc;
  } catch (err) {
    throw fail(`not XML: ${(err as Error).message}`);
  }
  const image = doc.manifest?.image as { size?: number; bundled_size?: number; parts?: { part?: { filename?: string; digest?: { '#text'?: string } }[] } } | undefined;
  const parts = image?.parts?.part ?? [];
  if (!image || parts.length === 0) throw fail('no image parts');
  const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  let total = 0;
  const names: string[] = [];
  for (const part of parts) {
    const partKey = `${dir}${part.filename ?? ''}`;
    const body = state.s3.get(bucket, partKey)?.body;
    if (!body) throw fail(`part ${partKey} is missing`);
    if (part.digest?.['#text'] && sha1(body) !== part.digest['#text']) throw fail(`part ${partKey} does not match its digest`);
    total += body.length;
    names.push(partKey);
  }
  if (image.bundled_size !== undefined && Number(image.bundled_size) !== total) throw fail('bundled_size does not match the parts');
  const prefixName = key.slice(dir.length);
  return {
    bucket, key, architecture: String(doc.manifest?.machine_configuration?.architecture ?? 'x86_64'),
    // Eucalyptus derives the Windows platform from an image name starting with "windows".
    ...(/^windows/i.test(prefixName) ? { platform: 'windows' as const } : {}),
    size: Number(image.size ?? 0), bundledSize: total, parts: names,
  };
}
