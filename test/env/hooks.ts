// Mocha root hooks for the integration tier. Nothing starts up front: suites that need Kubernetes call
// getEnv() and the first call starts the run's one control plane; afterAll stops whatever was started.
import { stopEnv } from './index.ts';
import { installTeardownHandlers, killEverything } from './processes.ts';

export const mochaHooks = {
  beforeAll(): void {
    installTeardownHandlers();
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    try {
      await stopEnv();
    } finally {
      // Anything a test started and forgot to stop.
      killEverything();
    }
  },
};
