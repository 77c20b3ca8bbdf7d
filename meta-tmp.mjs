import { build } from 'esbuild';
const r = await build({ entryPoints: { main: 'src/main.ts' }, outdir: '/tmp/metaout', bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node24', mainFields: ['module','main'], minifyWhitespace: true, minifySyntax: true, metafile: true, write: true, logLevel: 'error' });
for (const [out, o] of Object.entries(r.metafile.outputs)) {
  if (o.bytes < 100000) continue;
  const by = {};
  for (const [inp, i] of Object.entries(o.inputs)) { const m = inp.match(/node_modules\/((@[^/]+\/)?[^/]+)/); const k = m ? m[1] : 'src'; by[k] = (by[k]||0) + i.bytesInOutput; }
  console.log(out, o.bytes); console.log(Object.entries(by).sort((a,b)=>b[1]-a[1]).slice(0,25).map(([k,v])=>`  ${k} ${(v/1024).toFixed(0)}KB`).join('\n'));
  const files = Object.entries(o.inputs).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).slice(0,15); console.log(files.map(([k,v])=>`    ${k} ${(v.bytesInOutput/1024).toFixed(0)}`).join('\n'));
}
