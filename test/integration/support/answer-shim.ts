// A reverse proxy in front of a real cloud (eucasim or moto) that answers chosen EC2 actions itself, to show the
// operator answers no simulator gives on its own: an HTML error page, a 200 without an EC2 body, garbage. Every
// other request goes to the cloud unchanged (the signature stays valid: the proxy forwards the bytes and the
// Host header it got).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ShimAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Only requests whose query and body match (e.g. one probe's extra parameter); the others go to the cloud. */
  when?: RegExp;
}

export interface AnswerShim {
  url: string;
  /** Actions answered by the shim so far, in order. */
  answered: string[];
  close(): Promise<void>;
}

export const HTML_500: ShimAnswer = { status: 500, contentType: 'text/html', body: '<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>' };
export const HTML_200: ShimAnswer = { status: 200, contentType: 'text/html', body: '<html><body>Welcome</body></html>' };
export const GARBAGE_400: ShimAnswer = { status: 400, contentType: 'text/plain', body: 'bad request{' };

function actionOf(url: string, body: string): string {
  const fromQuery = new URL(url, 'http://x').searchParams.get('Action');
  return fromQuery ?? new URLSearchParams(body).get('Action') ?? '';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startAnswerShim(target: string, answers: Record<string, ShimAnswer>): Promise<AnswerShim> {
  const upstream = new URL(target);
  const answered: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const action = actionOf(req.url ?? '/', body.toString('utf8'));
      const canned = answers[action];
      if (canned && (!canned.when || canned.when.test(`${req.url ?? ''} ${body.toString('utf8')}`))) {
        answered.push(action);
        res.writeHead(canned.status, { 'content-type': canned.contentType });
        res.end(canned.body);
        return;
      }
      const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
