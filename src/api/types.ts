// TypeScript shapes of the three custom resources. The OpenAPI schemas in api/schema/ are the source of the
// CRD YAML; these interfaces must describe the same fields.
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** Kubernetes object metadata (the client library's type, so our objects are KubernetesObjects). */
export type ObjectMeta = V1ObjectMeta;

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LocalObjectReference {
  name: string;
}

export type DeletionPolicy = 'Retain' | 'Delete';

export type CreateCallName = 'CreateImage' | 'RegisterImage' | 'BundleInstance';

/** A creating call recorded before it was sent, signed by the operator (controllers/shared/create-calls.ts). */
export interface CreateCall {
  call: CreateCallName;
  at: string;
  id?: string;
  signature: string;
}

// ---------------------------------------------------------------- ImageCapture

export interface EbsBlockDevice {
  volumeSize?: number;
  volumeType?: string;
  deleteOnTermination?: boolean;
  snapshotId?: string;
}

export interface BlockDeviceMapping {
  deviceName: string;
  ebs?: EbsBlockDevice;
  virtualName?: string;
  noDevice?: boolean;
}

export type CaptureStrategy = 'Auto' | 'CreateImage' | 'Orchestrated';

export interface ImageCaptureSpec {
  cloudRef?: LocalObjectReference;
  instanceId: string;
  image: { name: string; description?: string; tags?: Record<string, string> };
  noReboot?: boolean;
  blockDeviceMappings?: BlockDeviceMapping[];
  includeAttachedVolumes?: boolean;
  strategy?: CaptureStrategy;
  deletionPolicy?: DeletionPolicy;
  /** Go-style duration (`90m`, `2h`, `1h30m`). */
  timeout?: string;
  /** Accounts (12 digits) and/or `all` that may launch the image. */
  launchPermissions?: string[];
  /** With deletionPolicy Retain: revoke the granted launch permissions at deletion. */
  revokeLaunchPermissionsOnDeletion?: boolean;
  /** Opt-in: run one instance from the available image and check that it boots. */
  bootVerification?: { instanceType?: string; availabilityZone?: string; consoleOutputPattern?: string; timeout?: string };
}

export type CapturePhase =
  | 'Pending'
  | 'Quiescing'
  | 'Snapshotting'
  | 'Registering'
  | 'Verifying'
  | 'Available'
  | 'Failed'
  | 'Deleting';

export type Indication = 'Rebooted' | 'NoReboot' | 'WasStopped';

export interface SnapshotStatus {
  deviceName: string;
  volumeId?: string;
  snapshotId?: string;
  state?: string;
  progress?: number;
}

/** The source instance as validation described it, kept so later steps need not ask the cloud again. */
export interface SourceInstanceStatus {
  state?: string;
  architecture?: string;
  rootDeviceName?: string;
  volumes?: { deviceName: string; volumeId: string; deleteOnTermination?: boolean }[];
}

export interface ImageCaptureStatus {
  phase?: CapturePhase;
  indications?: Indication[];
  imageId?: string;
  strategy?: Exclude<CaptureStrategy, 'Auto'>;
  /** The user tags last written on the image and its snapshots (only these are ever removed). */
  appliedTags?: Record<string, string>;
  snapshots?: SnapshotStatus[];
  sourceInstance?: SourceInstanceStatus;
  progress?: number;
  startedAt?: string;
  completedAt?: string;
  /** CreateImage / RegisterImage, signed, written before the call. */
  createCalls?: CreateCall[];
  observedGeneration?: number;
  conditions?: Condition[];
  /** Cloud objects left behind on purpose (Retain) or that could not be removed, so nothing is lost silently. */
  retainedObjects?: string[];
  /** The launch permissions this capture granted (only these are revoked). */
  /** The boot verification's test instance and result. */
  bootCheck?: { instanceId?: string; startedAt?: string; result?: 'Passed' | 'Failed'; terminated?: boolean };
  launchPermissions?: string[];
  /** The cloud the objects were created in (see CloudIdentity). */
  cloud?: CloudIdentity;
}

export interface ImageCapture {
  apiVersion: string;
  kind: 'ImageCapture';
  metadata: ObjectMeta;
  spec: ImageCaptureSpec;
  status?: ImageCaptureStatus;
}

// -------------------------------------------------------------- InstanceBundle

export interface InstanceBundleSpec {
  cloudRef?: LocalObjectReference;
  instanceId: string;
  storage: { bucket: string; prefix: string; createBucket?: boolean };
  uploadPolicyTTL?: string;
  register?: { name: string; description?: string; architecture?: 'i386' | 'x86_64' };
  deletionPolicy?: DeletionPolicy;
  timeout?: string;
  /** Accounts (12 digits) and/or `all` that may launch the image. */
  launchPermissions?: string[];
  /** With deletionPolicy Retain: revoke the granted launch permissions at deletion. */
  revokeLaunchPermissionsOnDeletion?: boolean;
}

export type BundlePhase = 'Pending' | 'Bundling' | 'Registering' | 'Available' | 'Failed' | 'Deleting';

export interface InstanceBundleStatus {
  phase?: BundlePhase;
  bundleId?: string;
  /** Normalized task state: pending | waiting-for-shutdown | bundling | storing | cancelling | cancelled | complete | failed. */
  state?: string;
  progress?: number;
  manifestLocation?: string;
  imageId?: string;
  startedAt?: string;
  completedAt?: string;
  /** BundleInstance / RegisterImage, signed, written before the call. */
  createCalls?: CreateCall[];
  observedGeneration?: number;
  conditions?: Condition[];
  /** The launch permissions this bundle granted on its registered image (only these are revoked). */
  launchPermissions?: string[];
  /** The cloud the objects were created in (see CloudIdentity). */
  cloud?: CloudIdentity;
}

/** Where a resource's cloud objects were created: endpoint, region, account and a hash of the access key id. */
export interface CloudIdentity {
  endpoint: string;
  region: string;
  accountId?: string;
  credentials: string;
}

export interface InstanceBundle {
  apiVersion: string;
  kind: 'InstanceBundle';
  metadata: ObjectMeta;
  spec: InstanceBundleSpec;
  status?: InstanceBundleStatus;
}

// ---------------------------------------------------------------- CloudProfile

export interface CloudCapabilitiesSpec {
  createImage?: boolean;
  tagOnCreate?: boolean;
  bundleLinux?: boolean;
  bundleEbs?: boolean;
}

export interface CloudProfileSpec {
  ec2Endpoint: string;
  s3Endpoint?: string;
  region?: string;
  credentialsSecretRef: LocalObjectReference;
  caBundleSecretRef?: LocalObjectReference & { key?: string };
  rateLimit?: { qps?: number; burst?: number };
  capabilities?: CloudCapabilitiesSpec;
  apiVersion?: string;
  /** S3 request signature; detected when absent. */
  s3Signature?: 'v2' | 'v4';
  /** Deadline of one cloud call (Go-style duration), within the operator's bounds. */
  callTimeout?: string;
}

export interface CloudProfileStatus {
  capabilities?: CloudCapabilitiesSpec & { dialect?: 'eucalyptus' | 'aws'; s3Signature?: 'v2' | 'v4' };
  /** Capabilities whose probe gave no usable answer (the dialect default is used for them). */
  unknownCapabilities?: string[];
  accountId?: string;
  lastCheckedAt?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface CloudProfile {
  apiVersion: string;
  kind: 'CloudProfile';
  metadata: ObjectMeta;
  spec: CloudProfileSpec;
  status?: CloudProfileStatus;
}

// --------------------------------------------------------------- ImageSchedule

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** An ImageCapture spec without instanceId; the image name is a template rendered per instance and run. */
export interface CaptureTemplate extends Omit<ImageCaptureSpec, 'instanceId' | 'image'> {
  image: { nameTemplate: string; description?: string; tags?: Record<string, string> };
}

export interface ImageScheduleSpec {
  schedule: string;
  timeZone?: string;
  suspend?: boolean;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: ConcurrencyPolicy;
  instances: { ids?: string[]; tags?: Record<string, string> };
  captureTemplate: CaptureTemplate;
  retention?: { keepLast?: number; maxAge?: string; keepFailed?: number };
}

export type RunResult = 'Running' | 'Succeeded' | 'Failed' | 'NoInstances';

export interface ScheduleRun {
  scheduledTime: string;
  result: RunResult;
  captures: number;
  succeeded: number;
  failed: number;
  message?: string;
}

export interface ImageScheduleStatus {
  lastScheduleTime?: string;
  nextScheduleTime?: string;
  lastSuccessfulTime?: string;
  active?: Array<{ name: string; instanceId: string }>;
  activeCount?: number;
  history?: ScheduleRun[];
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface ImageSchedule {
  apiVersion: string;
  kind: 'ImageSchedule';
  metadata: ObjectMeta;
  spec: ImageScheduleSpec;
  status?: ImageScheduleStatus;
}
