// Builds the apiextensions.k8s.io/v1 CustomResourceDefinition of a kind from its schema.
import { CATEGORY, GROUP, VERSION } from './constants.ts';
import type { KindDefinition, Schema } from './schema/openapi.ts';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: KindDefinition['printerColumns'];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

export function crdName(def: Pick<KindDefinition, 'plural'>): string {
  return `${def.plural}.${GROUP}`;
}

/** File the CRD is rendered to, relative to the repository root. */
export function crdFileName(def: Pick<KindDefinition, 'plural'>): string {
  return `crds/${GROUP}_${def.plural}.yaml`;
}

/**
 * The schema as rendered: every scalar default is stated at the end of its field's description, so
 * `kubectl explain` shows it (written once, in the schema, instead of twice by hand).
 */
export function withDefaultsStated(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (out.default !== undefined && typeof out.default !== 'object' && out.description !== undefined) {
    out.description = `${out.description} Default: ${String(out.default)}.`;
  }
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, withDefaultsStated(v)]));
  if (out.items) out.items = withDefaultsStated(out.items);
  if (out.additionalProperties) out.additionalProperties = withDefaultsStated(out.additionalProperties);
  return out;
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(def), labels: { 'app.kubernetes.io/part-of': 'eucalyptus-image-operator' } },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: [...def.shortNames],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: {
            openAPIV3Schema: withDefaultsStated({
              type: 'object',
              description: def.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string', description: `Versioned schema of this object: ${GROUP}/${VERSION}.` },
                kind: { type: 'string', description: `Kind of this object: ${def.kind}.` },
                // The API server forbids anything but type here; kubectl explain shows ObjectMeta's own text.
                metadata: { type: 'object' },
                spec: def.spec,
                status: def.status,
              },
              ...(def.validations?.length ? { 'x-kubernetes-validations': def.validations } : {}),
            }),
          },
        },
      ],
    },
  };
}
