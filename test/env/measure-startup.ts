// Prints how long the control plane takes to start and stop: the first start in a fresh process (cold: TLS
// generation, module loading, binaries paged in) and further starts in the same process (warm).
// Usage: node test/env/measure-startup.ts [starts=3]
import { startControlPlane } from './control-plane.ts';

const starts = Number(process.argv[2] ?? 3);
for (let i = 0; i < starts; i++) {
  const t0 = performance.now();
  const cp = await startControlPlane();
  const up = performance.now() - t0;
  const t1 = performance.now();
  await cp.stop();
  const down = performance.now() - t1;
  console.log(`${i === 0 ? 'cold' : 'warm'} start ${(up / 1000).toFixed(2)} s, stop ${(down / 1000).toFixed(2)} s`);
}
