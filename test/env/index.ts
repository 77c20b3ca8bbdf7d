// The shared test environment: one real control plane per test run, started on first use, plus helpers to
// run the pinned kubectl and helm against it. Teardown is driven by the mocha root hooks in hooks.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane, type ServiceAccountKubeConfig } from './control-plane.ts';
import { startMoto, type Moto } from './moto.ts';
import { runCommand, type CommandResult } from './run-command.ts';

export { waitFor, GiveUp, type WaitForOptions } from './wait-for.ts';
export { freePort } from './free-port.ts';
export { runCommand, type CommandResult, type CommandOptions } from './run-command.ts';
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.ts';
export { startMoto, type Moto } from './moto.ts';
export { runId } from './processes.ts';

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface ToolOptions {
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Who runs the command. A string impersonates that user (`--as`, allowed to the admin); a ServiceAccount
   * authenticates for real with a token minted for it.
   */
  asUser?: string | ServiceAccountRef;
  /** Groups to impersonate along with a string asUser (`--as-group`). */
  asGroups?: string[];
}

export interface TestEnv {
  server: string;
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  binDir: string;
  kubectl(args: string[], opts?: ToolOptions): Promise<CommandResult>;
  helm(args: string[], opts?: ToolOptions): Promise<CommandResult>;
  /** A fresh namespace (generated name with the prefix), deleted at the end of the run. */
  newNamespace(prefix?: string): Promise<string>;
  serviceAccountKubeConfig(namespace: string, name: string): Promise<ServiceAccountKubeConfig>;
  /** Stops the API server for `downMs` and starts it again on the same address (see ControlPlane). */
  apiServerOutage(downMs: number): Promise<{ stoppedAt: number; readyAt: number }>;
}

let envPromise: Promise<TestEnv> | undefined;
let plane: ControlPlane | undefined;
const namespaces: string[] = [];
const motos: Moto[] = [];

/** The run's shared environment; the first call starts the control plane. */
export function getEnv(): Promise<TestEnv> {
  envPromise ??= startControlPlane().then((cp) => {
    plane = cp;
    return makeEnv(cp);
  }).catch((err: unknown) => {
    envPromise = undefined; // let a later test try again and report its own failure
    throw err;
  });
  return envPromise;
}

/** A moto server stopped at the end of the run (use startMoto directly to stop it sooner). */
export async function getMoto(): Promise<Moto> {
  const moto = await startMoto();
  motos.push(moto);
  return moto;
}

/** Stops everything the run started; called by the root afterAll hook. */
export async function stopEnv(): Promise<void> {
  const toStop = motos.splice(0);
  await Promise.allSettled(toStop.map((m) => m.stop()));
  if (plane) {
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await Promise.allSettled(namespaces.splice(0).map((name) => core.deleteNamespace({ name })));
    await plane.stop();
  }
  plane = undefined;
  envPromise = undefined;
}

function makeEnv(cp: ControlPlane): TestEnv {
  const helmHome = join(cp.dir, 'helm');
  mkdirSync(helmHome, { recursive: true });
  // Keep helm's cache, config and data inside the run folder, away from the user's home.
  const helmEnv = {
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };

  const identityArgs = async (opts: ToolOptions): Promise<string[]> => {
    if (typeof opts.asUser === 'object') {
      const sa = await cp.serviceAccountKubeConfig(opts.asUser.namespace, opts.asUser.name);
      return ['--kubeconfig', sa.path];
    }
    const args = ['--kubeconfig', cp.kubeconfigPath];
    if (opts.asUser) args.push(`--as=${opts.asUser}`);
    for (const g of opts.asGroups ?? []) args.push(`--as-group=${g}`);
    return args;
  };

  const tool = (name: string, env: NodeJS.ProcessEnv) => async (args: string[], opts: ToolOptions = {}) =>
    runCommand(join(cp.binDir, name), [...(await identityArgs(opts)), ...args], {
      env: { ...env, KUBECONFIG: cp.kubeconfigPath },
      ...(opts.input !== undefined && { input: opts.input }),
      ...(opts.cwd !== undefined && { cwd: opts.cwd }),
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
    });

  return {
    server: cp.server,
    kubeconfigPath: cp.kubeconfigPath,
    kubeConfig: cp.kubeConfig,
    binDir: cp.binDir,
    kubectl: tool('kubectl', {}),
    helm: tool('helm', helmEnv),
    async newNamespace(prefix = 'test') {
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      const ns = await core.createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
      const name = ns.metadata?.name;
      if (!name) throw new Error('namespace created without a name');
      namespaces.push(name);
      return name;
    },
    serviceAccountKubeConfig: (namespace, name) => cp.serviceAccountKubeConfig(namespace, name),
    apiServerOutage: (downMs) => cp.apiServerOutage(downMs),
  };
}
