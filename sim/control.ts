// The control API under /_eucasim/ (JSON, never signed): state dump, request log, faults, advance.
import type { FaultConfig, FaultKind, Faults } from './faults.ts';
import type { RequestLog } from './request-log.ts';
import type { SimState } from './state.ts';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

export function handleControl(state: SimState, log: RequestLog, faults: Faults, method: string, path: string,
  query: URLSearchParams, body: Buffer): ControlAnswer {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  const json = (): Record<string, unknown> => {
    if (body.length === 0) return {};
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  };
  switch (route) {
    case 'GET state':
      state.scheduler.settle();
      return { status: 200, body: state.dump() };
    case 'GET log': {
      const action = query.get('action') ?? undefined;
      return {
        status: 200,
        body: { total: log.count(), counts: log.byAction(), peakPerSecond: log.peakPerSecond, entries: log.entries(action) },
      };
    }
    case 'DELETE log':
      log.clear();
      return { status: 200, body: { cleared: true } };
    case 'GET faults':
      return { status: 200, body: { faults: faults.current(), fired: faults.fired } };
    case 'POST faults': {
      const { clear, ...config } = json() as FaultConfig & { clear?: boolean | FaultKind[] };
      if (clear === true) faults.clear();
      else if (Array.isArray(clear)) faults.clear(clear);
      faults.set(config);
      return { status: 200, body: { faults: faults.current() } };
    }
    case 'POST advance':
      return { status: 200, body: { ran: state.scheduler.advance() } };
    default:
      return { status: 404, body: { error: `no control route ${route}` } };
  }
}
