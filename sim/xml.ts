// EC2 and S3 XML bodies through fast-xml-parser's builder. Lists are `<xSet><item>…</item></xSet>`; undefined
// fields are left out (Eucalyptus omits null members, e.g. `platform` for Linux).
import { XMLBuilder } from 'fast-xml-parser';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
  format: false,
});

export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlValue[];
export interface XmlObject { [key: string]: XmlValue }

/** `<xSet>` content: `{ item: [...] }`, or empty text for an empty list. */
export function itemSet(items: XmlObject[]): XmlObject | string {
  return items.length === 0 ? '' : { item: items };
}

function clean(value: XmlValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(clean);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = clean(v);
    return out;
  }
  return value;
}

export function toXml(root: string, body: XmlObject, attributes: Record<string, string> = {}): string {
  const attrs = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
  const xml = builder.build({ [root]: { ...attrs, ...(clean(body) as object) } }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

export function ec2Response(action: string, version: string, requestId: string, body: XmlObject): string {
  return toXml(`${action}Response`, { requestId, ...body }, { xmlns: `http://ec2.amazonaws.com/doc/${version}/` });
}

/** The envelope Binding.createRestFault writes (capital `RequestID`), which the SDK and boto parse. */
export function ec2Error(code: string, message: string, requestId: string): string {
  return toXml('Response', { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId });
}

export function s3Error(code: string, message: string, requestId: string, resource?: string): string {
  return toXml('Error', { Code: code, Message: message, Resource: resource, RequestId: requestId });
}
