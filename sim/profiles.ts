// Version profiles: everything that differs between Eucalyptus 3.3 / 3.4 / 4.0 and AWS EC2 lives here, so the
// action handlers ask the profile instead of comparing profile names.
export type ProfileName = 'eucalyptus-3.3' | 'eucalyptus-3.4' | 'eucalyptus-4.0' | 'eucalyptus-4.4' | 'aws';

export type S3Signature = 'v2' | 'v4';

export interface Profile {
  name: ProfileName;
  eucalyptus: boolean;
  /** Image id prefix: emi- on Eucalyptus, ami- on AWS. */
  imagePrefix: 'emi-' | 'ami-';
  /** Ids are prefix + 8 upper-case hex digits on Eucalyptus, 17 lower-case on AWS. */
  idStyle: 'euca' | 'aws';
  /** API versions whose namespace the cloud answers (besides the SDK's 2016-11-15, always accepted). */
  defaultVersion: string;
  /** Unknown query parameters: 3.4+ binds with UnknownParameterStrategy.ERROR, 3.3 ignores them. */
  unknownParameters: 'error' | 'ignore';
  tagSpecifications: boolean;
  /** 3.3: CreateImage validates and returns no image id. */
  createImage: 'stub' | 'real';
  bundleLinux: boolean;
  bundleWindowsPrefix: boolean;
  bundleEbs: boolean;
  importVolume: 'unavailable' | 'real';
  /** Wire names for the bundle task states. */
  bundleStates: 'euca' | 'aws';
  snapshotFailedState: 'failed' | 'error';
  /** Code for an operation on someone else's visible object. */
  unauthorizedCode: 'AuthFailure' | 'UnauthorizedOperation';
  /** Root device name written into instances and images that have none. */
  defaultRootDevice: string;
  /** CreateImage / RegisterImage name rule. */
  imageNamePattern: RegExp;
  /** S3 request signatures accepted: Walrus 3.x and OSG 4.0 know SigV2 only; SigV4 arrives in 4.4. */
  s3Signatures: readonly S3Signature[];
  /** ListObjectsV2 (`list-type=2`): no Eucalyptus version has it. */
  s3ListV2: boolean;
  /** Multi-object delete (`POST ?delete`): first in Eucalyptus 4.4.2. */
  s3MultiDelete: boolean;
  /** EC2 query SigV2 besides SigV4 (HmacUtils SignatureV2Standard in 3.3–4.x). */
  ec2SigV2: boolean;
}

const EUCA_NAME = /^[A-Za-z0-9(),/_-]{3,128}$/;
const AWS_NAME = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

const euca = {
  eucalyptus: true,
  imagePrefix: 'emi-',
  idStyle: 'euca',
  tagSpecifications: false,
  bundleStates: 'euca',
  snapshotFailedState: 'failed',
  unauthorizedCode: 'AuthFailure',
  defaultRootDevice: '/dev/sda1',
  imageNamePattern: EUCA_NAME,
  s3Signatures: ['v2'],
  s3ListV2: false,
  s3MultiDelete: false,
  ec2SigV2: true,
} as const;

export const PROFILES: Record<ProfileName, Profile> = {
  'eucalyptus-3.3': {
    ...euca, name: 'eucalyptus-3.3', defaultVersion: '2013-06-15', unknownParameters: 'ignore', createImage: 'stub',
    bundleLinux: false, bundleWindowsPrefix: true, bundleEbs: false, importVolume: 'unavailable',
  },
  'eucalyptus-3.4': {
    ...euca, name: 'eucalyptus-3.4', defaultVersion: '2013-08-15', unknownParameters: 'error', createImage: 'real',
    bundleLinux: true, bundleWindowsPrefix: false, bundleEbs: true, importVolume: 'unavailable',
  },
  'eucalyptus-4.0': {
    ...euca, name: 'eucalyptus-4.0', defaultVersion: '2013-10-15', unknownParameters: 'error', createImage: 'real',
    bundleLinux: true, bundleWindowsPrefix: false, bundleEbs: true, importVolume: 'real',
  },
  // 4.0 plus the 4.4 object storage: S3 SigV4 (S3V4Authentication) and multi-object delete (osg-binding.xml, 4.4.2).
  'eucalyptus-4.4': {
    ...euca, name: 'eucalyptus-4.4', defaultVersion: '2013-10-15', unknownParameters: 'error', createImage: 'real',
    bundleLinux: true, bundleWindowsPrefix: false, bundleEbs: true, importVolume: 'real',
    s3Signatures: ['v2', 'v4'], s3MultiDelete: true,
  },
  aws: {
    name: 'aws', eucalyptus: false, imagePrefix: 'ami-', idStyle: 'aws', defaultVersion: '2016-11-15',
    unknownParameters: 'ignore', tagSpecifications: true, createImage: 'real', bundleLinux: false,
    bundleWindowsPrefix: false, bundleEbs: false, importVolume: 'real', bundleStates: 'aws',
    snapshotFailedState: 'error', unauthorizedCode: 'UnauthorizedOperation', defaultRootDevice: '/dev/xvda',
    imageNamePattern: AWS_NAME, s3Signatures: ['v4'], s3ListV2: true, s3MultiDelete: true, ec2SigV2: false,
  },
};

export interface ProfileOverrides {
  /** 3.4/4.0 only: allow BundleInstance of EBS-backed instances (default true). */
  bundleEbs?: boolean;
  unknownParameters?: 'error' | 'ignore';
}

export function resolveProfile(name: ProfileName, overrides: ProfileOverrides = {}): Profile {
  const base = PROFILES[name];
  if (!base) throw new Error(`unknown eucasim profile '${name}' (expected one of ${Object.keys(PROFILES).join(', ')})`);
  return {
    ...base,
    bundleEbs: base.eucalyptus && base.bundleLinux ? (overrides.bundleEbs ?? base.bundleEbs) : base.bundleEbs,
    unknownParameters: overrides.unknownParameters ?? base.unknownParameters,
  };
}

/** API versions answered: the 2013-era ones Eucalyptus shipped and the one the current SDK sends. */
export const SUPPORTED_VERSIONS = new Set([
  '2011-01-01', '2012-12-01', '2013-02-01', '2013-06-15', '2013-07-15', '2013-08-15', '2013-10-15', '2014-10-01',
  '2016-11-15',
]);
