// ImageCapture's working status during a reconcile: the shared resource state, the per-device snapshot entries,
// and the instance as the cloud describes it, looked up at most once per reconcile.
import type { ImageCapture, ImageCaptureStatus, SnapshotStatus } from '../../api/types.ts';
import type { InstanceInfo } from '../../cloud/ec2.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import { ResourceState } from '../shared/resource-state.ts';
import { loadInstance } from './validate.ts';

export class ImageCaptureState extends ResourceState<ImageCapture, ImageCaptureStatus> {
  private described: Promise<InstanceInfo> | undefined;

  snapshot(deviceName: string): SnapshotStatus {
    this.status.snapshots ??= [];
    let s = this.status.snapshots.find((x) => x.deviceName === deviceName);
    if (!s) {
      s = { deviceName };
      this.status.snapshots.push(s);
    }
    return s;
  }

  /** The source instance (one DescribeInstances per reconcile, shared by validation and the steps). */
  instance(cloud: KindCloud): Promise<InstanceInfo> {
    return (this.described ??= loadInstance(cloud, this.obj));
  }
}
