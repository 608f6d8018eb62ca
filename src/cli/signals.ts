/**
 * Ctrl-C and SIGTERM for the CLIs: the first asks the run to stop after the current iteration
 * (which saves a checkpoint), a second one quits at once (exit 130).
 */
export function onStopSignals(say: (line: string) => void, resumeHint: string, stop: () => void): void {
  let signals = 0;
  const handle = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    say(`${sig}: stopping after this iteration, saving a checkpoint (again to quit at once); ${resumeHint}`);
    stop();
  };
  process.on('SIGINT', () => handle('SIGINT'));
  process.on('SIGTERM', () => handle('SIGTERM'));
}
