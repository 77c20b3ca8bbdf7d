// `npm run build`: the operator as shipped, one esbuild bundle with every dependency in it, written to dist/
// (dist/main.js starts the operator; dist/operator.js exports it, for tools that load it without starting it).
// Why a bundle: loading node_modules file by file keeps every package's whole source and every module it defines,
// used or not (the EC2 SDK alone defines 800-odd operations); the bundle keeps what the operator reaches, from the
// packages' ES module builds, so unused exports are dropped. ES module chunks keep the S3 SDK, loaded on first use,
// out of the start. Whitespace and syntax are minified; identifiers are not, so stack traces in logs stay readable.
// tsc has type-checked first (the bundler only strips types). The benchmark bundles its naive baseline the same way.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

// @kubernetes/client-node's package.json does not declare `sideEffects: false`, although its modules only define
// classes, functions and constants. Without it esbuild keeps every module its index re-exports, reached or not:
// 1,400 KB of generated models and typed API classes the operator never uses (it reads and writes resources with
// its own requests, runtime/rest.ts, and takes only KubeConfig and the request types from the library).
const CLIENT_NODE = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const clientNodeWithoutSideEffects: Plugin = {
  name: 'client-node-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === CLIENT_NODE || args.kind === 'entry-point') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: CLIENT_NODE });
      if (resolved.errors.length > 0 || !CLIENT_NODE.test(resolved.path)) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
};

// The client library sends its own requests with undici's fetch (a whole HTTP stack in JavaScript, ≈ 20 MB of RSS
// once loaded); the operator sends every request with Node's own client (runtime/kube-transport.ts) and takes from
// the library only KubeConfig's settings and the types. The library's modules still import undici at their top,
// so the bundle gets, in its place, a module whose every export fails loudly if it were ever called (and an
// import of any other name fails the build).
const UNDICI_STUB = `function unused(name) {
  return function () { throw new Error('undici.' + name + ' is left out of the operator bundle: requests go through runtime/kube-transport.ts'); };
}
export const Agent = unused('Agent');
export const ProxyAgent = unused('ProxyAgent');
export const fetch = unused('fetch');`;
const undiciLeftOutOfClientNode: Plugin = {
  name: 'undici-left-out-of-client-node',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => (CLIENT_NODE.test(args.importer) ? { path: 'undici', namespace: 'undici-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'undici-stub' }, () => ({ contents: UNDICI_STUB, loader: 'js' }));
  },
};

// The AWS SDK clients describe every operation's shapes in one generated module (schemas/schemas_0.js, 1.3 MB
// for EC2's 800-odd operations) whose shapes use the module's string constants as computed property keys,
// `{ [_xN]: "..." }`. A computed key may run code (a toString) as far as the bundler knows, so every shape with
// one is kept, used or not: 790 KB of the EC2 client, built into arrays at start. Written with the constant's
// value as a plain key, the same object, the unused shapes go.
const SDK_SCHEMAS = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const sdkSchemasWithPlainKeys: Plugin = {
  name: 'sdk-schemas-with-plain-keys',
  setup(b) {
    b.onLoad({ filter: SDK_SCHEMAS }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const constants = new Map<string, string>();
      for (const m of source.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm)) constants.set(m[1]!, m[2]!);
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
        const value = constants.get(name);
        // `{ ["__proto__"]: x }` defines a property, `{ "__proto__": x }` sets the prototype: left as it is.
        return value === undefined || value === '"__proto__"' ? key : `${value}:`;
      });
      return { contents, loader: 'js' };
    });
  },
};

export async function bundleOperator(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [clientNodeWithoutSideEffects, undiciLeftOutOfClientNode, sdkSchemasWithPlainKeys],
    // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
    banner: { js: "import { createRequire as __eioRequire } from 'node:module'; const require = __eioRequire(import.meta.url);" },
  });
}

if (import.meta.main) {
  const root = join(import.meta.dirname, '..');
  await bundleOperator({ main: join(root, 'src/main.ts'), operator: join(root, 'src/operator.ts') }, join(root, 'dist'));
}
