import { expect } from 'chai';
import { registry } from '../../../src/runtime/metrics.ts';
import { recordResourceMetrics } from '../../../src/runtime/resource-metrics.ts';

const cond = (type: string, status: string, reason: string) => ({ type, status, reason });

describe('runtime/resource-metrics', () => {
  it('counts phases, Stalled resources of the current generation by reason, and Ready clouds', async () => {
    recordResourceMetrics([
      ['ImageCapture', [
        { metadata: { generation: 1 }, status: { observedGeneration: 0, phase: 'Pending' } },
        { metadata: { generation: 2 }, status: { observedGeneration: 2, phase: 'Failed', conditions: [cond('Stalled', 'True', 'InstanceNotFound')] } },
        // Stalled for an older spec: the operator has not judged the edit yet, so not counted.
        { metadata: { generation: 3 }, status: { observedGeneration: 2, phase: 'Failed', conditions: [cond('Stalled', 'True', 'Timeout')] } },
      ]],
      ['InstanceBundle', [{ metadata: { generation: 1 }, status: { observedGeneration: 1, phase: 'Available', conditions: [cond('Stalled', 'False', 'Succeeded')] } }]],
    ], [
      { metadata: { namespace: 'a', name: 'up', generation: 1 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'True', 'Succeeded')] } },
      { metadata: { namespace: 'a', name: 'down', generation: 1 }, status: { observedGeneration: 1, conditions: [cond('Ready', 'False', 'CredentialsRejected'), cond('Stalled', 'True', 'CredentialsRejected')] } },
      { metadata: { namespace: 'b', name: 'new', generation: 1 }, status: { observedGeneration: 0 } },
    ]);
    const text = await registry.metrics();
    expect(text).to.contain('eio_resources{kind="ImageCapture",phase="Failed",shard="main"} 2');
    expect(text).to.contain('eio_resources{kind="ImageCapture",phase="Pending",shard="main"} 1');
    expect(text).to.contain('eio_resources_stalled{kind="ImageCapture",reason="InstanceNotFound",shard="main"} 1');
    expect(text).to.not.contain('reason="Timeout"');
    expect(text).to.contain('eio_resources_stalled{kind="CloudProfile",reason="CredentialsRejected",shard="main"} 1');
    expect(text).to.contain('eio_cloudprofile_ready{namespace="a",name="up",shard="main"} 1');
    expect(text).to.contain('eio_cloudprofile_ready{namespace="a",name="down",shard="main"} 0');
    expect(text).to.contain('eio_cloudprofile_ready{namespace="b",name="new",shard="main"} 0');
  });

  it("counts a Stalled CloudProfile only in the shard that owns it, while every shard reports its readiness", async () => {
    const down = { metadata: { namespace: 'a', name: 'down', generation: 1, labels: { 'imaging.eucalyptus.dev/shard': 'b' } }, status: { observedGeneration: 1, conditions: [cond('Ready', 'False', 'CredentialsRejected'), cond('Stalled', 'True', 'CredentialsRejected')] } };
    recordResourceMetrics([], [down], () => false);
    const text = await registry.metrics();
    expect(text).to.not.contain('eio_resources_stalled{kind="CloudProfile"');
    expect(text).to.contain('eio_cloudprofile_ready{namespace="a",name="down",shard="main"} 0');
  });
});
