// A real Kubernetes control plane for tests: etcd plus kube-apiserver built at the pinned versions, on free
// loopback ports, with per-run TLS material and RBAC on. No kubelet, scheduler or controller-manager run, so
// nothing garbage-collects, namespaces stay Terminating once deleted, and Pods are never scheduled.
import { readFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { freePort } from './free-port.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { makeTempDir, removeTempDir, spawnTracked, type TrackedProcess } from './processes.ts';
import { generateTls, type TlsFiles } from './tls.ts';
import { k8sBinDir } from './tool-paths.ts';
import { GiveUp, waitFor } from './wait-for.ts';

export interface ControlPlaneOptions {
  /** Folder with etcd and kube-apiserver; defaults to the pinned build (see tool-paths.ts). */
  binDir?: string;
  /** Deadline for etcd and the API server to become ready. */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=...']. */
  apiServerArgs?: string[];
}

export interface ServiceAccountKubeConfig {
  kubeConfig: KubeConfig;
  path: string;
}

export interface ControlPlane {
  server: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  binDir: string;
  /** The run's temp folder: TLS material, kubeconfigs, etcd data and the process logs. */
  dir: string;
  /** Creates the ServiceAccount (and its namespace) if missing and returns a kubeconfig using a fresh token. */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<ServiceAccountKubeConfig>;
  /** Stops the API server for `downMs` (etcd keeps running) and starts it again on the same address. */
  apiServerOutage(downMs: number): Promise<{ stoppedAt: number; readyAt: number }>;
  stop(): Promise<void>;
}

const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Free ports are picked before the servers bind them; another process may take one in between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const binDir = opts.binDir ?? k8sBinDir();
  const dir = makeTempDir('control-plane');
  const started: TrackedProcess[] = [];
  const stopAll = async () => {
    // API server first so it does not log etcd connection errors while shutting down.
    for (const p of [...started].reverse()) await p.stop();
  };
  try {
    const tls = await generateTls(dir);
    const plane = await startProcesses(binDir, dir, tls, started, opts);
    let stopped = false;
    return {
      ...plane,
      binDir,
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        removeTempDir(dir);
      },
    };
  } catch (err) {
    const logs = started.map((p) => `--- ${p.name} (${p.logPath}) ---\n${p.logTail(60)}`).join('\n');
    await stopAll();
    removeTempDir(dir);
    const message = err instanceof Error ? err.message : String(err);
    if (/address already in use/i.test(logs)) throw new PortTaken(message, { cause: err });
    process.stderr.write(`control plane failed to start: ${message}\n${logs}\n`);
    throw new Error(`control plane failed to start: ${message}`, { cause: err });
  }
}

async function startProcesses(
  binDir: string, dir: string, tls: TlsFiles, started: TrackedProcess[], opts: ControlPlaneOptions,
): Promise<Omit<ControlPlane, 'binDir' | 'dir' | 'stop'>> {
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  const remaining = () => Math.max(1000, deadline - Date.now());
  const [clientPort, peerPort, securePort] = await distinctFreePorts(3);
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(dir, 'etcd-data');
  mkdirSync(dataDir, { mode: 0o700 });

  const etcd = spawnTracked('etcd', join(binDir, 'etcd'), [
    '--name=eio-test', `--data-dir=${dataDir}`,
    `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=eio-test=${peerUrl}`, '--initial-cluster-state=new',
    // Test data is thrown away: skipping fsync makes writes much cheaper on a shared disk.
    '--unsafe-no-fsync', '--log-level=warn',
  ], { logPath: join(dir, 'etcd.log') });
  started.push(etcd);
  await waitFor(async () => {
    if (etcd.hasExited()) throw new GiveUp(`etcd exited (${await etcd.exited})`);
    const res = await fetch(`${etcdUrl}/health`);
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  }, { timeoutMs: remaining(), intervalMs: 100, message: 'etcd /health' });

  const server = `https://127.0.0.1:${securePort}`;
  const spawnApiServer = () => spawnTracked('kube-apiserver', join(binDir, 'kube-apiserver'), [
    '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
    `--etcd-servers=${etcdUrl}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${tls.servingCert}`, `--tls-private-key-file=${tls.servingKey}`,
    `--client-ca-file=${tls.caCert}`,
    `--service-account-issuer=${SA_ISSUER}`,
    `--service-account-key-file=${tls.saPub}`,
    `--service-account-signing-key-file=${tls.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // No kubelet or controller-manager: the ServiceAccount plugin would reject Pods whose namespace lacks the
    // default ServiceAccount that only the controller-manager creates.
    '--disable-admission-plugins=ServiceAccount',
    // Endpoints may not hold a loopback address; with no Service traffic there is nothing to reconcile.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    ...(opts.apiServerArgs ?? []),
  ], { logPath: join(dir, 'kube-apiserver.log') });
  let apiserver = spawnApiServer();
  started.push(apiserver);

  const ca = readFileSync(tls.caCert);
  const cert = readFileSync(tls.adminCert);
  const key = readFileSync(tls.adminKey);
  const apiServerReady = (timeoutMs: number) => waitFor(async () => {
    if (apiserver.hasExited()) throw new GiveUp(`kube-apiserver exited (${await apiserver.exited})`);
    if (etcd.hasExited()) throw new GiveUp(`etcd exited (${await etcd.exited})`);
    return (await httpsGet(`${server}/readyz`, ca, cert, key).catch(() => 0)) === 200;
  }, { timeoutMs, intervalMs: 200, message: 'kube-apiserver /readyz' });
  await apiServerReady(remaining());

  /** Stops the API server (etcd keeps the data), waits `downMs`, starts it again on the same port and waits until ready. */
  const apiServerOutage = async (downMs: number): Promise<{ stoppedAt: number; readyAt: number }> => {
    await apiserver.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, downMs));
    const i = started.indexOf(apiserver);
    apiserver = spawnApiServer();
    started[i] = apiserver;
    await apiServerReady(90_000);
    return { stoppedAt, readyAt: Date.now() };
  };

  const kubeconfigPath = join(dir, 'admin.kubeconfig');
  const kubeConfig = writeKubeconfig(kubeconfigPath, server, tls.caCert, 'eio-test-admin',
    { kind: 'cert', certFile: tls.adminCert, keyFile: tls.adminKey });

  const serviceAccountKubeConfig = async (namespace: string, name: string): Promise<ServiceAccountKubeConfig> => {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await createIfMissing(() => core.createNamespace({ body: { metadata: { name: namespace } } }));
    await createIfMissing(() => core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }));
    const tr = await core.createNamespacedServiceAccountToken({
      namespace, name, body: { spec: { audiences: [SA_ISSUER], expirationSeconds: 3600 } },
    });
    const token = tr.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    const path = join(dir, `sa-${namespace}-${name}.kubeconfig`);
    const user = `system:serviceaccount:${namespace}:${name}`;
    return { kubeConfig: writeKubeconfig(path, server, tls.caCert, user, { kind: 'token', token }), path };
  };

  return { server, kubeconfigPath, kubeConfig, serviceAccountKubeConfig, apiServerOutage };
}

async function createIfMissing(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function httpsGet(url: string, ca: Buffer, cert: Buffer, key: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, cert, key, timeout: 5000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
