import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, exitCodeFor, isAppError, messageOf, packageRoot } from '../core/index.js';

type Action = () => Promise<number>;

/** Builds the command tree; each command imports its implementation only when it runs. */
export function createProgram(run: (action: Action) => Promise<void>): Command {
  const program = new Command('portcullis')
    .description('Container-image policy as code: compile Rego to Wasm bundles, serve them to OPA agents, evaluate decisions.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('doctor')
    .description('Show the opa toolchain (path, version, pin), Node version and state directory')
    .option('--json', 'print the report as JSON')
    .action((opts) => run(async () => (await import('./commands/doctor.js')).doctor(opts)));

  program
    .command('build')
    .description('Compile bundle definitions (bundles/*.yaml) to Wasm with opa and write <out>/<name>.tar.gz')
    .option('--bundles <dir>', 'folder of bundle definitions', 'bundles')
    .option('--out <dir>', 'output folder for built bundles', 'dist/bundles')
    .option('--json', 'print the results as JSON instead of a table')
    .action((opts) => run(async () => (await import('./commands/build.js')).build(opts)));

  program
    .command('serve')
    .description('Serve built bundles to OPA agents over HTTP (ETag/304), reloading rebuilt bundles without restart')
    .option('--config <file>', 'YAML configuration file (default: embedded defaults)')
    .option('--listen <host:port>', 'address to listen on (default 127.0.0.1:8480; port 0 picks a free port)')
    .option('--dir <dir>', 'folder of built bundles to serve (default dist/bundles)')
    .action((opts) => run(async () => (await import('./commands/serve.js')).serve(opts)));

  program
    .command('eval')
    .description('Evaluate a bundle entrypoint in-process with opa-wasm and print {"result": ...}')
    .requiredOption('--bundle <file>', 'bundle archive (.tar.gz)')
    .requiredOption('--entrypoint <path>', 'entrypoint, e.g. portcullis/image/pinned/deny or data.portcullis.image.pinned.deny')
    .option('--input <file>', "input JSON file, or '-' for standard input")
    .action((opts) => run(async () => (await import('./commands/eval.js')).evaluate(opts)));

  return program;
}

/** Runs the CLI and sets the exit code: 0 pass, 1 policy or compile failure, 2 usage or input error, 3 internal or toolchain error. */
export async function main(argv: readonly string[]): Promise<void> {
  const run = async (action: Action) => {
    process.exitCode = await action();
  };
  try {
    await createProgram(run).parseAsync([...argv]);
  } catch (err) {
    process.exitCode = report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    return ok ? EXIT.OK : EXIT.USAGE;
  }
  if (isAppError(err)) {
    process.stderr.write(`portcullis: ${err.message}\n`);
    return exitCodeFor(err.code);
  }
  process.stderr.write(`portcullis: internal error: ${messageOf(err)}\n`);
  return EXIT.INTERNAL;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
