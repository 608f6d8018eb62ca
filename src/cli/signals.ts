/**
 * Ctrl-C and SIGTERM for the CLIs: the first asks the run to stop (after the current iteration, or
 * during the final evaluation after the current view; either saves a checkpoint), a second one
 * quits at once (exit 130). `message` says what the first one does, at the time it arrives.
 */
export function onStopSignals(say: (line: string) => void, message: () => string, stop: () => void): void {
  let signals = 0;
  const handle = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    say(`${sig}: ${message()}`);
    stop();
  };
  process.on('SIGINT', () => handle('SIGINT'));
  process.on('SIGTERM', () => handle('SIGTERM'));
}
