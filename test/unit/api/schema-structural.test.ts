import { expect } from 'chai';
import { buildCrd } from '../../../src/api/crd.ts';
import { ALL_KINDS } from '../../../src/api/schema/index.ts';
import type { Schema } from '../../../src/api/schema/openapi.ts';
import { IMAGE_NAME_PATTERN, INSTANCE_ID_PATTERN, BUCKET_PATTERN, DURATION_PATTERN } from '../../../src/api/schema/common.ts';

/** Every node of a schema with its path, so a rule can be checked everywhere. */
function* walk(schema: Schema, path = ''): Generator<[string, Schema]> {
  yield [path || '.', schema];
  for (const [k, p] of Object.entries(schema.properties ?? {})) yield* walk(p, `${path}.${k}`);
  if (schema.items) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties) yield* walk(schema.additionalProperties, `${path}{}`);
}

describe('api schemas are structural', () => {
  for (const def of ALL_KINDS) {
    const root = buildCrd(def).spec.versions[0]!.schema.openAPIV3Schema;
    describe(def.kind, () => {
      it('gives every node a type', () => {
        for (const [path, node] of walk(root)) expect(node.type, path).to.be.a('string');
      });
      it('never mixes properties and additionalProperties', () => {
        for (const [path, node] of walk(root)) {
          expect(node.properties && node.additionalProperties, path).to.equal(undefined);
        }
      });
      it('lists only declared properties as required', () => {
        for (const [path, node] of walk(root)) {
          for (const r of node.required ?? []) expect(node.properties, path).to.have.property(r);
        }
      });
      it('gives map-lists required keys', () => {
        for (const [path, node] of walk(root)) {
          if (node['x-kubernetes-list-type'] !== 'map') continue;
          for (const key of node['x-kubernetes-list-map-keys'] ?? []) expect(node.items?.required, path).to.include(key);
        }
      });
      it('bounds every array (CEL cost and object size)', () => {
        for (const [path, node] of walk(root)) if (node.type === 'array') expect(node.maxItems, path).to.be.a('number');
      });
      it('has defaults that satisfy their own enum', () => {
        for (const [path, node] of walk(root)) {
          if (node.enum && node.default !== undefined) expect(node.enum, path).to.include(node.default);
        }
      });
      it('has a status subresource, short names and the category', () => {
        const crd = buildCrd(def);
        expect(crd.spec.versions[0]!.subresources).to.deep.equal({ status: {} });
        expect(crd.spec.names.shortNames).to.deep.equal([...def.shortNames]);
        expect(crd.spec.names.categories).to.deep.equal(['eucalyptus-imaging']);
      });
    });
  }
});

describe('api schema patterns', () => {
  const re = (p: string) => new RegExp(p);
  it('instance ids: Eucalyptus upper-case and EC2 long lower-case', () => {
    for (const ok of ['i-1A2B3C4D', 'i-0123456789abcdef0']) expect(re(INSTANCE_ID_PATTERN).test(ok), ok).to.equal(true);
    for (const bad of ['i-123', 'i-XYZ12345', 'ami-12345678', 'I-12345678', 'i-0123456789abcdef012']) expect(re(INSTANCE_ID_PATTERN).test(bad), bad).to.equal(false);
  });
  it('image names: 3 to 128 of the EC2 alphabet', () => {
    for (const ok of ['web', "my image (v1) [x] ./-'@_", 'a'.repeat(128)]) expect(re(IMAGE_NAME_PATTERN).test(ok), ok).to.equal(true);
    for (const bad of ['ab', 'a'.repeat(129), 'bad!name', 'tab\tname', 'semi;colon']) expect(re(IMAGE_NAME_PATTERN).test(bad), bad).to.equal(false);
  });
  it('buckets and prefixes as Eucalyptus checks them', () => {
    expect(re(BUCKET_PATTERN).test('my-bucket.v1_x')).to.equal(true);
    for (const bad of ['ab', 'has space', 'slash/no']) expect(re(BUCKET_PATTERN).test(bad), bad).to.equal(false);
  });
  it('durations', () => {
    for (const ok of ['2h', '90m', '1h30m', '1.5h', '250ms']) expect(re(DURATION_PATTERN).test(ok), ok).to.equal(true);
    for (const bad of ['', '2', '2 h', '-1h', 'h', '1d']) expect(re(DURATION_PATTERN).test(bad), bad).to.equal(false);
  });
});
