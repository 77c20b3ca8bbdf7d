// ImageCapture's working status: the shared resource state plus the per-device snapshot entries.
import type { ImageCapture, ImageCaptureStatus, SnapshotStatus } from '../../api/types.ts';
import { ResourceState } from '../shared/resource-state.ts';

export class CaptureState extends ResourceState<ImageCapture, ImageCaptureStatus> {
  snapshot(deviceName: string): SnapshotStatus {
    this.status.snapshots ??= [];
    let s = this.status.snapshots.find((x) => x.deviceName === deviceName);
    if (!s) {
      s = { deviceName };
      this.status.snapshots.push(s);
    }
    return s;
  }
}
