// A ready-made world for operator tests: the run's control plane with the project CRDs, a fresh namespace, a
// eucasim cloud of the chosen profile with a Secret and a CloudProfile for it, and the operator running
// in-process (or as a child process, for crash tests) watching only that namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { API_VERSION, GROUP, KINDS, VERSION } from '../../../src/api/constants.ts';
import type { Condition } from '../../../src/api/types.ts';
import { loadConfig, type OperatorConfig } from '../../../src/config.ts';
import { startOperator, type RunningOperator } from '../../../src/operator.ts';
import { startEucasim, type Eucasim, type EucasimOptions } from '../../../sim/server.ts';
import { getEnv, runId, waitFor, type TestEnv } from '../../env/index.ts';

const root = join(import.meta.dirname, '../../..');
export const DEMO_KEY = { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' };

let crdsInstalled: Promise<void> | undefined;
export function installCrds(env: TestEnv): Promise<void> {
  crdsInstalled ??= (async () => {
    const r = await env.kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
    if (r.code !== 0) throw new Error(`installing CRDs failed: ${r.stderr}`);
    const w = await env.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(root, 'crds')]);
    if (w.code !== 0) throw new Error(`CRDs not established: ${w.stderr}`);
  })();
  return crdsInstalled;
}

/**
 * The Eucalyptus versions every InstanceBundle and ImageCapture flow test runs against, each with its real S3
 * dialect (SigV2 only, ListObjects v1, no multi-object delete) and EC2 rules.
 */
export const DIALECT_PROFILES = ['eucalyptus-3.4', 'eucalyptus-4.0'] as const;

export type PluralKind = 'imagecaptures' | 'instancebundles' | 'cloudprofiles' | 'imageschedules';

export interface ScenarioOptions {
  profile?: EucasimOptions['profile'];
  fixtures?: string;
  sim?: Partial<EucasimOptions>;
  /** Operator settings on top of fast test defaults. */
  operator?: Partial<OperatorConfig> | false;
  /** Name of the CloudProfile to create (default `cloud`). */
  cloudName?: string;
  apiVersion?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Scenario {
  env: TestEnv;
  namespace: string;
  sim: Eucasim;
  cloudName: string;
  operator?: RunningOperator;
  custom: CustomObjectsApi;
  config: OperatorConfig;
  create<T extends KubernetesObject>(plural: PluralKind, body: Record<string, unknown>): Promise<T>;
  get<T extends KubernetesObject>(plural: PluralKind, name: string): Promise<T | undefined>;
  remove(plural: PluralKind, name: string): Promise<void>;
  waitForCondition(plural: PluralKind, name: string, type: string, status?: string, timeoutMs?: number): Promise<KubernetesObject & { status?: { conditions?: Condition[] } & Record<string, unknown> }>;
  waitGone(plural: PluralKind, name: string, timeoutMs?: number): Promise<void>;
  startOperator(overrides?: Partial<OperatorConfig>): Promise<RunningOperator>;
  startOperatorProcess(overrides?: Record<string, string>): ChildProcess;
  close(): Promise<void>;
}

const quiet = pino({ level: process.env.EIO_TEST_LOG_LEVEL ?? 'silent' });

export async function startScenario(opts: ScenarioOptions = {}): Promise<Scenario> {
  const env = await getEnv();
  await installCrds(env);
  const namespace = await env.newNamespace('eio');
  const sim = await startEucasim({
    port: 0,
    profile: opts.profile ?? 'eucalyptus-3.4',
    fixtures: opts.fixtures ?? join(root, 'sim/fixtures/demo.yaml'),
    latency: 'zero',
    ...opts.sim,
  });
  const cloudName = opts.cloudName ?? 'cloud';
  const custom = env.kubeConfig.makeApiClient(CustomObjectsApi);
  const creds = opts.credentials ?? DEMO_KEY;
  await env.kubectl(['apply', '-n', namespace, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${cloudName}-credentials` }, stringData: creds },
        {
          apiVersion: API_VERSION,
          kind: 'CloudProfile',
          metadata: { name: cloudName },
          spec: {
            ec2Endpoint: sim.url,
            s3Endpoint: sim.s3Url,
            region: 'eucalyptus',
            credentialsSecretRef: { name: `${cloudName}-credentials` },
            rateLimit: { qps: 200, burst: 200 },
            ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
          },
        },
      ],
    }),
  });
  const config: OperatorConfig = {
    ...loadConfig([], {}),
    kubeconfig: env.kubeconfigPath,
    namespace,
    watchNamespaces: [namespace],
    healthPort: 0,
    healthHost: '127.0.0.1',
    concurrency: 8,
    rebootSettleMs: 200,
    pollMinMs: 100,
    pollMaxMs: 1_000,
    // eucasim listens on loopback, which production refuses: the tests allow it explicitly.
    allowedEndpoints: ['127.0.0.0/8'],
  };
  const running: RunningOperator[] = [];
  const children: ChildProcess[] = [];

  const s: Scenario = {
    env, namespace, sim, cloudName, custom, config,
    async create(plural, body) {
      return (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body: { apiVersion: API_VERSION, kind: kindOf(plural), ...body } })) as never;
    },
    async get(plural, name) {
      try {
        return (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as never;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
    async remove(plural, name) {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name });
    },
    async waitForCondition(plural, name, type, status = 'True', timeoutMs = 60_000) {
      let last: (KubernetesObject & { status?: { conditions?: Condition[] } }) | undefined;
      try {
        await waitFor(async () => {
          last = await s.get(plural, name);
          const c = last?.status?.conditions?.find((x) => x.type === type);
          return c?.status === status;
        }, { timeoutMs, intervalMs: 100, message: `${plural}/${name} condition ${type}=${status}` });
      } catch (err) {
        throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
      }
      return last as never;
    },
    async waitGone(plural, name, timeoutMs = 60_000) {
      await waitFor(async () => (await s.get(plural, name)) === undefined, { timeoutMs, intervalMs: 100, message: `${plural}/${name} to be deleted` });
    },
    async startOperator(overrides = {}) {
      const op = await startOperator({ ...config, ...overrides }, quiet);
      running.push(op);
      s.operator ??= op;
      return op;
    },
    startOperatorProcess(overrides = {}) {
      const child = spawn(process.execPath, [join(root, 'src/main.ts')], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          EIO_TEST_RUN: runId(),
          KUBECONFIG: env.kubeconfigPath,
          EIO_NAMESPACE: namespace,
          EIO_WATCH_NAMESPACES: namespace,
          EIO_HEALTH_PORT: '0',
          EIO_HEALTH_HOST: '127.0.0.1',
          EIO_REBOOT_SETTLE: '200ms',
          EIO_POLL_MIN: '100ms',
          EIO_POLL_MAX: '1s',
          EIO_LOG_LEVEL: 'warn',
          EIO_ALLOWED_ENDPOINTS: '127.0.0.0/8',
          ...overrides,
        },
      });
      children.push(child);
      return child;
    },
    async close() {
      await Promise.allSettled(running.splice(0).map((op) => op.stop()));
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await sim.close();
    },
  };
  if (opts.operator !== false) await s.startOperator(opts.operator || {});
  if (opts.operator !== false && !opts.credentials) await s.waitForCondition('cloudprofiles', cloudName, 'Ready', 'True', 30_000);
  return s;
}

function kindOf(plural: PluralKind): string {
  return Object.values(KINDS).find((k) => k.plural === plural)!.kind;
}
