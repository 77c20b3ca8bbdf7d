// The real judges of a resource's status, run over recorded versions of live objects: kstatus' Compute
// (cli-utils, in Go) and Argo CD's verdict (the kind's health.lua in Argo CD's Lua environment), plus a recorder
// that keeps every version the API server stores, from a watch started before the first create.
import { join } from 'node:path';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../../src/api/constants.ts';
import type { Condition } from '../../../src/api/types.ts';
import { runCommand } from '../../env/index.ts';
import { goTool } from '../../env/tool-paths.ts';

const root = join(import.meta.dirname, '../../..');

export interface Stored {
  kind: string;
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string; deletionTimestamp?: string };
  status?: { phase?: string; observedGeneration?: number; imageId?: string; conditions?: Condition[] };
  [key: string]: unknown;
}

export interface Verdict { status?: string; message?: string; error?: string }

export async function kstatus(objects: readonly Stored[]): Promise<Verdict[]> {
  const r = await runCommand(goTool('kstatus-judge'), [], { input: JSON.stringify(objects) });
  if (r.code !== 0) throw new Error(`kstatus-judge: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdict[];
}

export async function argocd(objects: readonly Stored[]): Promise<Verdict[]> {
  const cases = objects.map((obj) => ({ script: join(root, 'argocd/resource_customizations', GROUP, obj.kind, 'health.lua'), obj }));
  const r = await runCommand(goTool('argocd-health'), [], { input: JSON.stringify({ cases }) });
  if (r.code !== 0) throw new Error(`argocd-health: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdict[];
}

/** Every version of every object of the given kinds in a namespace, in the order the API server stored them. */
export class Recorder {
  readonly versions: Stored[] = [];
  #aborts: AbortController[] = [];

  static async start(kubeConfig: KubeConfig, namespace: string, plurals: string[]): Promise<Recorder> {
    const rec = new Recorder();
    for (const plural of plurals) {
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`;
      rec.#aborts.push(await new Watch(kubeConfig).watch(path, {}, (_type, obj: Stored) => rec.versions.push(obj), () => undefined));
    }
    return rec;
  }

  of(name: string): Stored[] {
    return this.versions.filter((v) => v.metadata.name === name);
  }

  stop(): void {
    for (const a of this.#aborts) a.abort();
  }
}
