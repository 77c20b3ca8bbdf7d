// A tiny CRD with a status subresource, so the runtime is tested on a custom resource without depending on
// the project's CRDs.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { TestEnv } from '../../env/index.ts';
import { waitFor } from '../../env/index.ts';
import { kubeRequest, resourcePath } from '../../../src/runtime/rest.ts';

export const WIDGET_GROUP = 'runtime-test.eucalyptus.dev';
export const WIDGET_API_VERSION = `${WIDGET_GROUP}/v1`;
export const WIDGET_PLURAL = 'widgets';
export const WIDGET_KIND = { apiVersion: WIDGET_API_VERSION, plural: WIDGET_PLURAL };

export interface Widget extends KubernetesObject {
  spec?: { size?: number };
  status?: { phase?: string; observedGeneration?: number; message?: string | null; retained?: string[]; detail?: { a?: string; b?: string } };
}

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${WIDGET_PLURAL}.${WIDGET_GROUP}` },
  spec: {
    group: WIDGET_GROUP,
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: WIDGET_PLURAL, singular: 'widget', listKind: 'WidgetList' },
    versions: [{
      name: 'v1',
      served: true,
      storage: true,
      subresources: { status: {} },
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: { type: 'object', properties: { size: { type: 'integer' } } },
            status: {
              type: 'object',
              properties: {
                phase: { type: 'string' }, observedGeneration: { type: 'integer' }, message: { type: 'string' },
                retained: { type: 'array', items: { type: 'string' } },
                detail: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } },
              },
            },
          },
        },
      },
    }],
  },
};

/** Apply the Widget CRD (idempotent) and wait until widgets can be listed. */
export async function installWidgetCrd(env: TestEnv): Promise<void> {
  const r = await env.kubectl(['apply', '-f', '-'], { input: JSON.stringify(crd) });
  if (r.code !== 0) throw new Error(`kubectl apply CRD: ${r.stderr}`);
  await waitFor(
    () => kubeRequest(env.kubeConfig, 'GET', resourcePath({ apiVersion: WIDGET_API_VERSION, plural: WIDGET_PLURAL })).then(() => true),
    { message: 'widgets served' },
  );
}

export function createWidget(env: TestEnv, namespace: string, name: string, size = 1): Promise<Widget> {
  return kubeRequest<Widget>(env.kubeConfig, 'POST', resourcePath({ ...WIDGET_KIND, namespace }), {
    body: { apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name }, spec: { size } },
  });
}

export function getWidget(env: TestEnv, namespace: string, name: string): Promise<Widget> {
  return kubeRequest<Widget>(env.kubeConfig, 'GET', resourcePath({ ...WIDGET_KIND, namespace, name }));
}
