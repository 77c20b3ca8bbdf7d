// ImportVolume, DescribeConversionTasks, CancelConversionTask. 3.3/3.4 answer ImportVolume with InternalError
// "Service not available" before any validation (ImportManager, 3.4.2); 4.0 and AWS run a conversion task
// active → completed | cancelled that reads an import manifest (disk parts, import-manifest.ts) from this
// simulator's S3 through presigned URLs and creates a volume. A bundle manifest fails the task, as in 4.0.
import { SimError } from '../errors.ts';
import { type ImportManifest, parseImportManifest } from '../import-manifest.ts';
import type { ConversionTask } from '../model.ts';
import { authenticateS3 } from '../auth.ts';
import type { SimState } from '../state.ts';
import { itemSet, type XmlObject } from '../xml.ts';
import { type ActionDef, type Ec2Context, tagSet } from './context.ts';

const FORMATS = ['VMDK', 'VHD', 'RAW'];
const GIB = 1024 ** 3;

function taskXml(t: ConversionTask): XmlObject {
  return {
    conversionTaskId: t.id,
    expirationTime: t.expirationTime,
    importVolume: {
      bytesConverted: t.bytesConverted,
      availabilityZone: t.availabilityZone,
      description: t.description,
      image: { format: t.format, size: t.bytes, importManifestUrl: t.manifestUrl },
      volume: { size: t.volumeSize, id: t.volumeId },
    },
    state: t.state,
    statusMessage: t.statusMessage,
    tagSet: tagSet(t.tags),
  };
}

interface Located {
  bucket: string;
  key: string;
  expiresAt: number;
}

/** Where a presigned URL points inside this simulator's S3, with its signature checked as the object storage would. */
async function locate(ctx: Ec2Context, url: string, what: string): Promise<Located | { error: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: `the ${what} URL is not a URL: ${url}` };
  }
  const ours = parsed.host === ctx.state.endpointHost
    || (parsed.port === ctx.state.endpointHost.split(':')[1] && ['127.0.0.1', 'localhost'].includes(parsed.hostname));
  if (!ours || !parsed.pathname.startsWith('/s3/')) return { error: `the ${what} URL is not reachable from the cloud: ${url}` };
  const location = decodeURIComponent(parsed.pathname.slice('/s3/'.length));
  const slash = location.indexOf('/');
  if (slash <= 0) return { error: `the ${what} URL names no object: ${url}` };
  const query = [...parsed.searchParams.entries()];
  const sigV2 = parsed.searchParams.has('Signature') && parsed.searchParams.has('AWSAccessKeyId');
  if (!sigV2 && !parsed.searchParams.has('X-Amz-Signature')) return { error: `the ${what} URL is not presigned: access denied` };
  // The cloud fetches the URL from its own object storage, which accepts only the profile's signatures.
  const auth = await authenticateS3(ctx.state.profile,
    { method: 'GET', rawPath: parsed.pathname, query, headers: { host: parsed.host }, body: Buffer.alloc(0) },
    (key) => ctx.state.accountsByKey.get(key));
  if (!auth.ok) return { error: `fetching the ${what} failed: ${auth.message}` };
  const [bucket, key] = [location.slice(0, slash), location.slice(slash + 1)];
  if (sigV2) return { bucket, key, expiresAt: Number(parsed.searchParams.get('Expires')) * 1000 };
  const date = parsed.searchParams.get('X-Amz-Date') ?? '';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date)!;
  const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return { bucket, key, expiresAt: signedAt + Number(parsed.searchParams.get('X-Amz-Expires') ?? '0') * 1000 };
}

interface ImportSource {
  manifest: ImportManifest;
  /** Where each part's get-url points, in manifest order. */
  parts: Located[];
  expiresAt: number;
}

/**
 * Fetches and reads the import manifest and checks every part URL. Done when the request arrives (the uploader
 * has stored everything by then); what can change later (expiry, objects removed) is checked at conversion time.
 */
