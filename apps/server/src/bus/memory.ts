import type { Bus, BusMessage } from './types.js';

/** The bus of a single instance (PGlite): delivery is a function call. */
export function createMemoryBus(): Bus {
  const handlers: ((message: BusMessage) => void)[] = [];
  return {
    async publish(message) {
      for (const handler of handlers) handler(message);
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    onReconnect() {},
    async close() {
      handlers.length = 0;
    },
  };
}
