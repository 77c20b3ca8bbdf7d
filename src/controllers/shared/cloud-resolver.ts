// Resolves the cloud a resource uses: its CloudProfile (same namespace only) and that profile's credentials
// Secret (same namespace only), or the operator's default cloud. Secrets are read on demand, never cached
// cluster-wide, and re-read after a short time or when the cloud rejects the credentials.
import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import { kubeRequest, resourcePath, statusCodeOf } from '../../runtime/rest.ts';
import { parseDuration } from '../../api/duration.ts';
import type { CloudProfile, LocalObjectReference } from '../../api/types.ts';
import { DEFAULT_RATE_LIMIT, type CloudSettings } from '../../cloud/settings.ts';
import { caBundleProblem, credentialShapeProblems } from './credential-shape.ts';
import { StallError, WaitError } from './outcomes.ts';

export interface CloudResolverOptions {
  kubeConfig: KubeConfig;
  getProfile: (namespace: string, name: string) => CloudProfile | undefined;
  /** Where the default cloud's CloudProfile lives (the operator's namespace) and its name. */
  defaultProfile?: { namespace: string; name: string };
  secretTtlMs?: number;
  /** Operator-wide bounds written into every cloud's settings. */
  limits?: CloudLimits;
}

export interface CloudLimits {
  callTimeoutMs: number;
  maxCallTimeoutMs: number;
  maxUploadPolicyTtlMs: number;
}

export interface ResolvedCloud {
  profile: CloudProfile;
  settings: CloudSettings;
}

interface CachedSecret {
  data: Record<string, string> | undefined;
  readAt: number;
}

export class CloudResolver {
  private readonly opts: CloudResolverOptions;
  private readonly secrets = new Map<string, CachedSecret>();
  /** The last Secret data read successfully, used only for a CloudProfile being deleted whose Secret went first. */
  private readonly lastRead = new Map<string, Record<string, string>>();

  constructor(opts: CloudResolverOptions) {
    this.opts = opts;
  }

  /** The CloudProfile a resource refers to (namespace-local), or the default cloud's. */
  profileRef(namespace: string, ref: LocalObjectReference | undefined): { namespace: string; name: string } {
    if (ref?.name) return { namespace, name: ref.name };
    if (!this.opts.defaultProfile) {
      throw new StallError('CloudProfileNotFound', 'spec.cloudRef is not set and the operator has no default cloud: set spec.cloudRef.name to a CloudProfile in this namespace');
    }
    return this.opts.defaultProfile;
  }

  /** Settings without checking the profile's Ready condition (the CloudProfile controller uses this). */
  async settingsFor(profile: CloudProfile): Promise<CloudSettings> {
    const ns = profile.metadata.namespace ?? '';
    const secretName = profile.spec.credentialsSecretRef?.name;
    // A whole namespace deleted at once: the Secret is gone, the profile waits for its users (in-use protection)
    // and lends them the credentials it last had, so their deletions can still clean up (until a restart).
    const data = await this.readSecret(ns, secretName) ?? (profile.metadata.deletionTimestamp ? this.lastRead.get(`${ns}/${secretName}`) : undefined);
    if (!data) {
      throw new StallError('CredentialsSecretNotFound', `Secret ${ns}/${secretName} named by CloudProfile ${profile.metadata.name} does not exist: create it with keys accessKeyId and secretAccessKey`);
    }
    const accessKeyId = data.accessKeyId?.trim();
    const secretAccessKey = data.secretAccessKey?.trim();
    const missing = [!accessKeyId && 'accessKeyId', !secretAccessKey && 'secretAccessKey'].filter(Boolean);
    if (missing.length) {
      throw new StallError('CredentialsSecretInvalid', `Secret ${ns}/${secretName} lacks the key(s) ${missing.join(', ')}`);
    }
    const badShape = credentialShapeProblems(accessKeyId!, secretAccessKey!);
    if (badShape.length) {
      throw new StallError('CredentialsSecretInvalid', `Secret ${ns}/${secretName}: ${badShape.join('; ')}: put the access key id and secret key exactly as the cloud issued them`);
    }
    let caBundle: string | undefined;
    if (profile.spec.caBundleSecretRef?.name) {
      const caName = profile.spec.caBundleSecretRef.name;
      const ca = await this.readSecret(ns, caName) ?? (profile.metadata.deletionTimestamp ? this.lastRead.get(`${ns}/${caName}`) : undefined);
      caBundle = ca?.[profile.spec.caBundleSecretRef.key ?? 'ca.crt'];
      if (!caBundle) {
        throw new StallError('CredentialsSecretInvalid', `CA bundle Secret ${ns}/${profile.spec.caBundleSecretRef.name} has no key ${profile.spec.caBundleSecretRef.key ?? 'ca.crt'}`);
      }
      const problem = caBundleProblem(caBundle);
      if (problem) {
        throw new StallError('CABundleInvalid', `CA bundle in Secret ${ns}/${profile.spec.caBundleSecretRef.name} key ${profile.spec.caBundleSecretRef.key ?? 'ca.crt'} ${problem}: put the PEM certificate(s) of the CA that signs the endpoints' certificates there`);
      }
    }
    return {
      id: `${ns}/${profile.metadata.name}`,
      ec2Endpoint: profile.spec.ec2Endpoint,
      s3Endpoint: profile.spec.s3Endpoint,
      region: profile.spec.region ?? 'eucalyptus',
      credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
      caBundle,
      rateLimit: { qps: profile.spec.rateLimit?.qps ?? DEFAULT_RATE_LIMIT.qps, burst: profile.spec.rateLimit?.burst ?? DEFAULT_RATE_LIMIT.burst },
      apiVersion: profile.spec.apiVersion,
      s3Signature: profile.spec.s3Signature,
      capabilities: stripUndefined(profile.spec.capabilities ?? {}),
      ...this.limitsFor(profile),
    };
  }

