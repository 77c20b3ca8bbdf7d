// CloudProfile: reads the credentials Secret, proves the credentials against the cloud, detects what the cloud
// can do, and reports it in status. Captures and bundles wait while their profile is not Ready.
import type { Logger } from 'pino';
import { ABANDON_ANNOTATION, PROFILE_FINALIZER } from '../../api/constants.ts';
import { markReady, markReconciling, markStalled, setCondition, observeGeneration } from '../../api/conditions.ts';
import type { Reason } from '../../api/reasons.ts';
import type { CloudProfile, CloudProfileStatus } from '../../api/types.ts';
import type { Capabilities, DetectionResult } from '../../cloud/capabilities.ts';
import { CloudError, isCloudErrorCode } from '../../cloud/errors.ts';
import { describeAccountId, describeAvailabilityZones } from '../../cloud/ec2.ts';
import { checkFlowCalls, FlowCallRefused } from '../../cloud/flow-calls.ts';
import type { CloudGateway } from '../../cloud/gateway.ts';
import type { CloudSettings } from '../../cloud/settings.ts';
import type { CloudResolver } from '../shared/cloud-resolver.ts';
import { StallError } from '../shared/outcomes.ts';

export interface CloudProfileDeps {
  getProfile(namespace: string, name: string): CloudProfile | undefined;
  clouds: CloudResolver;
  gateway(settings: CloudSettings): CloudGateway;
  capabilities(gw: CloudGateway): Promise<DetectionResult>;
  patchStatus(obj: CloudProfile, status: CloudProfileStatus): Promise<void>;
  ensureFinalizer(obj: CloudProfile): Promise<void>;
  removeFinalizer(obj: CloudProfile): Promise<void>;
  /** `kind/name` of the captures and bundles that use this profile and still hold their finalizer (read from the API server). */
  usersOf(obj: CloudProfile): Promise<string[]>;
  /** Wake the captures and bundles that use this profile. */
  profileChanged(namespace: string, name: string): void;
  events: { normal(obj: CloudProfile, reason: string, message: string): void; warning(obj: CloudProfile, reason: string, message: string): void };
  log: Logger;
  recheckReadyMs: number;
  recheckNotReadyMs: number;
}

export class CloudProfileReconciler {
  private readonly deps: CloudProfileDeps;

