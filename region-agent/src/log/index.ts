import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logs with the region and epoch on every line. */
export function createLogger(region: string, epoch: number, level: string): Logger {
  return pino({ level, base: { region, epoch }, timestamp: pino.stdTimeFunctions.isoTime });
}
