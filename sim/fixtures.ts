// Fixture files (YAML) that seed the simulator: accounts, zones, instances with volumes, images, buckets.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Account, Image } from './model.ts';
import type { SimState } from './state.ts';

export interface FixtureVolume { id?: string; size?: number; device: string; deleteOnTermination?: boolean }

export interface FixtureInstance {
  id?: string;
  /** Account name or id (default: the first account). */
  account?: string;
  rootDeviceType?: 'ebs' | 'instance-store';
  platform?: 'linux' | 'windows';
  state?: 'running' | 'stopped' | 'pending';
  architecture?: 'i386' | 'x86_64';
  availabilityZone?: string;
  instanceType?: string;
  imageId?: string;
  rootDeviceName?: string;
  rootVolumeSize?: number;
  diskBytes?: number;
  volumes?: FixtureVolume[];
  tags?: Record<string, string>;
}

export interface FixtureImage {
  id?: string;
  account?: string;
  name: string;
  description?: string;
  rootDeviceType?: 'ebs' | 'instance-store';
  rootDeviceName?: string;
  architecture?: string;
  platform?: 'linux' | 'windows';
  public?: boolean;
  imageLocation?: string;
  /** EBS images: size of the root snapshot created for the image (GiB). */
  rootSnapshotSize?: number;
  tags?: Record<string, string>;
}

export interface FixtureDoc {
  region?: string;
  zones?: string[];
  accounts: Account[];
  instances?: FixtureInstance[];
  images?: FixtureImage[];
  buckets?: { name: string; account?: string }[];
}

export function loadFixtureFile(path: string): FixtureDoc {
  return parse(readFileSync(path, 'utf8')) as FixtureDoc;
}

export function applyFixtures(state: SimState, doc: FixtureDoc): void {
  if (!doc || !Array.isArray(doc.accounts) || doc.accounts.length === 0) throw new Error('fixtures: at least one account is required');
  if (doc.region) state.region = doc.region;
  if (doc.zones?.length) state.zones = [...doc.zones];
  for (const a of doc.accounts) state.addAccount({ ...a, accountId: String(a.accountId) });
  const ownerOf = (ref: string | undefined): string => {
    if (ref === undefined) return state.defaultAccount.accountId;
    const byName = [...state.accountsById.values()].find((a) => a.name === ref);
    const account = byName ?? state.accountsById.get(String(ref));
    if (!account) throw new Error(`fixtures: unknown account '${ref}'`);
    return account.accountId;
  };
  for (const img of doc.images ?? []) {
    const ownerId = ownerOf(img.account);
    const ebs = (img.rootDeviceType ?? 'ebs') === 'ebs';
    const rootDeviceName = img.rootDeviceName ?? (ebs ? state.profile.defaultRootDevice : '/dev/sda1');
    const image: Image = {
      id: img.id ?? state.ids.next(state.profile.imagePrefix), ownerId, name: img.name, description: img.description ?? '',
      state: 'available', architecture: img.architecture ?? 'x86_64',
      ...(img.platform === 'windows' ? { platform: 'windows' as const } : {}),
      rootDeviceType: ebs ? 'ebs' : 'instance-store', rootDeviceName, imageType: 'machine',
      imageLocation: img.imageLocation ?? (ebs ? '' : `images/${img.name}.manifest.xml`), virtualizationType: 'paravirtual',
      blockDeviceMappings: [], isPublic: img.public ?? false, launchPermissions: new Set(), creationDate: new Date(), tags: new Map(Object.entries(img.tags ?? {})),
    };
    if (ebs) {
      const size = img.rootSnapshotSize ?? 10;
      const source = state.createVolume(ownerId, size, state.zones[0]!);
      const snap = state.createSnapshot(source, ownerId, `root of ${image.id}`, 'fixtures');
      snap.status = 'completed';
      snap.dueAt = Date.now();
      state.volumes.delete(source.id);
      image.blockDeviceMappings.push({ deviceName: rootDeviceName, ebs: { snapshotId: snap.id, volumeSize: size, deleteOnTermination: true } });
    }
    state.images.set(image.id, image);
  }
  for (const spec of doc.instances ?? []) {
    const instance = state.addInstance({
      ownerId: ownerOf(spec.account),
      ...(spec.id ? { id: spec.id } : {}),
      rootDeviceType: spec.rootDeviceType ?? 'ebs',
      ...(spec.platform === 'windows' ? { platform: 'windows' as const } : {}),
      state: spec.state ?? 'running',
      architecture: spec.architecture ?? 'x86_64',
      ...(spec.availabilityZone ? { availabilityZone: spec.availabilityZone } : {}),
      ...(spec.instanceType ? { instanceType: spec.instanceType } : {}),
      ...(spec.imageId ? { imageId: spec.imageId } : {}),
      ...(spec.rootDeviceName ? { rootDeviceName: spec.rootDeviceName } : {}),
      ...(spec.diskBytes ? { diskBytes: spec.diskBytes } : {}),
      tags: new Map(Object.entries(spec.tags ?? {})),
    }, 0, spec.rootVolumeSize ?? 10);
    for (const v of spec.volumes ?? []) {
      const volume = state.createVolume(instance.ownerId, v.size ?? 20, instance.availabilityZone);
      if (v.id) {
        state.volumes.delete(volume.id);
        volume.id = v.id;
        state.volumes.set(volume.id, volume);
      }
      state.attach(volume, instance, v.device, v.deleteOnTermination ?? false);
    }
  }
  for (const b of doc.buckets ?? []) state.s3.createBucket(b.name, ownerOf(b.account));
  // Fixture objects exist from the start: complete their creation work now.
  state.scheduler.advance();
}
