// What a cloud can do, found with probes that cannot change anything: every probe is a read or a request
// the cloud must refuse before acting. What cannot be probed safely defaults by dialect and is corrected at
// run time by the controllers (e.g. ImageCapture records createImage: false when CreateImage answers
// without an image id). CloudProfile spec.capabilities overrides always win, and what they set is not probed.
// A probe that gets no usable answer never blocks: its capability is reported unknown and the default is tried.
import { DescribeAvailabilityZonesCommand, DescribeImagesCommand } from './ec2-sdk.ts';
import { CloudError } from './errors.ts';
import type { CloudGateway } from './gateway.ts';
import type { BuildMiddleware, MetadataBearer } from '@smithy/types';
import { detectS3Signature, type S3Signature } from './s3-signature.ts';

export type Dialect = 'eucalyptus' | 'aws';

export interface Capabilities {
  createImage: boolean;
  tagOnCreate: boolean;
  bundleLinux: boolean;
  bundleEbs: boolean;
  dialect: Dialect;
  /** S3 request signature the cloud accepts (s3-signature.ts); unset until detected. */
  s3Signature?: S3Signature;
}

const PROBE_PARAMETER = 'ImagingOperatorCapabilityProbe=1';

/** Appends a query parameter to the EC2 form body (before signing). */
function extraParameterMiddleware(param: string): BuildMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    const req = args.request as { body?: unknown; headers?: Record<string, string> };
    if (typeof req.body === 'string') {
      req.body = `${req.body}&${param}`;
      for (const h of Object.keys(req.headers ?? {})) {
        if (h.toLowerCase() === 'content-length') req.headers![h] = String(Buffer.byteLength(req.body as string));
      }
    }
    return next(args);
  };
}

export function defaultCapabilities(dialect: Dialect): Capabilities {
  return dialect === 'aws'
    // EC2 bundles only Windows instance-store instances; tags on create exist since 2017.
    ? { dialect, createImage: true, tagOnCreate: true, bundleLinux: false, bundleEbs: false }
    // Eucalyptus 3.4+: CreateImage and Linux bundling; no TagSpecifications (3.4 rejects unknown parameters).
    : { dialect, createImage: true, tagOnCreate: false, bundleLinux: true, bundleEbs: true };
}

