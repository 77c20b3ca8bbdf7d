// A CloudProfile whose capability probe fails (a 5xx on the S3 signature probe, ListBuckets) is Ready anyway: the
// credentials and the calls every flow needs work. The CapabilitiesDetected condition names the probe and why, and one Event says so.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { waitFor } from '../../env/index.ts';
import { startScenario, type Scenario } from '../support/scenario.ts';
import type { CloudProfile, ImageCapture } from '../../../src/api/types.ts';
import { API_VERSION } from '../../../src/api/constants.ts';
import { HTML_500, startAnswerShim, type AnswerShim } from '../support/answer-shim.ts';
import { kstatus, type Stored } from '../status/judges.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';

describe('CloudProfile with a failing capability probe', function () {
  this.timeout(90_000);
  let s: Scenario;
  before(async () => {
    s = await startScenario({ profile: 'aws', sim: { faults: { serverError: { actions: ['ListBuckets'] } } } });
  });
  after(async () => {
    s?.sim.faults.clear();
    await s?.close();
  });

  it('is Ready, names the failed probe in a condition and says it in one Event', async () => {
    const p = await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True') as unknown as CloudProfile;
    const cond = p.status!.conditions!.find((c) => c.type === 'CapabilitiesDetected')!;
    expect(cond).to.include({ status: 'False', reason: 'ProbeFailed' });
    expect(cond.message).to.match(/probe S3 ListBuckets \(s3Signature\): InternalError \(HTTP 500\)/);
    expect(p.status!.unknownCapabilities).to.deep.equal(['s3Signature']);
    expect(p.status!.capabilities!.s3Signature).to.equal('v4'); // the aws dialect's default
    // A new generation probes again with the same result: still one Event.
    await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', s.cloudName, '--type=merge', '-p', '{"spec":{"rateLimit":{"qps":150}}}']);
    await waitFor(async () => {
      const now = await s.get<CloudProfile>('cloudprofiles', s.cloudName);
      return (now?.status?.observedGeneration ?? 0) >= 2;
    }, { timeoutMs: 30_000, message: 'second detection' });
    const core = s.env.kubeConfig.makeApiClient(CoreV1Api);
    const events = (await core.listNamespacedEvent({ namespace: s.namespace, fieldSelector: `involvedObject.name=${s.cloudName}` })).items;
    const probeEvents = events.filter((e) => e.reason === 'ProbeFailed');
    expect(probeEvents.length).to.equal(1);
    expect(probeEvents[0]!.count ?? 1).to.equal(1);
    expect(probeEvents[0]!.type).to.equal('Warning');
    expect(s.sim.log.count('ListBuckets')).to.be.greaterThanOrEqual(2);
  });

  it('the probe is skipped once spec.s3Signature decides it, and the condition clears', async () => {
    const calls = s.sim.log.count('ListBuckets');
    await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', s.cloudName, '--type=merge', '-p', '{"spec":{"s3Signature":"v4"}}']);
    const p = await s.waitForCondition('cloudprofiles', s.cloudName, 'CapabilitiesDetected', 'True') as unknown as CloudProfile;
    expect(p.status!.unknownCapabilities).to.equal(undefined);
    expect(p.status!.capabilities!.s3Signature).to.equal('v4');
    expect(s.sim.log.count('ListBuckets')).to.equal(calls);
  });
});

describe('a flow that needs an action the cloud refuses', function () {
  this.timeout(90_000);
  let s: Scenario;
  let shim: AnswerShim;
  before(async () => {
    s = await startScenario({ profile: 'aws' });
    // EC2's answer for an action a cloud does not implement; eucasim implements CreateImage, so the shim gives it.
    shim = await startAnswerShim(s.sim.url, {
      CreateImage: { status: 400, contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidAction</Code><Message>The action CreateImage is not valid for this web service.</Message></Error></Errors><RequestID>x</RequestID></Response>' },
    });
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'shimmed' }, spec: { ec2Endpoint: shim.url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
    });
    await s.waitForCondition('cloudprofiles', 'shimmed', 'Ready');
  });
  after(async () => {
    await s?.close();
    await shim?.close();
  });

  it('tries it and stalls with UnsupportedByCloud and the cloud\'s words', async () => {
    const m = captureManifest(s, seedInstance(s).id, { cloudRef: { name: 'shimmed' }, strategy: 'CreateImage', noReboot: true });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled') as unknown as ImageCapture;
    const stalled = c.status!.conditions!.find((x) => x.type === 'Stalled')!;
    expect(stalled.reason).to.equal('UnsupportedByCloud');
    expect(stalled.message).to.match(/CreateImage: InvalidAction: The action CreateImage is not valid/);
    expect(shim.answered).to.deep.equal(['CreateImage']);
  });
});

