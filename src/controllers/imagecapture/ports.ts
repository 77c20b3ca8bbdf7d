// What the ImageCapture steps need from the outside world, so the step logic reads as the algorithm and the
// wiring (cloud gateway, pollers, Kubernetes writes) lives in one place.
import type { BlockDeviceMapping, ImageCapture, ImageCaptureStatus } from '../../api/types.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { Capabilities } from '../../cloud/capabilities.ts';
import type { BundleTaskInfo, ConversionTaskInfo, InstanceInfo, ImageInfo, SnapshotInfo } from '../../cloud/ec2.ts';

/** A batched poller's view for one kind of cloud object. */
export interface Watcher<T> {
  watch(id: string, key: string): void;
  unwatch(key: string): void;
  get(id: string): T | { notFound: true } | undefined;
}

export interface CloudContext {
  gw: CloudGateway;
  capabilities: Capabilities;
  /** Remember what the cloud showed it cannot do (3.3's CreateImage without an image id). */
  learn(partial: Partial<Capabilities>): void;
  snapshots: Watcher<SnapshotInfo>;
  images: Watcher<ImageInfo>;
  instances: Watcher<InstanceInfo>;
  bundleTasks: Watcher<BundleTaskInfo>;
  conversionTasks: Watcher<ConversionTaskInfo>;
}

export interface CaptureWriter {
  patchStatus(obj: ImageCapture, status: ImageCaptureStatus): Promise<void>;
  ensureFinalizer(obj: ImageCapture): Promise<ImageCapture>;
  removeFinalizer(obj: ImageCapture): Promise<void>;
}

export interface CaptureEvents {
  normal(obj: ImageCapture, reason: string, message: string): void;
  warning(obj: ImageCapture, reason: string, message: string): void;
}

export type { BlockDeviceMapping };
