/** Where a command writes: results to stdout, progress lines to stderr (so `--json | jq` stays clean). */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const processIO: CommandIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
  isTTY: Boolean(process.stdout.isTTY),
};

/** A command failed in a way the user can act on; the message is printed as is, exit code `code`. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly code = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Resolves on the first SIGINT/SIGTERM (and returns which); handlers are removed afterwards. */
export function waitForStopSignal(): {
  promise: Promise<NodeJS.Signals>;
  received: () => NodeJS.Signals | undefined;
  dispose: () => void;
} {
  let got: NodeJS.Signals | undefined;
  let resolveFn: (s: NodeJS.Signals) => void = () => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    resolveFn = resolve;
  });
  const handler = (sig: NodeJS.Signals) => {
    if (got) return;
    got = sig;
    resolveFn(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    received: () => got,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
