// `kubectl explain` must explain every field: each one has a description, states its default, and says when it
// is immutable. Checked on the CRDs as rendered, so a field added without a description fails here.
import { expect } from 'chai';
import { buildCrd } from '../../../src/api/crd.ts';
import { ALL_KINDS } from '../../../src/api/schema/index.ts';
import type { Schema } from '../../../src/api/schema/openapi.ts';

function* walk(schema: Schema, path = ''): Generator<[string, Schema]> {
  yield [path || '.', schema];
  for (const [k, p] of Object.entries(schema.properties ?? {})) yield* walk(p, `${path}.${k}`);
  if (schema.items) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties) yield* walk(schema.additionalProperties, `${path}{}`);
}

/** The node a rule's fieldPath (`.a.b`) points at, from the node holding the rule. */
function at(node: Schema, fieldPath: string): Schema | undefined {
  let cur: Schema | undefined = node;
  for (const part of fieldPath.split('.').filter(Boolean)) cur = cur?.properties?.[part];
  return cur;
}

describe('api schemas explain themselves', () => {
  for (const def of ALL_KINDS) {
    const root = buildCrd(def).spec.versions[0]!.schema.openAPIV3Schema;
    describe(def.kind, () => {
      it('has a description on every field, array item and map value (ObjectMeta aside)', () => {
        // metadata is ObjectMeta: the API server forbids a description there and explains it itself.
        const missing = [...walk(root)].filter(([path, node]) => path !== '.metadata' && !node.description?.trim()).map(([path]) => path);
        expect(missing, `fields without a description in ${def.kind}`).to.deep.equal([]);
      });

      it('states every scalar default in the description', () => {
        for (const [path, node] of walk(root)) {
          if (node.default === undefined || typeof node.default === 'object') continue;
          expect(node.description, path).to.contain(`Default: ${String(node.default)}.`);
        }
      });

      it('says "Immutable" on every field a transition rule freezes, and when on fields frozen by the phase', () => {
        for (const [path, node] of walk(root)) {
          for (const rule of node['x-kubernetes-validations'] ?? []) {
            if (!rule.rule.includes('oldSelf')) continue;
            const target = rule.fieldPath ? at(node, rule.fieldPath) : node;
            expect(target, `${path}${rule.fieldPath ?? ''}`).to.not.equal(undefined);
            const text = target!.description ?? '';
            if (rule.rule.includes('oldSelf.status')) {
              expect(text, `${path}${rule.fieldPath ?? ''}`).to.match(/immutable once it is Available/);
            } else {
              expect(text, `${path}${rule.fieldPath ?? ''}`).to.match(/Immutable/);
            }
          }
        }
      });

      it('defaults the status so a new object reads as not yet observed', () => {
        expect(root.properties!.status!.default).to.include({ observedGeneration: 0 });
      });
    });
  }
});