export function applyOverrides(detected: Capabilities, overrides: Partial<Capabilities> | undefined): Capabilities {
  const out = { ...detected };
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** A probe that did not give a usable answer: its capability stays unknown (the dialect default is tried). */
export interface FailedProbe {
  probe: string;
  capability: string;
  why: string;
}

export interface DetectionResult {
  capabilities: Capabilities;
  /** One line per probe: what was asked and what it showed (for the CloudProfile status and logs). */
  evidence: string[];
  /** Capabilities no probe could establish (a 5xx, an HTML page, an unparseable body, an unexpected error). */
  unknown: string[];
  failedProbes: FailedProbe[];
}

/** Why a probe's answer says nothing: a fault of the cloud or the transport, not an answer about the feature. */
function unusable(err: unknown): string | undefined {
  if (!(err instanceof CloudError)) return `unexpected error: ${String((err as Error)?.message ?? err)}`;
  const http = err.httpStatus ? ` (HTTP ${err.httpStatus})` : '';
  if (err.kind === 'retryable' || err.kind === 'throttled') return `${err.code}${http}: ${err.message}`;
  // An HTML error page or a truncated body carries no EC2 error code: the SDK reports `Unknown`, or only the
  // HTTP status (`NotFound` for a 404 page), or a deserialization error.
  if (err.code === 'Unknown' || err.code === 'NotFound' || /deserializ|parse error/i.test(err.message)) {
    return `unparseable answer${http}: ${err.message.split('\n')[0]}`;
  }
  return undefined;
}

function overridden(gw: CloudGateway, capability: keyof Capabilities): boolean {
  return (gw.settings.capabilities as Partial<Capabilities> | undefined)?.[capability] !== undefined;
}

/**
 * Runs the probes. Only the first call (DescribeAvailabilityZones, needed by every flow and the proof that the
 * credentials work) may fail the detection; every other probe that does not answer clearly leaves its
 * capability unknown, and the flows that need it try it and stall with the cloud's answer if it refuses.
 * A capability set in spec.capabilities is not probed at all.
 */
export async function detectCapabilities(gw: CloudGateway): Promise<DetectionResult> {
  const evidence: string[] = [];
  const failedProbes: FailedProbe[] = [];
  let euca = 0;
  let aws = 0;

  // Probe 1: DescribeAvailabilityZones (read-only; also proves credentials and reachability, so its errors
  // propagate). EC2 zones carry a ZoneId (`use1-az1`); Eucalyptus zones have none and its region is
  // called `eucalyptus` when named at all.
  const azs = await gw.send(new DescribeAvailabilityZonesCommand({}));
  const zones = azs.AvailabilityZones ?? [];
  if (zones.some((z) => z.ZoneId)) aws++;
  if (zones.some((z) => /eucalyptus/i.test(z.RegionName ?? ''))) euca++;
  evidence.push(`DescribeAvailabilityZones: ${zones.map((z) => z.ZoneName).join(',') || 'none'}`);

  // Probe 2: DescribeImages for a Eucalyptus-style id (read-only). EC2 refuses an id that is not `ami-` hex
  // as `InvalidAMIID.Malformed`; Eucalyptus looks it up (found, or `InvalidAMIID.NotFound`).
  try {
    const imgs = await gw.send(new DescribeImagesCommand({ ImageIds: ['emi-00000000'] }));
    if (imgs.Images === undefined) {
      // A 200 without an imagesSet is not an EC2 answer (an HTML page, a proxy's placeholder).
      failedProbes.push({ probe: 'DescribeImages emi-00000000', capability: 'dialect', why: 'answer without an imagesSet' });
      evidence.push('DescribeImages emi-00000000: answer without an imagesSet');
    } else {
      euca += 2;
      evidence.push(`DescribeImages emi-00000000: ${imgs.Images.length} image(s)`);
    }
  } catch (err) {
    const why = unusable(err);
    const code = err instanceof CloudError ? err.code : 'Unknown';
    if (why) failedProbes.push({ probe: 'DescribeImages emi-00000000', capability: 'dialect', why });
    else if (/Malformed/.test(code)) aws += 2;
    else if (/NotFound/.test(code)) euca += 2;
    evidence.push(`DescribeImages emi-00000000: ${why ?? code}`);
  }

  const dialect: Dialect = euca > aws ? 'eucalyptus' : 'aws';
  const caps = defaultCapabilities(dialect);

  // Probe 3 (Eucalyptus only): DescribeAvailabilityZones with one extra, unknown parameter (read-only).
  // Eucalyptus 3.4 binds queries with UnknownParameterStrategy.ERROR and refuses it; 3.3 ignores unknown
  // parameters. 3.3 has CreateImage only as a stub and bundles only Windows instances.
  const versionFlags: (keyof Capabilities)[] = ['createImage', 'bundleLinux', 'bundleEbs'];
  if (dialect === 'eucalyptus' && versionFlags.every((f) => overridden(gw, f))) {
    evidence.push('DescribeAvailabilityZones with unknown parameter: not probed (spec.capabilities sets what it decides)');
  } else if (dialect === 'eucalyptus') {
    const cmd = new DescribeAvailabilityZonesCommand({});
    cmd.middlewareStack.add(extraParameterMiddleware(PROBE_PARAMETER), { step: 'build', priority: 'low', name: 'capabilityParameterProbe' });
    try {
      const out = await gw.send(cmd);
      if (out.AvailabilityZones === undefined) throw new Error('answer without an availabilityZoneInfo');
      caps.createImage = false;
      caps.bundleLinux = false;
      caps.bundleEbs = false;
      evidence.push(`DescribeAvailabilityZones with unknown parameter: accepted (Eucalyptus before 3.4)`);
    } catch (err) {
      const why = unusable(err) ?? (err instanceof CloudError && err.kind === 'auth' ? `not allowed: ${err.message}` : undefined);
      if (why) {
        for (const f of versionFlags) if (!overridden(gw, f)) failedProbes.push({ probe: 'DescribeAvailabilityZones with an unknown parameter', capability: f, why });
      }
      evidence.push(`DescribeAvailabilityZones with unknown parameter: ${why ?? `${(err as Error).message} (3.4 or later)`}`);
    }
  }
  evidence.push(`dialect ${dialect} (signals eucalyptus ${euca}, aws ${aws})`);
  const s3 = await detectS3Signature(gw, dialect, evidence);
  caps.s3Signature = s3.signature;
  if (s3.unusable) failedProbes.push({ probe: 'S3 ListBuckets', capability: 's3Signature', why: s3.unusable });
  const capabilities = applyOverrides(caps, gw.settings.capabilities);
  const unknown = [...new Set(failedProbes.map((f) => f.capability))];
  return { capabilities, evidence, unknown, failedProbes };
}
