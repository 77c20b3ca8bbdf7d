// The demo: a real kube-apiserver, two simulated clouds (Eucalyptus 3.4, and 4.0 for a bundle over its SigV2-only S3), the
// CRDs, the operator as its own process, and the samples. Shows live progress per resource until every one is
// Ready or Stalled, and until an every-minute ImageSchedule with keepLast 1 has run twice and pruned its first
// capture; prints the images the clouds registered, then tears everything down (KEEP=1 keeps it up).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { GROUP, VERSION } from '../src/api/constants.ts';
import { startEucasim, type Eucasim } from '../sim/server.ts';
import { startControlPlane } from '../test/env/control-plane.ts';
import { runCommand } from '../test/env/run-command.ts';

const root = join(import.meta.dirname, '..');
const keep = process.env.KEEP === '1';
const deadlineMs = Number(process.env.DEMO_TIMEOUT_MS ?? 240_000);
const SCHEDULE = 'demo-every-minute';
const NS = 'demo';

type Cond = { type: string; status: string; reason?: string; message?: string };
type Obj = { kind: string; metadata: { name: string }; spec?: { cloudRef?: { name: string } }; status?: { phase?: string; progress?: number; imageId?: string; conditions?: Cond[]; strategy?: string } };

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  say('==> starting a Kubernetes control plane (etcd + kube-apiserver)');
  const plane = await startControlPlane();
  const sims: Eucasim[] = [];
  let operator: ReturnType<typeof spawn> | undefined;
  const cleanup = async () => {
    if (operator && operator.exitCode === null) operator.kill('SIGTERM');
    await Promise.allSettled(sims.map((s) => s.close()));
    await plane.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const kubectl = async (args: string[], input?: string) => {
      const r = await runCommand(join(plane.binDir, 'kubectl'), ['--kubeconfig', plane.kubeconfigPath, ...args], { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    say('==> starting eucasim clouds: Eucalyptus 3.4 (demo) and Eucalyptus 4.0 (euca40)');
    const fixtures = join(root, 'sim/fixtures/demo.yaml');
    const euca34 = await startEucasim({ port: 0, profile: 'eucalyptus-3.4', fixtures, latency: 'realistic' });
    const euca40 = await startEucasim({ port: 0, profile: 'eucalyptus-4.0', fixtures, latency: 'realistic' });
    sims.push(euca34, euca40);
    say(`    demo   ${euca34.url}  (profile eucalyptus-3.4)`);
    say(`    euca40 ${euca40.url}  (profile eucalyptus-4.0)`);

    say('==> installing the CRDs');
    await kubectl(['apply', '--server-side', '-f', join(root, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(root, 'crds')]);
    await kubectl(['create', 'namespace', NS]);

    say('==> starting the operator');
    operator = spawn(process.execPath, [join(root, 'src/main.ts')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, KUBECONFIG: plane.kubeconfigPath, EIO_NAMESPACE: NS, EIO_HEALTH_PORT: '0', EIO_HEALTH_HOST: '127.0.0.1', EIO_REBOOT_SETTLE: '3s', EIO_LOG_LEVEL: 'warn', EIO_ALLOWED_ENDPOINTS: '127.0.0.0/8' },
    });

    say('==> applying samples/');
    const endpoints: Record<string, Eucasim> = { demo: euca34, euca40 };
    const docs = readdirSync(join(root, 'samples')).filter((f) => f.endsWith('.yaml')).sort((a, b) => Number(b.startsWith('cloudprofile')) - Number(a.startsWith('cloudprofile')))
      .flatMap((f) => parseAllDocuments(readFileSync(join(root, 'samples', f), 'utf8')).map((d) => d.toJSON() as Obj & { spec: Record<string, unknown> }))
      .filter(Boolean);
    for (const d of docs) {
      if (d.kind === 'CloudProfile') {
        const sim = endpoints[d.metadata.name] ?? euca34;
        Object.assign(d.spec, { ec2Endpoint: sim.url, s3Endpoint: sim.s3Url });
      }
    }
    await kubectl(['apply', '-n', NS, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
    const watched = docs.filter((d) => d.kind === 'ImageCapture' || d.kind === 'InstanceBundle');
    // Runs at every minute on the wall clock: within the demo it captures twice, and keepLast 1 prunes the first.
    await kubectl(['apply', '-n', NS, '-f', '-'], JSON.stringify({
      apiVersion: `${GROUP}/${VERSION}`, kind: 'ImageSchedule', metadata: { name: SCHEDULE },
      spec: {
        schedule: '* * * * *', instances: { ids: ['i-1A2B3C4D'] }, retention: { keepLast: 1 },
        captureTemplate: { cloudRef: { name: 'demo' }, noReboot: true, deletionPolicy: 'Delete', image: { nameTemplate: 'minutely-{instance}-{time}' } },
      },
    }));
    say(`    ImageSchedule/${SCHEDULE}: every minute, instance i-1A2B3C4D, keepLast 1 (deletionPolicy Delete)`);

    say('==> progress (Ctrl-C to stop)');
    const custom = plane.kubeConfig.makeApiClient(CustomObjectsApi);
    const plural = (k: string) => (k === 'ImageCapture' ? 'imagecaptures' : 'instancebundles');
    let last = '';
    let final: Obj[] = [];
    let schedule: Sched | undefined;
    let captures: string[] = [];
    while (Date.now() - started < deadlineMs) {
      final = await Promise.all(watched.map(async (d) => (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: plural(d.kind), name: d.metadata.name })) as Obj));
      schedule = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'imageschedules', name: SCHEDULE })) as Sched;
      captures = await scheduledCaptures(custom);
      const table = [...final.map(row), scheduleRow(schedule, captures)].join('\n');
      if (table !== last) {
        say(`--- ${((Date.now() - started) / 1000).toFixed(1)}s\n${table}`);
        last = table;
      }
      if (final.every((o) => isTrue(o, 'Ready') || isTrue(o, 'Stalled')) && scheduleDone(schedule, captures)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const ready = final.filter((o) => isTrue(o, 'Ready')).length;
    say(`\n==> ${ready}/${final.length} resources Ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    for (const o of final.filter((x) => isTrue(x, 'Stalled'))) {
      const c = o.status!.conditions!.find((x) => x.type === 'Stalled')!;
      say(`    ${o.kind}/${o.metadata.name} is Stalled (${c.reason}): ${c.message}`);
    }
    say(`\n==> ImageSchedule/${SCHEDULE}: ${scheduleDone(schedule, captures) ? 'ran twice and pruned its first capture (keepLast 1)' : 'did not finish two runs in time'}`);
    for (const run of schedule?.status?.history ?? []) say(`    run due ${run.scheduledTime}: ${run.result} (${run.succeeded}/${run.captures} captured)`);
    say(`    captures kept: ${captures.join(', ') || '(none)'}`);
    say(await kubectl(['get', 'isched', '-n', NS]));
    say('\n==> images registered, as the clouds see them');
    for (const [name, sim] of Object.entries(endpoints)) {
      for (const image of sim.state.images.values()) {
        if (image.state === 'deregistered') continue;
        const snaps = image.blockDeviceMappings.filter((b) => b.ebs?.snapshotId).map((b) => `${b.deviceName}=${b.ebs!.snapshotId}`).join(' ');
        say(`    [${name}] ${image.id} ${image.state.padEnd(9)} ${image.name}  ${image.imageLocation || snaps}`);
      }
      const counts = sim.log.byAction();
      say(`    [${name}] EC2/S3 calls: ${Object.entries(counts).map(([a, n]) => `${a}=${n}`).join(' ')}`);
    }
    if (keep) {
      say([
        '\nThe demo stays up. In another terminal, in this checkout:',
        '  source .tools/env.sh             # the pinned kubectl and helm first on PATH',
        `  export KUBECONFIG=${plane.kubeconfigPath}`,
        `  kubectl get icap,ibun,cprof,isched -n ${NS} -w`,
        `  kubectl explain imagecapture.spec --recursive`,
        'Press Ctrl-C to stop.',
      ].join('\n'));
      await new Promise(() => undefined);
    }
    const expectedStalled = final.filter((o) => isTrue(o, 'Stalled') && o.metadata.name.includes('refused')).length;
    process.exitCode = ready + expectedStalled === final.length && scheduleDone(schedule, captures) ? 0 : 1;
  } finally {
    if (!keep) await cleanup();
  }
}

type Sched = { status?: { lastScheduleTime?: string; nextScheduleTime?: string; history?: Array<{ scheduledTime: string; result: string; captures: number; succeeded: number }> } };

async function scheduledCaptures(custom: CustomObjectsApi): Promise<string[]> {
  const list = await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'imagecaptures', labelSelector: `${GROUP}/schedule=${SCHEDULE}` }) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
  return list.items.filter((c) => !c.metadata.deletionTimestamp).map((c) => c.metadata.name);
}

/** Two successful runs, and only one capture left: the first was pruned. */
function scheduleDone(s: Sched | undefined, captures: string[]): boolean {
  return (s?.status?.history ?? []).filter((r) => r.result === 'Succeeded').length >= 2 && captures.length === 1;
}

function scheduleRow(s: Sched | undefined, captures: string[]): string {
  const st = s?.status ?? {};
  const runs = (st.history ?? []).map((r) => r.result).join(',') || 'none yet';
  return `  ${`ImageSchedule/${SCHEDULE}`.padEnd(42)} runs: ${runs}; next ${st.nextScheduleTime ?? '-'}; captures: ${captures.join(', ') || '-'}`;
}

function isTrue(o: Obj, type: string): boolean {
  return o.status?.conditions?.find((c) => c.type === type)?.status === 'True';
}

function row(o: Obj): string {
  const st = o.status ?? {};
  const rec = st.conditions?.find((c) => c.type === 'Reconciling' && c.status === 'True');
  const stalled = st.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  const step = stalled ? `Stalled: ${stalled.reason}` : rec ? `${rec.reason}: ${rec.message}` : isTrue(o, 'Ready') ? 'Ready' : '';
  return `  ${`${o.kind}/${o.metadata.name}`.padEnd(42)} ${(st.phase ?? '-').padEnd(12)} ${String(st.progress ?? 0).padStart(3)}%  ${(st.imageId ?? '').padEnd(13)} ${step}`;
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
