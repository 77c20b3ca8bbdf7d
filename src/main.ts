// The operator process: flags and environment -> configuration -> operator; SIGTERM/SIGINT stop it cleanly
// (in-flight steps finish or are safe to resume, the Lease is released so a standby takes over at once).
import { loadConfig } from './config.ts';
import { createLogger, setLogger } from './runtime/logger.ts';
import { startOperator } from './operator.ts';

const USAGE = `eucalyptus-image-operator [--name=value ...]
  --kubeconfig=PATH            kubeconfig (default: in-cluster, then ~/.kube/config)
  --namespace=NS               the operator's namespace (Lease, default cloud)        [EIO_NAMESPACE]
  --watch-namespaces=A,B       namespaces to watch (default: all)                      [EIO_WATCH_NAMESPACES]
  --default-cloud=NAME         CloudProfile in the operator namespace used without cloudRef [EIO_DEFAULT_CLOUD]
  --shard=NAME                 reconcile resources labelled imaging.eucalyptus.dev/shard=NAME
                               (default: the main shard, resources without the label) [EIO_SHARD]
  --leader-elect=true|false    Lease leader election (on for more than one replica)    [EIO_LEADER_ELECT]
  --lease-name=NAME            Lease name; a shard's gets -shard-NAME appended          [EIO_LEASE_NAME]
  --health-port=8080           /healthz, /readyz, /metrics                             [EIO_HEALTH_PORT]
  --concurrency=16             resources reconciled at once per kind                   [EIO_CONCURRENCY]
  --log-level=info             pino level                                              [EIO_LOG_LEVEL]
  --reboot-settle=15s          time a rebooted guest gets before snapshots (Orchestrated)
  --poll-min=1s --poll-max=15s batched cloud poll interval range
  --status-refresh=2m          longest a progress-only status change waits to be written (0s: write every change)
                                                                                       [EIO_STATUS_REFRESH]
  --checkpoint-key-secret=NAME Secret in the operator namespace holding the key create checkpoints are
                               signed with; made on first start (default eucalyptus-image-operator-checkpoint-key)
                                                                                       [EIO_CHECKPOINT_KEY_SECRET]`;

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    console.error(`eucalyptus-image-operator: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const log = createLogger({ level: cfg.logLevel });
  setLogger(log);
  let operator;
  try {
    operator = await startOperator(cfg, log);
  } catch (err) {
    log.fatal({ err: String((err as Error)?.message ?? err) }, 'cannot start the operator');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    operator.stop().then(() => process.exit(0), (err) => {
      log.error({ err: String(err) }, 'unclean stop');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
