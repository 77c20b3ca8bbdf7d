// Names shared by the CRDs, the controllers and the cloud objects the operator tags.
export const GROUP = 'imaging.eucalyptus.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const KINDS = {
  ImageCapture: { kind: 'ImageCapture', plural: 'imagecaptures', singular: 'imagecapture', shortNames: ['icap'] },
  InstanceBundle: { kind: 'InstanceBundle', plural: 'instancebundles', singular: 'instancebundle', shortNames: ['ibun'] },
  CloudProfile: { kind: 'CloudProfile', plural: 'cloudprofiles', singular: 'cloudprofile', shortNames: ['cprof'] },
  ImageSchedule: { kind: 'ImageSchedule', plural: 'imageschedules', singular: 'imageschedule', shortNames: ['isched'] },
} as const;
export const CATEGORY = 'eucalyptus-imaging';

/** Held on every resource until its deletion policy has been carried out in the cloud. */
export const FINALIZER = `${GROUP}/finalizer`;
/**
 * Held on a CloudProfile while captures or bundles that use it still exist (as kubernetes.io/pvc-protection
 * holds a claim in use): their deletion may need the cloud, and a profile deleted with them (a whole namespace)
 * stays usable until they are gone.
 */
export const PROFILE_FINALIZER = `${GROUP}/in-use-protection`;

/** Tag on every cloud object the operator creates: `<namespace>/<name>/<uid>` of the owning resource. */
export const OWNER_TAG = `${GROUP}/owner`;
/** Tag naming the step that created the object (for example `snapshot:/dev/sda1`, `image`, `import-volume`). */
export const STEP_TAG = `${GROUP}/step`;

export function ownerTagValue(obj: { metadata?: { namespace?: string; name?: string; uid?: string } }): string {
  const m = obj.metadata ?? {};
  return `${m.namespace ?? ''}/${m.name ?? ''}/${m.uid ?? ''}`;
}

/**
 * Set to "true" by an administrator on a resource being deleted whose cloud cannot be reached: the finalizer is
 * released without touching the cloud, and an Event lists the cloud objects left behind.
 */
export const ABANDON_ANNOTATION = `${GROUP}/abandon-cloud-objects`;

/** Labels and annotation on the ImageCaptures an ImageSchedule creates. */
export const SCHEDULE_UID_LABEL = `${GROUP}/schedule-uid`;
export const SCHEDULE_NAME_LABEL = `${GROUP}/schedule`;
export const INSTANCE_LABEL = `${GROUP}/instance-id`;
export const SCHEDULED_TIME_ANNOTATION = `${GROUP}/scheduled-time`;

/** Tag on an image whose boot was checked: `true` or `false`. */
export const BOOT_VERIFIED_TAG = `${GROUP}/boot-verified`;
