// ImageCapture's working status during a reconcile: the shared resource state, the per-device snapshot entries,
// the source instance (described once, at validation, and kept in status) and what this pass learnt.
import type { ImageCapture, ImageCaptureStatus, SnapshotStatus, SourceInstanceStatus } from '../../api/types.ts';
import type { ImageInfo, InstanceInfo } from '../../cloud/ec2.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { ResourceState } from '../shared/resource-state.ts';
import { loadInstance } from './validate.ts';

/** The instance as the steps need it: what validation recorded, or (for older status) a fresh description. */
export interface SourceInstance {
  instanceId: string;
  state: string;
  architecture?: string;
  rootDeviceName?: string;
  volumes: { deviceName: string; volumeId: string; deleteOnTermination?: boolean }[];
}

export function recordedInstance(info: InstanceInfo): SourceInstanceStatus {
  return {
    state: info.state,
    ...(info.architecture ? { architecture: info.architecture } : {}),
    ...(info.rootDeviceName ? { rootDeviceName: info.rootDeviceName } : {}),
    volumes: info.volumes.map((v) => ({ deviceName: v.deviceName, volumeId: v.volumeId, deleteOnTermination: v.deleteOnTermination })),
  };
}

export class ImageCaptureState extends ResourceState<ImageCapture, ImageCaptureStatus> {
  private described: Promise<InstanceInfo> | undefined;
  /**
   * Validation ran in this pass: its checkpoint was written just now, and nothing is created before it, so no
   * creating call of this capture can have been sent yet (the adoption look-ups are skipped).
   */
  validatedThisPass = false;
  /** The image as the poll that saw it available described it (tags, mappings with their snapshot ids). */
  availableImage: ImageInfo | undefined;
  /** Tags this pass wrote with CreateTags, by object id: the check of the finished image need not read them back. */
  readonly written = new Map<string, Record<string, string>>();

  /**
   * The image and snapshot ids, and the signed result of a creating call (`createCalls`): the entry itself is
   * stored before the call (persist), the id it returned waits for the next real change.
   */
  override get minorFields(): readonly string[] {
    return ['progress', 'imageId', 'snapshots', 'createCalls'];
  }

  snapshot(deviceName: string): SnapshotStatus {
    this.status.snapshots ??= [];
    let s = this.status.snapshots.find((x) => x.deviceName === deviceName);
    if (!s) {
      s = { deviceName };
      this.status.snapshots.push(s);
    }
    return s;
  }

  /** The source instance, freshly described (one DescribeInstances per reconcile, shared by the steps). */
  instance(cloud: KindCloud): Promise<InstanceInfo> {
    return (this.described ??= loadInstance(cloud, this.obj));
  }

  /** The source instance as validation recorded it; a capture validated before status kept it asks the cloud. */
  async source(cloud: KindCloud): Promise<SourceInstance> {
    const recorded = this.status.sourceInstance;
    if (recorded?.state) return { instanceId: this.obj.spec.instanceId, state: recorded.state, ...recorded, volumes: recorded.volumes ?? [] };
    return this.instance(cloud);
  }
}
