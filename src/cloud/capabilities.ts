// What a cloud can do, found with probes that cannot change anything: every probe is a read or a request
// the cloud must refuse before acting. What cannot be probed safely defaults by dialect and is corrected at
// run time by the controllers (e.g. ImageCapture records createImage: false when CreateImage answers
// without an image id). CloudProfile spec.capabilities overrides always win.
import {
  DescribeAvailabilityZonesCommand, DescribeImagesCommand, ImportVolumeCommand, type ImportVolumeCommandInput,
} from '@aws-sdk/client-ec2';
import { CloudError, isServiceNotAvailable } from './errors.ts';
import type { CloudGateway } from './gateway.ts';
import type { BuildMiddleware, MetadataBearer } from '@smithy/types';

export type Dialect = 'eucalyptus' | 'aws';

export interface Capabilities {
  createImage: boolean;
  tagOnCreate: boolean;
  bundleLinux: boolean;
  bundleEbs: boolean;
  importVolume: boolean;
  dialect: Dialect;
}

export interface DetectionResult {
  capabilities: Capabilities;
  /** One line per probe: what was asked and what it showed (for the CloudProfile status and logs). */
  evidence: string[];
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
    ? { dialect, createImage: true, tagOnCreate: true, bundleLinux: false, bundleEbs: false, importVolume: true }
    // Eucalyptus 3.4+: CreateImage and Linux bundling; no TagSpecifications (3.4 rejects unknown parameters).
    : { dialect, createImage: true, tagOnCreate: false, bundleLinux: true, bundleEbs: true, importVolume: false };
}

export function applyOverrides(detected: Capabilities, overrides: Partial<Capabilities> | undefined): Capabilities {
  const out = { ...detected };
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function isFatal(err: unknown): boolean {
  return err instanceof CloudError && (err.kind === 'auth' || err.kind === 'throttled' || err.kind === 'retryable');
}

export async function detectCapabilities(gw: CloudGateway): Promise<DetectionResult> {
  const evidence: string[] = [];
  let euca = 0;
  let aws = 0;

  // Probe 1: DescribeAvailabilityZones (read-only; also proves credentials and reachability, so its errors
  // propagate). EC2 zones carry a ZoneId (`use1-az1`); Eucalyptus zones have none and its region is
  // called `eucalyptus` when named at all.
  const azs = await gw.send(new DescribeAvailabilityZonesCommand({}));
  const zones = azs.AvailabilityZones ?? [];
  const firstZone = zones[0]?.ZoneName;
  if (zones.some((z) => z.ZoneId)) aws++;
  if (zones.some((z) => /eucalyptus/i.test(z.RegionName ?? ''))) euca++;
  evidence.push(`DescribeAvailabilityZones: ${zones.map((z) => z.ZoneName).join(',') || 'none'}`);

  // Probe 2: DescribeImages for a Eucalyptus-style id (read-only). EC2 refuses an id that is not `ami-` hex
  // as `InvalidAMIID.Malformed`; Eucalyptus looks it up (found, or `InvalidAMIID.NotFound`).
  try {
    const imgs = await gw.send(new DescribeImagesCommand({ ImageIds: ['emi-00000000'] }));
    euca += 2;
    evidence.push(`DescribeImages emi-00000000: ${(imgs.Images ?? []).length} image(s)`);
  } catch (err) {
    if (isFatal(err)) throw err;
    const code = err instanceof CloudError ? err.code : 'Unknown';
    if (/Malformed/.test(code)) aws += 2;
    else if (/NotFound/.test(code)) euca += 2;
    evidence.push(`DescribeImages emi-00000000: ${code}`);
  }

  // Probe 3: ImportVolume without Image and Volume: refused before anything is created. Eucalyptus 3.4
  // answers InternalError "Service not available" before validating (no import service); a validation
  // error (MissingParameter, InvalidParameter...) means the operation exists.
  let importVolume: boolean | undefined;
  try {
    const incomplete = { AvailabilityZone: firstZone ?? 'probe-zone' } as unknown as ImportVolumeCommandInput;
    await gw.send(new ImportVolumeCommand(incomplete));
    // Accepting an incomplete request should not happen; if it does, the operation at least exists.
    importVolume = true;
    evidence.push('ImportVolume (incomplete): accepted');
  } catch (err) {
    if (err instanceof CloudError && (err.kind === 'throttled' || err.kind === 'retryable') && !isServiceNotAvailable(err)) throw err;
    const code = err instanceof CloudError ? err.code : 'Unknown';
    if (isServiceNotAvailable(err)) {
      importVolume = false;
      euca++;
    } else if (/^(InvalidAction|UnsupportedOperation|NotImplemented|UnknownOperation|Unsupported)/.test(code)) {
      importVolume = false;
    } else if (err instanceof CloudError && err.kind === 'auth') {
      importVolume = undefined; // not allowed to ask: keep the dialect default
    } else {
      importVolume = true;
    }
    evidence.push(`ImportVolume (incomplete): ${code} -> importVolume ${importVolume ?? 'unknown'}`);
  }

  const dialect: Dialect = euca > aws ? 'eucalyptus' : 'aws';
  const caps = defaultCapabilities(dialect);
  if (importVolume !== undefined) caps.importVolume = importVolume;

  // Probe 4 (Eucalyptus only): DescribeAvailabilityZones with one extra, unknown parameter (read-only).
  // Eucalyptus 3.4 binds queries with UnknownParameterStrategy.ERROR and refuses it; 3.3 ignores unknown
  // parameters. 3.3 has CreateImage only as a stub and bundles only Windows instances.
  if (dialect === 'eucalyptus') {
    const cmd = new DescribeAvailabilityZonesCommand({});
    cmd.middlewareStack.add(extraParameterMiddleware(PROBE_PARAMETER), { step: 'build', priority: 'low', name: 'capabilityParameterProbe' });
    try {
      await gw.send(cmd);
      caps.createImage = false;
      caps.bundleLinux = false;
      caps.bundleEbs = false;
      evidence.push(`DescribeAvailabilityZones with unknown parameter: accepted (Eucalyptus before 3.4)`);
    } catch (err) {
      if (isFatal(err)) throw err;
      evidence.push(`DescribeAvailabilityZones with unknown parameter: ${(err as Error).message} (3.4 or later)`);
    }
  }
  evidence.push(`dialect ${dialect} (signals eucalyptus ${euca}, aws ${aws})`);
  const capabilities = applyOverrides(caps, gw.settings.capabilities);
  return { capabilities, evidence };
}
