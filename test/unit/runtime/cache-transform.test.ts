import { expect } from 'chai';
import { LAST_APPLIED_ANNOTATION, stripUnreadFields } from '../../../src/runtime/cache-transform.ts';

describe('cache transform', () => {
  const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];

  it('drops managedFields and the kubectl last-applied copy, keeping every other field', () => {
    const obj = {
      apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageCapture',
      metadata: {
        name: 'a', namespace: 'n', uid: 'u', resourceVersion: '7', generation: 2, finalizers: ['f'], labels: { l: 'v' },
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{}}', 'imaging.eucalyptus.dev/abandon': 'true' }, managedFields,
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'ou' }],
      },
      spec: { instanceId: 'i-1' },
      status: { phase: 'Available' },
    };
    expect(stripUnreadFields(obj)).to.equal(obj);
    expect(obj).to.deep.equal({
      apiVersion: 'imaging.eucalyptus.dev/v1alpha1', kind: 'ImageCapture',
      metadata: {
        name: 'a', namespace: 'n', uid: 'u', resourceVersion: '7', generation: 2, finalizers: ['f'], labels: { l: 'v' },
        annotations: { 'imaging.eucalyptus.dev/abandon': 'true' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'ou' }],
      },
      spec: { instanceId: 'i-1' },
      status: { phase: 'Available' },
    });
  });

  it('removes annotations left empty, and leaves objects without metadata alone', () => {
    const obj = { metadata: { name: 'a', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } } };
    expect(stripUnreadFields(obj)).to.deep.equal({ metadata: { name: 'a' } });
    expect(stripUnreadFields({ kind: 'X' })).to.deep.equal({ kind: 'X' });
  });
});
