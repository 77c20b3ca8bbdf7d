// Part of `npm run build`, after tsc: replaces dist/cloud/ec2-sdk.js with a bundle of the EC2 client and the
// commands src/cloud/ec2-sdk.ts names, built from the SDK's ES modules so that the other 800-odd operations are left
// out. The SDK's own dependencies (@smithy/*, @aws-sdk/core, ...) stay imports from node_modules, shared with the S3
// client. Sources and tests use the package as published; the image and the benchmark run the bundle.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const sdk = JSON.parse(readFileSync(join(root, 'node_modules/@aws-sdk/client-ec2/package.json'), 'utf8')) as { dependencies: Record<string, string> };
const out = join(root, 'dist/cloud/ec2-sdk.js');
// The bundle imports those dependencies from dist/, so they must be the very copies the SDK itself resolves.
if (existsSync(join(root, 'node_modules/@aws-sdk/client-ec2/node_modules'))) {
  throw new Error('@aws-sdk/client-ec2 has its own node_modules (a dependency version differs from the top-level one): the bundle would import the wrong copies');
}

await build({
  entryPoints: [join(root, 'src/cloud/ec2-sdk.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // The ES module build (dist-es) lets unused operations be dropped; the CommonJS one defines them all in one file.
  mainFields: ['module', 'main'],
  external: Object.keys(sdk.dependencies),
  legalComments: 'inline',
  logLevel: 'warning',
});
// tsc's source map described the re-export it replaced.
rmSync(`${out}.map`, { force: true });