describe('CloudProfile Ready: the calls every flow needs, and an edit while the cloud is unreachable', function () {
  this.timeout(120_000);
  let s: Scenario;
  let shim: AnswerShim | undefined;
  const cond = (p: CloudProfile | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);
  const shimmedProfile = (name: string, endpoint: string) => s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
    input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name }, spec: { ec2Endpoint: endpoint, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
  });
  before(async () => {
    // Eucalyptus 3.4 refuses MaxResults as an unknown parameter: Ready proves the checks do without it.
    s = await startScenario({ profile: 'eucalyptus-3.4' });
  });
  afterEach(async () => {
    s.sim.faults.clear();
    await shim?.close();
    shim = undefined;
  });
  after(async () => s?.close());

  it('is Ready once DescribeInstances and DescribeImages answer, sent without MaxResults, and says so', async () => {
    const p = await s.get<CloudProfile>('cloudprofiles', s.cloudName);
    expect(cond(p, 'Ready')!.message).to.include('DescribeInstances and DescribeImages answer');
    const sent = [...s.sim.log.entries('DescribeInstances'), ...s.sim.log.entries('DescribeImages')];
    expect(sent.some((e) => e.params['Filter.1.Name'] === 'instance-id')).to.equal(true);
    expect(sent.some((e) => e.params['Owner.1'] === 'self' && e.params['Filter.1.Name'] === 'name')).to.equal(true);
    expect(sent.filter((e) => 'MaxResults' in e.params)).to.deep.equal([]);
  });

  it('a refused DescribeImages is Stalled CloudRejected naming the call; a 5xx on DescribeInstances waits naming it', async () => {
    const refusal = '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>';
    shim = await startAnswerShim(s.sim.url, { DescribeImages: { status: 403, contentType: 'text/xml', body: refusal } });
    const broken = await startAnswerShim(s.sim.url, { DescribeInstances: HTML_500 });
    try {
      await shimmedProfile('refuses-images', shim.url);
      await shimmedProfile('broken-instances', broken.url);
      const stalled = await s.waitForCondition('cloudprofiles', 'refuses-images', 'Stalled', 'True', 30_000) as unknown as CloudProfile;
      expect(cond(stalled, 'Stalled')!.reason).to.equal('CloudRejected');
      expect(cond(stalled, 'Ready')!.message).to.match(/refused DescribeImages, which every capture and bundle needs: DescribeImages: UnauthorizedOperation/);
      const waiting = await s.waitForCondition('cloudprofiles', 'broken-instances', 'Reconciling', 'True', 30_000) as unknown as CloudProfile;
      expect(cond(waiting, 'Ready')).to.include({ status: 'False', reason: 'CloudUnreachable' });
      expect(cond(waiting, 'Ready')!.message).to.match(/^checking the cloud: DescribeInstances: /);
      expect(cond(waiting, 'Stalled')?.status).to.not.equal('True');
    } finally {
      await broken.close();
    }
  });

  it('edited while the cloud is unreachable: the generation is recorded with the reason, Ready again once it answers', async () => {
    const before = (await s.get<CloudProfile>('cloudprofiles', s.cloudName))!;
    expect(cond(before, 'Ready')!.status).to.equal('True');
    s.sim.faults.set({ serverError: { actions: ['DescribeAvailabilityZones'], status: 503 } });
    await s.env.kubectl(['patch', '-n', s.namespace, 'cloudprofiles', s.cloudName, '--type=merge', '-p', '{"spec":{"rateLimit":{"qps":150}}}']);
    const gen = before.metadata!.generation! + 1;
    let seen: CloudProfile | undefined;
    await waitFor(async () => {
      seen = await s.get<CloudProfile>('cloudprofiles', s.cloudName);
      return seen?.status?.observedGeneration === gen;
    }, { timeoutMs: 30_000, message: 'the edit recorded while the cloud is unreachable' });
    expect(cond(seen, 'Reconciling')).to.include({ status: 'True', reason: 'CloudUnreachable' });
    expect(cond(seen, 'Ready')).to.include({ status: 'False', reason: 'CloudUnreachable' });
    expect(cond(seen, 'Ready')!.message).to.match(/DescribeAvailabilityZones/);
    expect(seen!.status!.conditions!.every((c) => c.observedGeneration === gen)).to.equal(true);
    expect((await kstatus([seen as unknown as Stored]))[0]).to.include({ status: 'InProgress' });
    s.sim.faults.clear();
    const ready = await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 60_000) as unknown as CloudProfile;
    expect(ready.status!.observedGeneration).to.equal(gen);
    expect((await kstatus([ready as unknown as Stored]))[0]).to.include({ status: 'Current' });
  });
});

