// `kubectl auth can-i` as the chart's ServiceAccount: the permissions the operator needs and those it must not have.
import type { TestEnv } from '../../env/index.ts';

export interface Permission {
  verb: string;
  /** resource[.group], as kubectl auth can-i takes it. */
  resource: string;
  subresource?: string;
  namespace: string;
}

export const describePermission = (p: Permission): string =>
  `${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ''} in ${p.namespace}`;

/** Asks the API server whether the ServiceAccount may do each thing; returns the answers in order. */
export async function canI(env: TestEnv, sa: { namespace: string; name: string }, perms: Permission[]): Promise<boolean[]> {
  return Promise.all(perms.map(async (p) => {
    const args = ['auth', 'can-i', p.verb, p.resource, '-n', p.namespace, `--as=system:serviceaccount:${sa.namespace}:${sa.name}`];
    if (p.subresource) args.push(`--subresource=${p.subresource}`);
    const r = await env.kubectl(args);
    // can-i prints yes/no and exits 1 for "no"; anything else is an error worth seeing.
    const answer = r.stdout.trim();
    if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return answer === 'yes';
  }));
}

const KINDS = ['imagecaptures', 'instancebundles', 'cloudprofiles', 'imageschedules'].map((k) => `${k}.imaging.eucalyptus.dev`);

/** Everything the operator does, in a namespace it reconciles. */
export function neededIn(namespace: string): Permission[] {
  return [
    ...KINDS.flatMap((resource) => [
      ...['get', 'list', 'watch', 'patch', 'update'].map((verb) => ({ verb, resource, namespace })),
      ...['get', 'patch', 'update'].map((verb) => ({ verb, resource, subresource: 'status', namespace })),
      { verb: 'update', resource, subresource: 'finalizers', namespace },
    ]),
    ...['create', 'patch'].flatMap((verb) => [
      { verb, resource: 'events', namespace },
      { verb, resource: 'events.events.k8s.io', namespace },
    ]),
    { verb: 'get', resource: 'secrets', namespace },
    // ImageSchedules create the captures of each run and delete the pruned ones.
    ...['create', 'delete'].map((verb) => ({ verb, resource: 'imagecaptures.imaging.eucalyptus.dev', namespace })),
  ];
}

/** Leases in the operator's namespace: leader election and the reboot records. */
export function leaseNeeds(namespace: string): Permission[] {
  return ['get', 'list', 'create', 'update', 'delete'].map((verb) => ({ verb, resource: 'leases.coordination.k8s.io', namespace }));
}

/** The Secret with the key create checkpoints are signed with: created on the first start, then read, in the operator's namespace. */
export function checkpointKeyNeeds(namespace: string, release = 'eio'): Permission[] {
  return [
    { verb: 'create', resource: 'secrets', namespace },
    { verb: 'get', resource: `secrets/${release}-eucalyptus-image-operator-checkpoint-key`, namespace },
  ];
}

/**
 * Things a least-privilege operator must never be able to do, wherever it runs. In its own namespace it may create
 * a Secret (its checkpoint key, see checkpointKeyNeeds) and delete Leases (see leaseNeeds).
 */
export function forbiddenIn(namespace: string, o: { operatorNamespace?: boolean } = {}): Permission[] {
  return [
    { verb: 'list', resource: 'secrets', namespace },
    { verb: 'watch', resource: 'secrets', namespace },
    ...(o.operatorNamespace ? [] : [{ verb: 'create', resource: 'secrets', namespace }]),
    { verb: 'get', resource: 'pods', namespace },
    { verb: 'create', resource: 'pods', namespace },
    { verb: 'delete', resource: 'pods', namespace },
    { verb: 'get', resource: 'configmaps', namespace },
    // Of its own kinds it creates and deletes ImageCaptures only (for ImageSchedules), one at a time.
    { verb: 'deletecollection', resource: 'imagecaptures.imaging.eucalyptus.dev', namespace },
    ...['imageschedules', 'instancebundles', 'cloudprofiles'].flatMap((kind) => ['create', 'delete'].map((verb) => ({ verb, resource: `${kind}.imaging.eucalyptus.dev`, namespace }))),
    // In its own namespace it deletes the reboot records (Leases) it made.
    ...(o.operatorNamespace ? [] : [{ verb: 'delete', resource: 'leases.coordination.k8s.io', namespace }]),
    { verb: 'delete', resource: 'customresourcedefinitions.apiextensions.k8s.io', namespace: 'default' },
    { verb: 'update', resource: 'customresourcedefinitions.apiextensions.k8s.io', namespace: 'default' },
    { verb: 'create', resource: 'clusterroles.rbac.authorization.k8s.io', namespace: 'default' },
    { verb: 'create', resource: 'rolebindings.rbac.authorization.k8s.io', namespace },
  ];
}
