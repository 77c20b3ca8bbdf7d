// The S3 SDK, loaded on first use: only bundles and the S3 signature probe need it, and a cloud whose
// CloudProfile sets spec.s3Signature and never bundles never loads it (it costs memory in every process).
import type * as S3Sdk from '@aws-sdk/client-s3';

let sdk: Promise<typeof S3Sdk> | undefined;

export function loadS3Sdk(): Promise<typeof S3Sdk> {
  return sdk ??= import('@aws-sdk/client-s3');
}
