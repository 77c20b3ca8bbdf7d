// The chart's PrometheusRule, judged by Prometheus's own promtool (built from its Go module): the rendered rules
// are valid, and each alert fires, and stays quiet, on the series the operator exports (promtool unit tests in
// fixtures/alerts*.promtool.yaml).
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { runCommand } from '../../env/index.ts';
import { goTool } from '../../env/tool-paths.ts';
import { registry } from '../../../src/runtime/metrics.ts';
import { findObject, fixturesDir, renderChart } from './chart.ts';

interface Rule { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }
interface PrometheusRule { spec: { groups: Array<{ name: string; rules: Rule[] }> } }

async function rulesOf(replicas: number, more: string[] = []): Promise<PrometheusRule> {
  const objects = await renderChart('r', 'ops', ['--set', 'metrics.prometheusRule.enabled=true', '--set', `replicaCount=${replicas}`, ...more]);
  return findObject(objects, 'PrometheusRule') as unknown as PrometheusRule;
}

describe('chart PrometheusRule (promtool)', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eio-rules-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  /** Writes the rules where a promtool test file expects them and runs `promtool <args>` there. */
  async function promtool(rule: PrometheusRule, args: string[], testFile?: string) {
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    if (testFile) await copyFile(join(fixturesDir, testFile), join(dir, 'tests.yaml'));
    return runCommand(goTool('promtool'), args, { cwd: dir });
  }

  it('is not rendered unless enabled', async () => {
    const objects = await renderChart('r', 'ops');
    expect(objects.map((o) => o.kind)).to.not.include('PrometheusRule');
  });

  for (const replicas of [1, 2]) {
    it(`passes promtool check rules (${replicas} replica${replicas > 1 ? 's' : ''})`, async () => {
      const r = await promtool(await rulesOf(replicas), ['check', 'rules', 'rules.yaml']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.contain('SUCCESS: 6 rules found');
    });
  }

  it('passes promtool test rules: every alert fires when it should and only then (leader election on)', async () => {
    const rule = await rulesOf(2);
    expect(rule.spec.groups[0]!.rules.map((x) => x.alert)).to.deep.equal([
      'EucalyptusImagingResourcesStalled', 'EucalyptusImagingCloudNotReady', 'EucalyptusImagingCloudThrottled',
      'EucalyptusImagingNoLeader', 'EucalyptusImagingReconcileErrors', 'EucalyptusImagingBacklog',
    ]);
    const r = await promtool(rule, ['test', 'rules', 'tests.yaml'], 'alerts.promtool.yaml');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('passes promtool test rules with one replica: an operator that stops reporting alerts', async () => {
    const rule = await rulesOf(1);
    expect(rule.spec.groups[0]!.rules.map((x) => x.alert)).to.include('EucalyptusImagingOperatorDown').and.not.include('EucalyptusImagingNoLeader');
    const r = await promtool(rule, ['test', 'rules', 'tests.yaml'], 'alerts-single.promtool.yaml');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('passes promtool check and test rules with shards: a shard without a leader alerts, named by its shard label', async () => {
    for (const replicas of [1, 2]) {
      const checked = await promtool(await rulesOf(replicas, ['--set', 'shards={a,b}']), ['check', 'rules', 'rules.yaml']);
      expect(checked.code, checked.stdout + checked.stderr).to.equal(0);
    }
    const r = await promtool(await rulesOf(2, ['--set', 'shards={a,b}']), ['test', 'rules', 'tests.yaml'], 'alerts-shards.promtool.yaml');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('passes promtool test rules with shards and one replica each: a shard whose metrics are gone alerts by name', async () => {
    const r = await promtool(await rulesOf(1, ['--set', 'shards={a,b}']), ['test', 'rules', 'tests.yaml'], 'alerts-shards-single.promtool.yaml');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('a broken expression fails promtool check rules (the check is real)', async () => {
    const rule = await rulesOf(2);
    rule.spec.groups[0]!.rules[0]!.expr = 'max by (kind (eio_resources_stalled)';
    const r = await promtool(rule, ['check', 'rules', 'rules.yaml']);
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/parse error/);
  });

  it('uses only metrics the operator exports', async () => {
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    for (const rule of [...(await rulesOf(1)).spec.groups[0]!.rules, ...(await rulesOf(2)).spec.groups[0]!.rules]) {
      for (const name of rule.expr.match(/eio_[a-z_]+/g) ?? []) expect(exported.has(name), `${rule.alert}: ${name}`).to.equal(true);
    }
  });
});
