// The operator as the benchmark's naive baseline runs it: the shipped operator (src/main.ts's configuration and
// startOperator) with the naive per-object pollers of bench/naive-watchers.ts injected in place of the shared
// batched pollers. EIO_BENCH_NAIVE_POLL_INTERVAL (milliseconds, default 2000) sets their fixed interval.
import { loadConfig } from '../src/config.ts';
import { startOperator } from '../src/operator.ts';
import { createLogger, setLogger } from '../src/runtime/logger.ts';
import { naiveWatcherSource } from './naive-watchers.ts';

const intervalMs = Number(process.env.EIO_BENCH_NAIVE_POLL_INTERVAL ?? 2_000);
const cfg = loadConfig();
const log = createLogger({ level: cfg.logLevel });
setLogger(log);
const operator = await startOperator(cfg, log, { watchers: (wake) => naiveWatcherSource({ intervalMs, onChange: wake }) });
const stop = () => void operator.stop().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