  constructor(deps: CloudProfileDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number }> {
    const [namespace, name] = key.split('/') as [string, string];
    const obj = this.deps.getProfile(namespace, name);
    if (!obj) return {};
    if (obj.metadata.deletionTimestamp) return releaseWhenUnused(this.deps, obj);
    if (!(obj.metadata.finalizers ?? []).includes(PROFILE_FINALIZER)) await this.deps.ensureFinalizer(obj);
    const gen = obj.metadata.generation ?? 0;
    let status: CloudProfileStatus = structuredClone(obj.status ?? {});
    const wasReady = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    let ready = false;
    try {
      this.deps.clouds.invalidate(namespace, obj.spec.credentialsSecretRef.name);
      const settings = await this.deps.clouds.settingsFor(obj);
      const gw = this.deps.gateway(settings);
      const zones = await describeAvailabilityZones(gw);
      // Any HTTP 200 parses as an empty answer: a cloud names at least one zone, anything else is not a cloud.
      if (!zones.length) {
        throw new CloudError('retryable', 'NotACloudAnswer', 'DescribeAvailabilityZones: the answer names no availability zone', 'DescribeAvailabilityZones', 200);
      }
      const flowCalls = await checkFlowCalls(gw);
      // Recorded by captures and bundles with the endpoint: a new key of the same account is the same cloud. Unknown
      // (the call refused) leaves them comparing the key itself.
      status.accountId = await describeAccountId(gw).catch((err: unknown) => {
        this.deps.log.info({ profile: key, err: String(err) }, 'the cloud did not tell the account of the credentials');
        return undefined;
      });
      const detection = await this.deps.capabilities(gw);
      const caps = detection.capabilities;
      status.capabilities = { ...caps };
      // Cleared (the status writer removes it) once every probe answers.
      status.unknownCapabilities = detection.unknown.length ? detection.unknown : undefined;
      status.conditions = setCondition(status.conditions ?? [], probeCondition(detection), gen);
      const before = obj.status?.conditions?.find((c) => c.type === 'CapabilitiesDetected');
      const now = status.conditions.find((c) => c.type === 'CapabilitiesDetected')!;
      if (now.status === 'False' && (before?.status !== 'False' || before.message !== now.message)) {
        this.deps.events.warning(obj, 'ProbeFailed', now.message);
      }
      status.conditions = setCondition(status.conditions ?? [], { type: 'CredentialsValid', status: 'True', reason: 'Succeeded', message: 'the cloud accepted the credentials' }, gen);
      status = markReady(status, `cloud ${obj.spec.ec2Endpoint} reachable; ${flowCalls.join(' and ')} answer; ${describeCaps(caps)}`, gen);
      ready = true;
    } catch (err) {
      // Unreachable in any way (refused, cut off, not an EC2 answer) is one transient case: the same reason and
      // retry whatever answered, so the status tells nothing about the address.
      const transient = err instanceof CloudError && ['Throttled', 'CloudUnreachable'].includes(explain(err, obj.spec.ec2Endpoint).reason);
      if (transient) {
        // Transient: a Ready profile whose spec is unchanged stays Ready (its resources keep working). A new or
        // edited one reports why it waits, and the pass records the generation it looked at: an edit is not
        // Ready until its spec was checked, but is never left unacknowledged (kstatus would read it as
        // InProgress forever). Either way the work queue retries with backoff.
        const edited = obj.status?.observedGeneration !== gen;
        if (!wasReady || edited) {
          const { reason, message, detail } = explain(err, obj.spec.ec2Endpoint);
          if (detail) this.deps.log.info({ profile: key, detail }, 'cloud check failed');
          status = markReconciling(status, reason === 'Throttled' ? 'Throttled' : 'CloudUnreachable', `checking the cloud: ${message} (retrying)`, gen);
          await this.deps.patchStatus(obj, observeGeneration(status, gen));
        }
        throw err;
      }
      const { reason, message, detail } = explain(err, obj.spec.ec2Endpoint);
      if (detail) this.deps.log.info({ profile: key, detail }, 'cloud check failed');
      if (reason === 'CredentialsRejected' || reason.startsWith('CredentialsSecret')) {
        status.conditions = setCondition(status.conditions ?? [], { type: 'CredentialsValid', status: 'False', reason, message }, gen);
      }
      status = markStalled(status, reason, message, gen);
      if (wasReady || obj.status?.conditions?.find((c) => c.type === 'Stalled')?.reason !== reason) {
        this.deps.events.warning(obj, reason, message);
      }
    }
    status.lastCheckedAt = new Date().toISOString();
    status = observeGeneration(status, gen);
    await this.deps.patchStatus(obj, status);
    if (ready && !wasReady) this.deps.events.normal(obj, 'Ready', 'credentials accepted and capabilities detected');
    // Readiness changed, or the spec did (a repointed profile is another cloud for what its resources made).
    if (ready !== wasReady || obj.status?.observedGeneration !== gen || obj.status?.accountId !== status.accountId) this.deps.profileChanged(namespace, name);
    return { requeueAfterMs: ready ? this.deps.recheckReadyMs : this.deps.recheckNotReadyMs };
  }
}

/** How often a deleted profile that is still in use looks at its users again (they may be in other shards). */
const IN_USE_RECHECK_MS = 3_000;

/**
 * A deleted profile stays (Terminating) while resources that use it exist: it is still resolved, with the
 * credentials last read, so their deletions can carry out their policies in the cloud. The cloud is not checked
 * any more. Once none is left, the finalizer goes.
 */
