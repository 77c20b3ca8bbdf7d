// Helpers shared by the packaging tests: where the chart is, and `helm template` parsed into objects.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { runCommand, type CommandResult } from '../../env/index.ts';
import { k8sBinDir } from '../../env/tool-paths.ts';

export const repoRoot = new URL('../../../', import.meta.url).pathname;
export const chartDir = join(repoRoot, 'charts/eucalyptus-image-operator');
export const fixturesDir = join(repoRoot, 'test/integration/packaging/fixtures');

const kubernetesVersion = /^KUBERNETES_VERSION=(\S+)/m.exec(readFileSync(join(repoRoot, 'scripts/versions.env'), 'utf8'))?.[1] ?? '';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The pinned helm run directly: rendering and linting need no API server. */
export function helmOffline(args: string[]): Promise<CommandResult> {
  return runCommand(join(k8sBinDir(), 'helm'), args, { env: { HELM_CACHE_HOME: '/nonexistent', HELM_CONFIG_HOME: '/nonexistent' } });
}

/** `helm template` of the chart as objects; throws with helm's message when rendering fails. */
export async function renderChart(release: string, namespace: string, args: string[] = []): Promise<K8sObject[]> {
  const r = await helmOffline(['template', release, chartDir, '--namespace', namespace, '--kube-version', kubernetesVersion, ...args]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
}

export function findObject(objects: K8sObject[], kind: string, name?: string, namespace?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)
    && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name ?? '*'} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  [key: string]: unknown;
}

/** The operator container of the rendered Deployment. */
export function operatorContainer(objects: K8sObject[]): Container {
  const deploy = findObject(objects, 'Deployment') as unknown as { spec: { template: { spec: { containers: Container[] } } } };
  const c = deploy.spec.template.spec.containers[0];
  if (!c) throw new Error('Deployment has no container');
  return c;
}

export function envOf(c: Container): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}
