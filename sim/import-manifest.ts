// The import manifest ImportVolume reads (Eucalyptus 4.0 imaging ImportImageManifest; the VM-import manifest of
// euca2ools and EC2): `/manifest/import/size` and `/manifest/import/parts/part` with `byte-range`, `key`, `head-url`,
// `get-url`, `delete-url`, the parts being raw/VMDK/VHD disk bytes. A bundle manifest has no `import/size` and fails
// as DownloadManifestFactory fails it: "Base manifest does not have size element".
import { XMLParser } from 'fast-xml-parser';

export interface ImportPart {
  index: number;
  start: number;
  end: number;
  key: string;
  getUrl: string;
}

export interface ImportManifest {
  size: number;
  volumeSizeGiB?: number;
  parts: ImportPart[];
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'part' });

type RawPart = { '@_index'?: string; 'byte-range'?: { '@_start'?: string; '@_end'?: string }; key?: unknown; 'get-url'?: unknown };

/** Parses an import manifest; throws with the reason the imaging service would log. */
export function parseImportManifest(xml: string): ImportManifest {
  let doc: { manifest?: { import?: { size?: unknown; 'volume-size'?: unknown; parts?: { part?: RawPart[] } } } };
  try {
    doc = parser.parse(xml) as typeof doc;
  } catch (err) {
    throw new Error(`the manifest is not XML: ${(err as Error).message}`, { cause: err });
  }
  const imp = doc.manifest?.import;
  const sizeText = imp?.size;
  if (sizeText === undefined || sizeText === '') throw new Error('Base manifest does not have size element');
  const size = Number(sizeText);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`invalid import size: ${String(sizeText)}`);
  const rawParts = imp?.parts?.part ?? [];
  if (rawParts.length === 0) throw new Error('the import manifest lists no parts');
  const parts = rawParts.map((p, i): ImportPart => {
    const start = Number(p['byte-range']?.['@_start']);
    const end = Number(p['byte-range']?.['@_end']);
    const getUrl = typeof p['get-url'] === 'string' ? p['get-url'] : '';
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start) throw new Error(`part ${i} has no valid byte-range`);
    if (!getUrl) throw new Error(`part ${i} has no get-url`);
    return { index: Number(p['@_index'] ?? i), start, end, key: String(p.key ?? ''), getUrl };
  }).sort((a, b) => a.start - b.start);
  let next = 0;
  for (const p of parts) {
    if (p.start !== next) throw new Error(`part ${p.index} starts at byte ${p.start}, expected ${next}`);
    next = p.end + 1;
  }
  if (next !== size) throw new Error(`the parts cover ${next} bytes, the manifest size is ${size}`);
  const volumeSize = Number(imp?.['volume-size']);
  return { size, parts, ...(Number.isInteger(volumeSize) && volumeSize > 0 ? { volumeSizeGiB: volumeSize } : {}) };
}
