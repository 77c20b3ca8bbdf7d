// Block device mappings of the image to register: the attached volumes (basic case), overridden by the user's
// mappings device by device (the user's list wins, as in the 3.4 design).
import type { BlockDeviceMapping } from '../../api/types.ts';

export interface VolumeToCapture {
  deviceName: string;
  volumeId: string;
  deleteOnTermination?: boolean;
  isRoot: boolean;
}

export interface InstanceVolumes {
  rootDeviceName?: string;
  volumes: { deviceName: string; volumeId: string; deleteOnTermination?: boolean }[];
}

/** Devices are the same whether written `/dev/sda1` or `sda1`. */
export function normalizeDevice(name: string): string {
  return name.startsWith('/dev/') ? name : `/dev/${name}`;
}

/**
 * Which volumes to snapshot: the root always, attached volumes when asked, except those the user's mappings
 * suppress (noDevice) or replace (their own snapshot, ephemeral virtual name or size-only new volume).
 */
export function volumesToCapture(
  instance: InstanceVolumes,
  userMappings: BlockDeviceMapping[] = [],
  includeAttached = true,
): VolumeToCapture[] {
  const root = instance.rootDeviceName ? normalizeDevice(instance.rootDeviceName) : undefined;
  const overridden = new Map(userMappings.map((m) => [normalizeDevice(m.deviceName), m]));
  const out: VolumeToCapture[] = [];
  for (const v of instance.volumes) {
    const device = normalizeDevice(v.deviceName);
    const isRoot = device === root;
    if (!isRoot && !includeAttached) continue;
    const user = overridden.get(device);
    if (!isRoot && user && (user.noDevice || user.virtualName || user.ebs?.snapshotId)) continue;
    out.push({ deviceName: device, volumeId: v.volumeId, deleteOnTermination: v.deleteOnTermination, isRoot });
  }
  return out;
}

/**
 * The image's mappings: one per captured volume (pointing at its snapshot, with the size the snapshot reports), then the user's mappings merged
 * over them by device name (user fields win; a user mapping for a new device is added as given).
 */
export function mergeMappings(
  captured: { deviceName: string; snapshotId: string; deleteOnTermination?: boolean; sizeGiB?: number }[],
  userMappings: BlockDeviceMapping[] = [],
): BlockDeviceMapping[] {
  const byDevice = new Map<string, BlockDeviceMapping>();
  for (const c of captured) {
    byDevice.set(normalizeDevice(c.deviceName), {
      deviceName: normalizeDevice(c.deviceName),
      ebs: { snapshotId: c.snapshotId, deleteOnTermination: c.deleteOnTermination ?? true, ...(c.sizeGiB ? { volumeSize: c.sizeGiB } : {}) },
    });
  }
  for (const u of userMappings) {
    const device = normalizeDevice(u.deviceName);
    const base = byDevice.get(device);
    if (u.noDevice || u.virtualName || !base) {
      byDevice.set(device, { ...u, deviceName: device });
      continue;
    }
    byDevice.set(device, { deviceName: device, ebs: { ...base.ebs, ...stripUndefined(u.ebs ?? {}) } });
  }
  return [...byDevice.values()];
}

/** Mappings for the cloud's own CreateImage: only what the user asked for; the cloud adds attached volumes itself. */
export function createImageMappings(
  instance: InstanceVolumes,
  userMappings: BlockDeviceMapping[] = [],
  includeAttached = true,
): BlockDeviceMapping[] {
  const root = instance.rootDeviceName ? normalizeDevice(instance.rootDeviceName) : undefined;
  const out = userMappings
    .map((m) => ({ ...m, deviceName: normalizeDevice(m.deviceName) }))
    .filter((m) => m.deviceName !== root); // 3.4 rejects a mapping on the root device (InvalidBlockDeviceMapping)
  if (!includeAttached) {
    const listed = new Set(out.map((m) => m.deviceName));
    for (const v of instance.volumes) {
      const device = normalizeDevice(v.deviceName);
      if (device !== root && !listed.has(device)) out.push({ deviceName: device, noDevice: true });
    }
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
