// What the ImageCapture steps need from the outside world, so the step logic reads as the algorithm and the
// wiring (cloud gateway, pollers, Kubernetes writes) lives in one place.
import type { ImageCapture, ImageCaptureStatus } from '../../api/types.ts';
import type { KindCloud } from '../shared/cloud-context.ts';
import type { ResourceWriter } from '../shared/resource-writer.ts';

export type { Watcher } from '../shared/cloud-context.ts';

/** The cloud as one controller kind sees it: gateway, capabilities, batched pollers. */
export type CloudContext = KindCloud;

export type CaptureWriter = ResourceWriter<ImageCapture, ImageCaptureStatus>;

export interface CaptureEvents {
  normal(obj: ImageCapture, reason: string, message: string): void;
  warning(obj: ImageCapture, reason: string, message: string): void;
}