async function releaseWhenUnused(deps: CloudProfileDeps, obj: CloudProfile): Promise<{ requeueAfterMs?: number }> {
  if (!(obj.metadata.finalizers ?? []).includes(PROFILE_FINALIZER)) return {};
  const users = await deps.usersOf(obj);
  if (users.length === 0) {
    await deps.removeFinalizer(obj);
    deps.log.info({ profile: `${obj.metadata.namespace}/${obj.metadata.name}` }, 'no resource uses the deleted CloudProfile any more: released');
    return {};
  }
  const shown = users.slice(0, 10).join(', ') + (users.length > 10 ? ` and ${users.length - 10} more` : '');
  const message = `deleted, but kept until the ${users.length} resource(s) using it are gone, so they can still carry out their deletionPolicy in the cloud: ${shown}; `
    + `delete them (a resource whose cloud objects should stay as they are can be annotated ${ABANDON_ANNOTATION}=true)`;
  const before = obj.status?.conditions?.find((c) => c.type === 'InUse');
  if (before?.message !== message) {
    const gen = obj.metadata.generation ?? 0;
    await deps.patchStatus(obj, { ...obj.status, conditions: setCondition(obj.status?.conditions ?? [], { type: 'InUse', status: 'True', reason: 'InUse', message }, gen) });
    if (!before) deps.events.normal(obj, 'ProfileInUse', message);
  }
  return { requeueAfterMs: IN_USE_RECHECK_MS };
}

/**
 * Reason and message for a failed check. Everything that is not a recognised answer of the cloud (refused,
 * timed out, an HTTP answer without an EC2 error code, a body that is not EC2's) gets one reason and one
 * message, so a CloudProfile cannot be used to tell what answers at an address; the details go to the log.
 */
export function explain(err: unknown, endpoint: string): { reason: Reason; message: string; detail?: string } {
  if (err instanceof StallError) return { reason: err.reason, message: err.message };
  if (err instanceof FlowCallRefused) return { reason: 'CloudRejected', message: err.message };
  if (err instanceof CloudError) {
    if (err.code === 'EndpointNotAllowed') return { reason: 'EndpointNotAllowed', message: `${err.message}: use an allowed endpoint, or ask the operator's administrator to allow it` };
    if (err.kind === 'auth' && isCloudErrorCode(err.code)) return { reason: 'CredentialsRejected', message: `the cloud rejected the credentials: ${err.code}; check the accessKeyId and secretAccessKey in the Secret` };
    if (err.kind === 'throttled' && isCloudErrorCode(err.code)) return { reason: 'Throttled', message: `the cloud is throttling requests: ${err.message}` };
    // A cloud's own error (an EC2 error code) says nothing an EC2 endpoint would not say anyway.
    if (err.kind === 'retryable' && isCloudErrorCode(err.code)) return { reason: 'CloudUnreachable', message: err.message };
    return { reason: 'CloudUnreachable', message: unreachableMessage(endpoint, err.action), detail: err.message };
  }
  return { reason: 'CloudUnreachable', message: unreachableMessage(endpoint), detail: String((err as Error)?.message ?? err) };
}

/** The one message for every way an endpoint fails to answer as a cloud; `action` is the operator's own call. */
export function unreachableMessage(endpoint: string, action?: string): string {
  return `${action ? `${action}: ` : ''}no EC2 answer from ${endpoint}: check the URL, that the cloud is up and reachable from the operator, and that its certificate is trusted (spec.caBundleSecretRef)`;
}

/** Names each probe that gave no usable answer and why; the capability it decides stays unknown. */
function probeCondition(d: DetectionResult): { type: string; status: 'True' | 'False'; reason: string; message: string } {
  if (d.failedProbes.length === 0) {
    return { type: 'CapabilitiesDetected', status: 'True', reason: 'Succeeded', message: 'every capability probe answered' };
  }
  const lines = d.failedProbes.map((f) => `probe ${f.probe} (${f.capability}): ${f.why}`);
  return {
    type: 'CapabilitiesDetected',
    status: 'False',
    reason: 'ProbeFailed',
    message: `${lines.join('; ')}; unknown: ${d.unknown.join(', ')} (the dialect default is used; a capture that needs it tries it and stalls if the cloud refuses; set spec.capabilities to decide)`,
  };
}

function describeCaps(c: Capabilities): string {
  const on = Object.entries(c).filter(([, v]) => v === true).map(([k]) => k);
  return `dialect ${c.dialect}; S3 signature ${c.s3Signature ?? 'unknown'}; capabilities: ${on.join(', ') || 'none'}`;
}
