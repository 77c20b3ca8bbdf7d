// What a V8 heap snapshot of the operator retains: the retained size (dominator tree, weak edges ignored, as
// the browsers' memory tools compute it) of the operator's own objects by class, the informers' stores per
// cached object, and the heap by kind of object. `node bench/heap-summary.ts FILE.heapsnapshot N` prints the
// tables docs/performance.md quotes; bench/cache.ts runs it when BENCH_HEAP_SNAPSHOT=1.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSummary {
  totalMb: number;
  objects: number;
  /** Retained bytes of each informer store (Map) and its entries, with its size. */
  stores: Array<{ entries: number; retainedMb: number; perEntryBytes: number }>;
  /** Retained size by class of the operator's own objects (sizes nest: a manager retains its informers). */
  byClass: Array<{ name: string; count: number; retainedMb: number }>;
  /** Self size by kind of object, for the classes that make up most of the heap. */
  bySelf: Array<{ name: string; count: number; selfMb: number }>;
}

// Builtins and engine internals, left out of the "operator's own classes" table.
const NOT_OURS = /^(Object|Array|Map|Set|WeakMap|WeakSet|Promise|Function|Error|Date|RegExp|Buffer|Uint8Array|ArrayBuffer|Module|ModuleWrap|Generator|AsyncGenerator|global|Window|Arguments|system\b|\(|<|Symbol|String|Number|Boolean|BigInt|DataView|Proxy|Iterator|URL|TextDecoder|TextEncoder|AbortController|AbortSignal|EventTarget|Event|Headers|Request|Response|ReadableStream|WritableStream|Socket|Server|TLSSocket|Timeout|Immediate|FinalizationRegistry|WeakRef)/;

export function summarizeHeap(path: string): HeapSummary {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const N = nf.length;
  const E = ef.length;
  const [T, NAME, SELF, EC] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [ET, EN, TO] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const WEAK = edgeTypes.indexOf('weak');
  const count = s.nodes.length / N;
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) firstEdge[i + 1] = firstEdge[i]! + s.nodes[i * N + EC]! * E;
  const typeOf = (i: number) => nodeTypes[s.nodes[i * N + T]!]!;
  const nameOf = (i: number) => s.strings[s.nodes[i * N + NAME]!]!;
  const selfOf = (i: number) => s.nodes[i * N + SELF]!;
  const strongChildren = function* (i: number): Generator<number> {
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += E) if (s.edges[e + ET] !== WEAK) yield s.edges[e + TO]! / N;
  };

  // Depth-first postorder from the root (node 0), iteratively.
  const post = new Int32Array(count).fill(-1);
  const order: number[] = [];
  const seen = new Uint8Array(count);
  const stack: Array<[number, Generator<number>]> = [[0, strongChildren(0)]];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const next = top[1].next();
    if (next.done) {
      post[top[0]] = order.length;
      order.push(top[0]);
      stack.pop();
    } else if (!seen[next.value]) {
      seen[next.value] = 1;
      stack.push([next.value, strongChildren(next.value)]);
    }
  }
  // Predecessors of every reachable node.
  const preds: number[][] = Array.from({ length: count }, () => []);
  for (const i of order) for (const c of strongChildren(i)) preds[c]!.push(i);
  // Cooper, Harvey and Kennedy's iterative dominators over reverse postorder.
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (post[a]! < post[b]!) a = idom[a]!;
      while (post[b]! < post[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k]!;
      let d = -1;
      for (const p of preds[v]!) if (idom[p]! >= 0) d = d < 0 ? p : intersect(p, d);
      if (d >= 0 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count);
  for (const v of order) retained[v]! += selfOf(v);
  for (const v of order) if (v !== 0) retained[idom[v]!]! += retained[v]!;

  const mb = (b: number) => Math.round(b / 2 ** 20 * 10) / 10;
  const stores: HeapSummary['stores'] = [];
  const classes = new Map<string, { count: number; retained: number }>();
  const selfs = new Map<string, { count: number; self: number }>();
  for (const v of order) {
    const type = typeOf(v);
    const name = nameOf(v);
    const key = type === 'object' || type === 'closure' ? name : `(${type})`;
    const agg = selfs.get(key) ?? { count: 0, self: 0 };
    agg.count++;
    agg.self += selfOf(v);
    selfs.set(key, agg);
    if (type !== 'object') continue;
    if (!NOT_OURS.test(name) && /^[A-Z]/.test(name)) {
      const c = classes.get(name) ?? { count: 0, retained: 0 };
      c.count++;
      c.retained += retained[v]!;
      classes.set(name, c);
    }
    // An informer's store: the Map behind its `#store` field.
    if (name === 'Informer') {
      for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += E) {
        const edgeName = edgeTypes[s.edges[e + ET]!] === 'element' || edgeTypes[s.edges[e + ET]!] === 'hidden' ? '' : s.strings[s.edges[e + EN]!];
        if (edgeName !== '#store') continue;
        const map = s.edges[e + TO]! / N;
        // The cached objects are the plain objects one or two steps below the Map (its hash table holds them).
        const values = new Set<number>();
        for (const c of strongChildren(map)) {
          if (typeOf(c) === 'object' && nameOf(c) === 'Object') values.add(c);
          else for (const g of strongChildren(c)) if (typeOf(g) === 'object' && nameOf(g) === 'Object') values.add(g);
        }
        stores.push({ entries: values.size, retainedMb: mb(retained[map]!), perEntryBytes: values.size ? Math.round(retained[map]! / values.size) : 0 });
      }
    }
  }
  let total = 0;
  for (const v of order) total += selfOf(v);
  stores.sort((a, b) => b.retainedMb - a.retainedMb);
  return {
    totalMb: mb(total),
    objects: order.length,
    stores,
    byClass: [...classes].map(([name, c]) => ({ name, count: c.count, retainedMb: mb(c.retained) })).sort((a, b) => b.retainedMb - a.retainedMb).slice(0, 15),
    bySelf: [...selfs].map(([name, c]) => ({ name, count: c.count, selfMb: mb(c.self) })).sort((a, b) => b.selfMb - a.selfMb).slice(0, 15),
  };
}

export function renderHeapSummary(h: HeapSummary, resources: number): string {
  const lines = [`Heap snapshot: ${h.totalMb} MB in ${h.objects} objects, ${resources} resources cached`, ''];
  lines.push('| informer store | retained MB | per cached object, bytes |', '|---|---|---|');
  for (const st of h.stores) lines.push(`| ${st.entries} objects | ${st.retainedMb} | ${st.perEntryBytes || '-'} |`);
  lines.push('', '| operator class | instances | retained MB |', '|---|---|---|');
  for (const c of h.byClass) lines.push(`| ${c.name} | ${c.count} | ${c.retainedMb} |`);
  lines.push('', '| kind of object | count | self MB |', '|---|---|---|');
  for (const c of h.bySelf) lines.push(`| ${c.name} | ${c.count} | ${c.selfMb} |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const [file, n] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/heap-summary.ts FILE.heapsnapshot [RESOURCES]');
  console.log(renderHeapSummary(summarizeHeap(file), Number(n ?? 0)));
}
