/**
 * Entry-point wrapper: known input errors print one line and exit 2; anything else prints one
 * line and exits 1 (the stack only with TENSORF_DEBUG=1).
 */
import { BackendError } from '../core/errors';
import { RunFolderError } from '../core/errors';
import { CheckpointError } from '../core/errors';
import { DatasetError } from '../core/errors';
import { ConfigError } from '../core/errors';

const INPUT_ERRORS = [ConfigError, BackendError, DatasetError, CheckpointError, RunFolderError];

export function runMain(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      const input = INPUT_ERRORS.some((C) => err instanceof C);
      process.stderr.write(`error: ${err.message.split('\n')[0]}\n`);
      if (process.env.TENSORF_DEBUG === '1' && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exit(input ? 2 : 1);
    },
  );
}
