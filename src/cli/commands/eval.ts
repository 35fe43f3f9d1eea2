import { loadConfig } from '../../config/index.js';
import { loadBundle } from '../../bundle/index.js';
import { AppError, EXIT, parseJsonPreserving, type JsonValue } from '../../core/index.js';
import { WasmPolicy } from '../../evaluate/index.js';
import { readInputFile } from '../io.js';

export interface EvalCommandOptions {
  readonly bundle: string;
  readonly entrypoint: string;
  readonly input?: string;
}

const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** Prints `{"result": ...}`, or `{}` when undefined, as OPA's Data API does. */
export async function evaluate(options: EvalCommandOptions): Promise<number> {
  const config = await loadConfig(undefined);
  const bundle = loadBundle(await readInputFile(options.bundle, config.limits.maxArchiveBytes), config.limits);
  const input = options.input === undefined ? undefined : await readInput(options.input);
  const policy = await WasmPolicy.fromBundle(bundle);
  const decision = policy.evaluate(options.entrypoint, input);
  process.stdout.write(`${JSON.stringify(decision.defined ? { result: decision.result } : {}, null, 2)}\n`);
  return EXIT.OK;
}

async function readInput(path: string): Promise<JsonValue> {
  const text = (await readInputFile(path, MAX_INPUT_BYTES)).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    parseJsonPreserving(text, path === '-' ? 'standard input' : path);
    throw new AppError('INPUT_INVALID', `${path}: invalid JSON`);
  }
}