  /** The cloud for a resource: stalls when the profile is missing, waits while the profile is not Ready. */
  async resolve(namespace: string, ref: LocalObjectReference | undefined): Promise<ResolvedCloud> {
    const where = this.profileRef(namespace, ref);
    const profile = this.opts.getProfile(where.namespace, where.name);
    if (!profile) {
      throw new StallError('CloudProfileNotFound', `CloudProfile ${where.namespace}/${where.name} does not exist: create it, or point spec.cloudRef.name at a CloudProfile in namespace ${namespace}`);
    }
    const ready = profile.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') {
      const why = ready ? `${ready.reason}: ${ready.message}` : 'not checked yet';
      throw new WaitError(ready?.reason === 'CredentialsRejected' ? 'CredentialsRejected' : 'WaitingForCloud', `waiting for CloudProfile ${where.namespace}/${where.name} to be Ready (${why})`, 15_000);
    }
    return { profile, settings: await this.settingsFor(profile) };
  }

  private limitsFor(profile: CloudProfile): Pick<CloudSettings, 'callTimeoutMs' | 'maxUploadPolicyTtlMs'> {
    const l = this.opts.limits;
    if (!l) return {};
    const asked = profile.spec.callTimeout ? parseDuration(profile.spec.callTimeout) : l.callTimeoutMs;
    return { callTimeoutMs: Math.min(Math.max(asked, 1_000), l.maxCallTimeoutMs), maxUploadPolicyTtlMs: l.maxUploadPolicyTtlMs };
  }

  /** A CloudProfile is gone for good: nothing of its Secrets is kept for it. */
  forgetProfile(profile: CloudProfile): void {
    const ns = profile.metadata.namespace ?? '';
    for (const name of [profile.spec.credentialsSecretRef?.name, profile.spec.caBundleSecretRef?.name]) if (name) this.lastRead.delete(`${ns}/${name}`);
  }

  /** Forget a cached Secret so the next resolve reads it again (after the cloud rejected it). */
  invalidate(namespace: string, name: string): void {
    this.secrets.delete(`${namespace}/${name}`);
  }

  private async readSecret(namespace: string, name: string | undefined): Promise<Record<string, string> | undefined> {
    if (!name) return undefined;
    const key = `${namespace}/${name}`;
    const cached = this.secrets.get(key);
    const ttl = this.opts.secretTtlMs ?? 15_000;
    if (cached && Date.now() - cached.readAt < ttl) return cached.data;
    let data: Record<string, string> | undefined;
    try {
      const secret = await kubeRequest<V1Secret>(this.opts.kubeConfig, 'GET', resourcePath({ apiVersion: 'v1', plural: 'secrets', namespace, name }));
      data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
      data = undefined;
    }
    this.secrets.set(key, { data, readAt: Date.now() });
    if (data) this.lastRead.set(key, data);
    return data;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
