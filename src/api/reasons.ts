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
  InvalidBlockDeviceMapping: 'InvalidBlockDeviceMapping',
  UnsupportedByCloud: 'UnsupportedByCloud',
  Timeout: 'Timeout',
  CloudProfileNotFound: 'CloudProfileNotFound',
  CredentialsSecretNotFound: 'CredentialsSecretNotFound',
  CredentialsSecretInvalid: 'CredentialsSecretInvalid',
  CredentialsRejected: 'CredentialsRejected',
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
} as const);
export type Reason = (typeof Reasons)[keyof typeof Reasons];

/** Reasons of Events (what happened, not a state). */
export const EventReasons = Object.freeze({
  Validated: 'Validated',
  StrategyChanged: 'StrategyChanged',
  PhasePending: 'PhasePending',
  PhaseQuiescing: 'PhaseQuiescing',
  PhaseSnapshotting: 'PhaseSnapshotting',
  PhaseBundling: 'PhaseBundling',
  PhaseRegistering: 'PhaseRegistering',
  PhaseAvailable: 'PhaseAvailable',
  PhaseFailed: 'PhaseFailed',
  PhaseDeleting: 'PhaseDeleting',
  BucketCreated: 'BucketCreated',
  BundleStarted: 'BundleStarted',
  BundleAdopted: 'BundleAdopted',
  BundleStored: 'BundleStored',
  BundleAvailable: 'BundleAvailable',
  ImageRegistered: 'ImageRegistered',
  ImageAdopted: 'ImageAdopted',
  ImageAvailable: 'ImageAvailable',
  ImageDiffers: 'ImageDiffers',
  ImageDeregistered: 'ImageDeregistered',
  TagsRepaired: 'TagsRepaired',
  TagsUpdated: 'TagsUpdated',
  LaunchPermissionsUpdated: 'LaunchPermissionsUpdated',
  LaunchPermissionsRevoked: 'LaunchPermissionsRevoked',
  CloudProfileReady: 'CloudProfileReady',
  Cancelling: 'Cancelling',
  CleanedUp: 'CleanedUp',
  Deleted: 'Deleted',
  DeletionBlocked: 'DeletionBlocked',
  CloudObjectsAbandoned: 'CloudObjectsAbandoned',
  Ready: 'Ready',
  ProbeFailed: 'ProbeFailed',
} as const);
export type EventReason = (typeof EventReasons)[keyof typeof EventReasons];
