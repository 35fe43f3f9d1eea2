import { execFile } from 'node:child_process';

export interface OpaRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs opa with an argument array (never a shell string) and collects its output whatever the exit code. */
export function runOpa(bin: string, args: readonly string[], cwd?: string): Promise<OpaRun> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      // A numeric code is opa's exit status; anything else (ENOENT, a signal) means it did not run to the end.
      const code: unknown = err?.code;
      if (err && typeof code !== 'number') {
        reject(new Error(err.message, { cause: err }));
        return;
      }
      resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr });
    });
  });
}
