// The simulated cloud's objects. Tags live on each resource as a Map so lookups stay O(1).
export interface Account {
  accountId: string;
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
export const INSTANCE_STATE_CODES: Record<InstanceState, number> = {
  pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80,
};

export interface Attachment {
  volumeId: string;
  device: string;
  attachTime: Date;
  deleteOnTermination: boolean;
}

export interface Instance {
  id: string;
  ownerId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceState;
  rootDeviceType: 'ebs' | 'instance-store';
  rootDeviceName: string;
  platform?: 'windows';
  architecture: 'i386' | 'x86_64';
  availabilityZone: string;
  launchTime: Date;
  /** EBS root and data volumes (the root one is on rootDeviceName for ebs instances). */
  attachments: Attachment[];
  /** Nominal disk size in bytes, reported in bundle manifests. */
  diskBytes: number;
  tags: Map<string, string>;
  rebootCount: number;
  /** RunInstances: the client token it was launched with (idempotent retries answer the same reservation). */
  clientToken?: string;
  /** RunInstances under the `neverRunning` fault: the instance stays pending and prints nothing. */
  stuck?: boolean;
}

export type VolumeStatus = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';

export interface Volume {
  id: string;
  ownerId: string;
  size: number;
  snapshotId: string;
  availabilityZone: string;
  status: VolumeStatus;
  createTime: Date;
  attachedTo?: string;
  tags: Map<string, string>;
}

export type SnapshotStatus = 'pending' | 'completed' | 'failed';

export interface Snapshot {
  id: string;
  ownerId: string;
  volumeId: string;
  volumeSize: number;
  description: string;
  status: SnapshotStatus;
  startTime: Date;
  /** When a pending snapshot completes (progress is interpolated up to it). */
  dueAt: number;
  tags: Map<string, string>;
}

export interface BlockDeviceMapping {
  deviceName: string;
  virtualName?: string;
  noDevice?: boolean;
  ebs?: { snapshotId?: string; volumeSize?: number; deleteOnTermination?: boolean; volumeType?: string };
}

export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered';

export interface Image {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  state: ImageState;
  architecture: string;
  platform?: 'windows';
  rootDeviceType: 'ebs' | 'instance-store';
  rootDeviceName: string;
  imageType: 'machine' | 'kernel' | 'ramdisk';
  imageLocation: string;
  virtualizationType: 'paravirtual' | 'hvm';
  kernelId?: string;
  ramdiskId?: string;
  blockDeviceMappings: BlockDeviceMapping[];
  /** launchPermission group `all`. */
  isPublic: boolean;
  /** launchPermission userIds: accounts besides the owner that may run (and see) the image. */
  launchPermissions: Set<string>;
  creationDate: Date;
  tags: Map<string, string>;
  /** CreateImage: the instance it came from, for the request log and state dump. */
  sourceInstanceId?: string;
}

/** Internal bundle phases; the wire name depends on the profile. */
export type BundlePhase = 'pending' | 'waiting-for-shutdown' | 'bundling' | 'storing' | 'cancelling' | 'complete'
  | 'failed' | 'cancelled';

export interface BundleTask {
  id: string;
  ownerId: string;
  instanceId: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  uploadPolicy: string;
  uploadPolicySignature: string;
  phase: BundlePhase;
  startTime: Date;
  updateTime: Date;
  /** Start and planned end of the whole task, for progress. */
  startedAt: number;
  dueAt: number;
  error?: { code: string; message: string };
}

export type ConversionState = 'active' | 'cancelling' | 'cancelled' | 'completed';

export interface ConversionTask {
  id: string;
  ownerId: string;
  state: ConversionState;
  statusMessage: string;
  availabilityZone: string;
  description: string;
  format: string;
  bytes: number;
  manifestUrl: string;
  volumeSize: number;
  volumeId?: string;
  bytesConverted: number;
  expirationTime: Date;
  tags: Map<string, string>;
}

export const ZONES_DEFAULT = ['zone-a'];
