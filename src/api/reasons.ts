// Every reason the operator writes, declared once. Reasons are API: users and alerts match on them, so never
// rename one. A controller can only write a reason listed here (the types say so), and
// test/unit/api/reasons.test.ts fails when one is missing here or from docs/user-guide.md.

/** Reasons of conditions (the kstatus trio and the step conditions). */
export const Reasons = Object.freeze({
  // terminal (Stalled)
  InstanceNotFound: 'InstanceNotFound',
  InstanceNotOwned: 'InstanceNotOwned',
  InvalidInstanceState: 'InvalidInstanceState',
  InvalidImageName: 'InvalidImageName',
  DuplicateImageName: 'DuplicateImageName',
  ImageNotOwned: 'ImageNotOwned',
  SnapshotNotOwned: 'SnapshotNotOwned',
  BundleNotOwned: 'BundleNotOwned',
  ExceedsCloudLimits: 'ExceedsCloudLimits',
  InvalidBlockDeviceMapping: 'InvalidBlockDeviceMapping',
  UnsupportedByCloud: 'UnsupportedByCloud',
  Timeout: 'Timeout',
  CloudProfileNotFound: 'CloudProfileNotFound',
  CloudChanged: 'CloudChanged',
  CredentialsSecretNotFound: 'CredentialsSecretNotFound',
  CredentialsSecretInvalid: 'CredentialsSecretInvalid',
  CredentialsRejected: 'CredentialsRejected',
  CABundleInvalid: 'CABundleInvalid',
  EndpointNotAllowed: 'EndpointNotAllowed',
  S3SignatureRejected: 'S3SignatureRejected',
  SnapshotFailed: 'SnapshotFailed',
  ImageFailed: 'ImageFailed',
  BundleFailed: 'BundleFailed',
  BucketNotFound: 'BucketNotFound',
  StorageInUse: 'StorageInUse',
  ImageDeregistered: 'ImageDeregistered',
  CloudRejected: 'CloudRejected',
  // transient (Reconciling stays True)
  CloudUnreachable: 'CloudUnreachable',
  Throttled: 'Throttled',
  InstanceTransitioning: 'InstanceTransitioning',
  WaitingForCloud: 'WaitingForCloud',
  CleanupRefused: 'CleanupRefused',
  // summary
  Succeeded: 'Succeeded',
  InProgress: 'InProgress',
  Deleting: 'Deleting',
  Cancelling: 'Cancelling',
  // steps (reason of Reconciling, or of a step condition, while the step runs)
  Validating: 'Validating',
  Rebooting: 'Rebooting',
  Rebooted: 'Rebooted',
  NoReboot: 'NoReboot',
  WasStopped: 'WasStopped',
  CreatingSnapshots: 'CreatingSnapshots',
  WaitingForSnapshots: 'WaitingForSnapshots',
  CreatingImage: 'CreatingImage',
  WaitingForImage: 'WaitingForImage',
  Starting: 'Starting',
  Bundling: 'Bundling',
  Registering: 'Registering',
  ImageDiffers: 'ImageDiffers',
  // cleanup after a failure (CleanedUp)
  Pending: 'Pending',
  Retrying: 'Retrying',
  // CloudProfile (CapabilitiesDetected)
  ProbeFailed: 'ProbeFailed',
  // CloudProfile being deleted while resources use it (InUse)
  InUse: 'InUse',
  // ImageSchedule (Stalled on a spec it cannot run; Ready after the last finished run)
  InvalidSchedule: 'InvalidSchedule',
  InvalidTimeZone: 'InvalidTimeZone',
  InvalidTemplate: 'InvalidTemplate',
  InvalidRetention: 'InvalidRetention',
  InvalidInstances: 'InvalidInstances',
  Scheduled: 'Scheduled',
  Suspended: 'Suspended',
  LastRunFailed: 'LastRunFailed',
  NoInstancesMatched: 'NoInstancesMatched',
  // boot verification (BootVerified; Reconciling while the test instance runs)
  VerifyingBoot: 'VerifyingBoot',
  BootVerificationFailed: 'BootVerificationFailed',
  InvalidBootVerification: 'InvalidBootVerification',
} as const);
export type Reason = (typeof Reasons)[keyof typeof Reasons];

/**
 * Reasons of Events (what happened, not a state). Each Event is an API-server write, so only what a user acts on
 * has one (docs/user-guide.md, Events); phases and steps are in status.
 */
export const EventReasons = Object.freeze({
  StrategyChanged: 'StrategyChanged',
  NewAttempt: 'NewAttempt',
  BucketCreated: 'BucketCreated',
  BundleStarted: 'BundleStarted',
  BundleAdopted: 'BundleAdopted',
  BundleAvailable: 'BundleAvailable',
  ImageAdopted: 'ImageAdopted',
  ImageAvailable: 'ImageAvailable',
  ImageDiffers: 'ImageDiffers',
  ImageDeregistered: 'ImageDeregistered',
  TagsRepaired: 'TagsRepaired',
  TagsUpdated: 'TagsUpdated',
  LaunchPermissionsUpdated: 'LaunchPermissionsUpdated',
  LaunchPermissionsRevoked: 'LaunchPermissionsRevoked',
  BootVerified: 'BootVerified',
  CloudProfileReady: 'CloudProfileReady',
  Cancelling: 'Cancelling',
  CleanedUp: 'CleanedUp',
  Deleted: 'Deleted',
  DeletionBlocked: 'DeletionBlocked',
  CloudObjectsAbandoned: 'CloudObjectsAbandoned',
  RetainedWithoutCloud: 'RetainedWithoutCloud',
  ProfileInUse: 'ProfileInUse',
  Ready: 'Ready',
  ProbeFailed: 'ProbeFailed',
  RunStarted: 'RunStarted',
  RunWaiting: 'RunWaiting',
  NoInstances: 'NoInstances',
  MissedSchedule: 'MissedSchedule',
  MissedSchedules: 'MissedSchedules',
  Replaced: 'Replaced',
  Pruned: 'Pruned',
} as const);
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];