async function readSource(ctx: Ec2Context, manifestUrl: string): Promise<ImportSource | { error: string }> {
  const where = await locate(ctx, manifestUrl, 'manifest');
  if ('error' in where) return where;
  const obj = ctx.state.s3.get(where.bucket, where.key);
  if (!obj) return { error: `the manifest ${where.bucket}/${where.key} does not exist` };
  let manifest: ImportManifest;
  try {
    manifest = parseImportManifest(obj.body.toString('utf8'));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const parts: Located[] = [];
  for (const part of manifest.parts) {
    const located = await locate(ctx, part.getUrl, `part ${part.index}`);
    if ('error' in located) return located;
    parts.push(located);
  }
  return { manifest, parts, expiresAt: Math.min(where.expiresAt, ...parts.map((p) => p.expiresAt)) };
}

/** The reason the conversion fails now, or undefined when every part is there with its byte range's length. */
function conversionProblem(state: SimState, source: ImportSource, volumeSize: number): string | undefined {
  if (Date.now() > source.expiresAt) return 'a presigned URL of the import expired before it was fetched';
  if (source.manifest.size > volumeSize * GIB) return 'the image is larger than the volume';
  for (const [i, part] of source.manifest.parts.entries()) {
    const at = source.parts[i]!;
    const body = state.s3.get(at.bucket, at.key)?.body;
    if (!body) return `part ${part.index} (${at.bucket}/${at.key}) is missing`;
    if (body.length !== part.end - part.start + 1) return `part ${part.index} has ${body.length} bytes, its byte-range ${part.end - part.start + 1}`;
  }
  return undefined;
}

function failTask(state: SimState, t: ConversionTask, why: string): void {
  t.state = 'cancelled';
  // Eucalyptus 4.0 maps FAILED to cancelled with this status message; the cause goes to the event log.
  t.statusMessage = state.profile.eucalyptus ? 'failed (internal server error)' : `failed: ${why}`;
  state.recordEvent('conversion-failed', t.id, why);
}

async function importVolume(ctx: Ec2Context): Promise<XmlObject> {
  const state = ctx.state;
  if (state.profile.importVolume === 'unavailable') throw new SimError('InternalError', 'Service not available', 500);
  const p = ctx.params;
  const zone = p.require('AvailabilityZone');
  const format = p.require('Image.Format').toUpperCase();
  const bytesText = p.require('Image.Bytes');
  const manifestUrl = p.require('Image.ImportManifestUrl');
  if (!state.zones.includes(zone)) throw new SimError('InvalidZone.NotFound', `The zone '${zone}' does not exist.`);
  if (!FORMATS.includes(format)) throw new SimError('InvalidParameterValue', `Invalid image format: ${format} (expected VMDK, VHD or RAW)`);
  if (!/^\d+$/.test(bytesText) || Number(bytesText) <= 0) throw new SimError('InvalidParameterValue', `Invalid image size: ${bytesText}`);
  const bytes = Number(bytesText);
  const volumeSize = p.int('Volume.Size') ?? Math.max(1, Math.ceil(bytes / GIB));
  if (volumeSize * GIB < bytes) {
    throw new SimError('InvalidParameterValue', `The volume size ${volumeSize} GiB is smaller than the image (${bytes} bytes)`);
  }
  const source = await readSource(ctx, manifestUrl);
  const task: ConversionTask = {
    id: state.ids.next('import-vol-'), ownerId: ctx.account.accountId, state: 'active', statusMessage: '',
    availabilityZone: zone, description: p.get('Description') ?? '', format, bytes, manifestUrl, volumeSize,
    bytesConverted: 0, expirationTime: new Date(Date.now() + 7 * 24 * 3600 * 1000), tags: new Map(),
  };
  state.conversionTasks.set(task.id, task);
  const injected = state.faults.take('failConversion', 'ImportVolume') !== undefined;
  state.scheduler.after(state.duration('conversionMs'), () => {
    if (task.state !== 'active') return;
    if (injected) return failTask(state, task, 'injected fault');
    if ('error' in source) return failTask(state, task, source.error);
    const problem = conversionProblem(state, source, volumeSize);
    if (problem) return failTask(state, task, problem);
    const volume = state.createVolume(task.ownerId, volumeSize, zone);
    task.volumeId = volume.id;
    task.bytesConverted = bytes;
    task.state = 'completed';
  });
  return { conversionTask: taskXml(task) };
}

function describeConversionTasks(ctx: Ec2Context): XmlObject {
  const ids = ctx.params.list('ConversionTaskId');
  const mine = (t: ConversionTask | undefined) => t && t.ownerId === ctx.account.accountId ? t : undefined;
  let tasks: ConversionTask[];
  if (ids.length > 0) {
    tasks = [];
    for (const id of ids) {
      const t = mine(ctx.state.conversionTasks.get(id));
      if (t) tasks.push(t);
      else if (!ctx.state.profile.eucalyptus) throw new SimError('InvalidConversionTaskId', `The conversion task ID '${id}' does not exist`);
    }
  } else {
    tasks = [...ctx.state.conversionTasks.values()].filter((t) => t.ownerId === ctx.account.accountId);
  }
  return { conversionTasks: itemSet(tasks.map(taskXml)) };
}

function cancelConversionTask(ctx: Ec2Context): XmlObject {
  const id = ctx.params.require('ConversionTaskId');
  const t = ctx.state.conversionTasks.get(id);
  if (!t || t.ownerId !== ctx.account.accountId) {
    // 3.4 removes the id from an always-empty map and answers true.
    if (ctx.state.profile.importVolume === 'unavailable') return { return: true };
    throw new SimError('InvalidConversionTaskId', `The conversion task ID '${id}' does not exist`);
  }
  if (t.state !== 'active') {
    throw new SimError('IncorrectState', `Conversion task ${id} is ${t.state} and cannot be cancelled`);
  }
  t.state = 'cancelling';
  ctx.state.scheduler.after(ctx.state.duration('conversionMs') / 4, () => {
    if (t.state === 'cancelling') t.state = 'cancelled';
  });
  return { return: true };
}

export const IMPORT_ACTIONS: Record<string, ActionDef> = {
  ImportVolume: {
    params: ['AvailabilityZone', 'Image.Format', 'Image.Bytes', 'Image.ImportManifestUrl', 'Description', 'Volume.Size'],
    handler: importVolume,
  },
  DescribeConversionTasks: { params: ['ConversionTaskId.N', 'Filter.N.Name', 'Filter.N.Value.N'], handler: describeConversionTasks },
  CancelConversionTask: { params: ['ConversionTaskId', 'ReasonMessage'], handler: cancelConversionTask },
};
