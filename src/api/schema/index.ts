// Every kind's schema, in the order the CRDs are rendered.
import { cloudProfile } from './cloudprofile.ts';
import { imageCapture } from './imagecapture.ts';
import { imageSchedule } from './imageschedule.ts';
import { instanceBundle } from './instancebundle.ts';
import type { KindDefinition } from './openapi.ts';

export { cloudProfile, imageCapture, imageSchedule, instanceBundle };
export type { KindDefinition, PrinterColumn, Schema, ValidationRule } from './openapi.ts';
export const ALL_KINDS: readonly KindDefinition[] = [imageCapture, instanceBundle, cloudProfile, imageSchedule];
