import { pino } from 'pino';
import { ConfigError, loadEnv } from './env.js';
import { createLogger } from './logger.js';
import { createApp } from './server.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main() {
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Lines are written off the request path and coalesce under load; flushed before every exit.
  const destination = pino.destination({ dest: 1, sync: false });
  const exit = (code: number) => {
    destination.flushSync();
    process.exit(code);
  };
  const logger = createLogger(env, destination);
  process.on('unhandledRejection', (reason) =>
    logger.error({ err: reason }, 'unhandled rejection'),
  );

  const app = await createApp({ env, logger });
  const url = await app.listen();

  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // Announced only once signals are handled: whoever waits for this line may stop us right away.
  logger.info({ url, driver: app.deps.driver }, 'listening');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cryptweb failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
