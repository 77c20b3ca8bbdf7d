// The schemas and the TypeScript interfaces in api/types.ts must describe the same fields. The key lists below
// are checked against the interfaces by the compiler (`satisfies`) and against the schemas by the test.
import { expect } from 'chai';
import { cloudProfile, imageCapture, imageSchedule, instanceBundle } from '../../../src/api/schema/index.ts';
import type {
  CloudProfileSpec, CloudProfileStatus, ImageCaptureSpec, ImageCaptureStatus, ImageScheduleSpec, ImageScheduleStatus,
  InstanceBundleSpec, InstanceBundleStatus,
} from '../../../src/api/types.ts';

const keys = {
  imageCaptureSpec: {
    cloudRef: 1, instanceId: 1, image: 1, noReboot: 1, blockDeviceMappings: 1, includeAttachedVolumes: 1, strategy: 1,
    deletionPolicy: 1, timeout: 1, launchPermissions: 1, revokeLaunchPermissionsOnDeletion: 1, bootVerification: 1,
  } satisfies Record<keyof ImageCaptureSpec, 1>,
  imageCaptureStatus: {
    phase: 1, indications: 1, imageId: 1, strategy: 1, appliedTags: 1, snapshots: 1, progress: 1, startedAt: 1, completedAt: 1,
    observedGeneration: 1, conditions: 1, retainedObjects: 1, launchPermissions: 1, bootCheck: 1, cloud: 1, createCalls: 1, sourceInstance: 1,
  } satisfies Record<keyof ImageCaptureStatus, 1>,
  instanceBundleSpec: {
    cloudRef: 1, instanceId: 1, storage: 1, uploadPolicyTTL: 1, register: 1, deletionPolicy: 1, timeout: 1, launchPermissions: 1, revokeLaunchPermissionsOnDeletion: 1,
  } satisfies Record<keyof InstanceBundleSpec, 1>,
  instanceBundleStatus: {
    phase: 1, bundleId: 1, state: 1, progress: 1, manifestLocation: 1, imageId: 1, startedAt: 1, completedAt: 1,
    observedGeneration: 1, conditions: 1, launchPermissions: 1, cloud: 1, createCalls: 1,
  } satisfies Record<keyof InstanceBundleStatus, 1>,
  cloudProfileSpec: {
    ec2Endpoint: 1, s3Endpoint: 1, region: 1, credentialsSecretRef: 1, caBundleSecretRef: 1, rateLimit: 1, capabilities: 1, apiVersion: 1,
    s3Signature: 1, callTimeout: 1,
  } satisfies Record<keyof CloudProfileSpec, 1>,
  cloudProfileStatus: {
    capabilities: 1, unknownCapabilities: 1, accountId: 1, lastCheckedAt: 1, observedGeneration: 1, conditions: 1,
  } satisfies Record<keyof CloudProfileStatus, 1>,
  imageScheduleSpec: {
    schedule: 1, timeZone: 1, suspend: 1, startingDeadlineSeconds: 1, concurrencyPolicy: 1, instances: 1, captureTemplate: 1, retention: 1,
  } satisfies Record<keyof ImageScheduleSpec, 1>,
  imageScheduleStatus: {
    lastScheduleTime: 1, nextScheduleTime: 1, lastSuccessfulTime: 1, active: 1, activeCount: 1, history: 1, observedGeneration: 1, conditions: 1,
  } satisfies Record<keyof ImageScheduleStatus, 1>,
};

describe('api schemas match api/types.ts', () => {
  const pairs = [
    ['ImageCapture spec', imageCapture.spec, keys.imageCaptureSpec],
    ['ImageCapture status', imageCapture.status, keys.imageCaptureStatus],
    ['InstanceBundle spec', instanceBundle.spec, keys.instanceBundleSpec],
    ['InstanceBundle status', instanceBundle.status, keys.instanceBundleStatus],
    ['CloudProfile spec', cloudProfile.spec, keys.cloudProfileSpec],
    ['CloudProfile status', cloudProfile.status, keys.cloudProfileStatus],
    ['ImageSchedule spec', imageSchedule.spec, keys.imageScheduleSpec],
    ['ImageSchedule status', imageSchedule.status, keys.imageScheduleStatus],
  ] as const;
  for (const [name, schema, expected] of pairs) {
    it(`${name} has exactly the interface's fields`, () => {
      expect(Object.keys(schema.properties ?? {}).sort()).to.deep.equal(Object.keys(expected).sort());
    });
  }
  it('enums match the union types', () => {
    const strategies: Record<NonNullable<ImageCaptureSpec['strategy']>, 1> = { Auto: 1, CreateImage: 1, Orchestrated: 1 };
    expect(imageCapture.spec.properties!.strategy!.enum).to.have.members(Object.keys(strategies));
    const phases: Record<NonNullable<ImageCaptureStatus['phase']>, 1> = {
      Pending: 1, Quiescing: 1, Snapshotting: 1, Registering: 1, Verifying: 1, Available: 1, Failed: 1, Deleting: 1,
    };
    expect(imageCapture.status.properties!.phase!.enum).to.have.members(Object.keys(phases));
    const bundlePhases: Record<NonNullable<InstanceBundleStatus['phase']>, 1> = { Pending: 1, Bundling: 1, Registering: 1, Available: 1, Failed: 1, Deleting: 1 };
    expect(instanceBundle.status.properties!.phase!.enum).to.have.members(Object.keys(bundlePhases));
  });
});