describe('a flow that needs a capability no probe established, answered with 5xx/HTML pages only', function () {
  this.timeout(120_000);
  let s: Scenario;
  let shim: AnswerShim;
  before(async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4' });
    // moto's way of refusing an action it lacks, given by the shim since eucasim implements both: the version probe
    // (DescribeAvailabilityZones with an unknown parameter) and CreateImage get an HTML 500 page.
    shim = await startAnswerShim(s.sim.url, {
      DescribeAvailabilityZones: { ...HTML_500, when: /ImagingOperatorCapabilityProbe=1/ },
      CreateImage: HTML_500,
    });
    await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
      input: JSON.stringify({ apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: 'html-pages' }, spec: { ec2Endpoint: shim.url, s3Endpoint: s.sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: `${s.cloudName}-credentials` } } }),
    });
  });
  after(async () => {
    s?.sim.faults.clear();
    await s?.close();
    await shim?.close();
  });

  it('tries it a bounded number of times, then stalls UnsupportedByCloud naming the action and what came back', async () => {
    const p = await s.waitForCondition('cloudprofiles', 'html-pages', 'Ready', 'True', 30_000) as unknown as CloudProfile;
    expect(p.status!.unknownCapabilities).to.include('createImage');
    const m = captureManifest(s, seedInstance(s).id, { cloudRef: { name: 'html-pages' }, strategy: 'CreateImage', noReboot: true });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Stalled', 'True', 60_000) as unknown as ImageCapture;
    const stalled = c.status!.conditions!.find((x) => x.type === 'Stalled')!;
    expect(stalled.reason).to.equal('UnsupportedByCloud');
    expect(stalled.message).to.match(/^CreateImage: UnusableAnswer: the cloud answered CreateImage 3 times in a row with no usable answer, last HTTP 500/);
    expect(stalled.message).to.include('spec.capabilities.createImage');
    expect(shim.answered.filter((a) => a === 'CreateImage')).to.have.length(3);
    expect(c.status!.phase).to.equal('Failed');
  });

  it('an action whose capability is known keeps retrying 5xx as transient, and finishes', async () => {
    s.sim.faults.set({ serverError: { actions: ['CreateImage'], count: 5, status: 500 } });
    const m = captureManifest(s, seedInstance(s).id, { strategy: 'CreateImage', noReboot: true });
    await s.create('imagecaptures', m);
    const c = await s.waitForCondition('imagecaptures', m.metadata.name, 'Ready', 'True', 90_000) as unknown as ImageCapture;
    expect(c.status!.conditions!.find((x) => x.type === 'Stalled')?.status).to.not.equal('True');
    expect(s.sim.log.entries('CreateImage').filter((e) => e.status === 500)).to.have.length(5);
  });
});
