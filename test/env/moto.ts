// moto's standalone server (the AWS emulator from the cached venv) on a free loopback port, for tests that
// compare our behaviour with a second EC2/S3 implementation.
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { makeTempDir, removeTempDir, spawnTracked } from './processes.ts';
import { motoServerPath } from './tool-paths.ts';
import { GiveUp, waitFor } from './wait-for.ts';

export interface Moto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `port` restarts moto where a previous one listened (a cloud that lost its state at the same address). */
export async function startMoto(opts: { serverPath?: string; readyTimeoutMs?: number; port?: number } = {}): Promise<Moto> {
  const serverPath = opts.serverPath ?? motoServerPath();
  const dir = makeTempDir('moto');
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawnTracked('moto', serverPath, ['-H', '127.0.0.1', '-p', String(port)], {
      logPath: join(dir, `moto-${attempt}.log`),
      // Dummy credentials keep moto and any SDK in it from looking for real ones.
      env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1' },
    });
    try {
      await waitFor(async () => {
        if (proc.hasExited()) throw new GiveUp(`moto_server exited (${await proc.exited})`);
        const res = await fetch(`${url}/moto-api/`);
        await res.arrayBuffer();
        return res.status < 500;
      }, { timeoutMs: opts.readyTimeoutMs ?? 30_000, intervalMs: 100, message: `moto_server on ${url}` });
      let stopped = false;
      return {
        url,
        port,
        async stop() {
          if (stopped) return;
          stopped = true;
          await proc.stop();
          removeTempDir(dir);
        },
      };
    } catch (err) {
      const log = proc.logTail(40);
      await proc.stop();
      // The port was free when picked; retry if something else bound it before moto did.
      if (attempt < 3 && opts.port === undefined && /address already in use/i.test(log)) continue;
      removeTempDir(dir);
      process.stderr.write(`moto_server failed to start:\n${log}\n`);
      throw err;
    }
  }
}
