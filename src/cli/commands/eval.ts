import { loadConfig } from '../../config/index.js';
import { loadBundle } from '../../bundle/index.js';
import { AppError, assertJsonText, EXIT, MAX_JSON_DEPTH, parseJsonPreserving, type JsonValue } from '../../core/index.js';
import { WasmPolicy } from '../../evaluate/index.js';
import { readInputFile } from '../io.js';

export interface EvalCommandOptions {
  readonly bundle: string;
  readonly entrypoint: string;
  readonly input?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Prints `{"result": ...}`, or `{}` when undefined, as OPA's Data API does. */
export async function evaluate(options: EvalCommandOptions): Promise<number> {
  const config = await loadConfig(undefined);
  const bundle = loadBundle(await readInputFile(options.bundle, config.limits.maxArchiveBytes), config.limits);
  const input = options.input === undefined ? undefined : await readInput(options.input, config.evaluation.maxInputBytes);
  const policy = await WasmPolicy.fromBundle(bundle, config.evaluation);
  const decision = policy.evaluate(options.entrypoint, input);
  process.stdout.write(`${JSON.stringify(decision.defined ? { result: decision.result } : {}, null, 2)}\n`);
  return EXIT.OK;
}

/** The input file as JSON: valid UTF-8, nested at most MAX_JSON_DEPTH levels, no lone surrogate escapes. */
async function readInput(path: string, maxBytes: number): Promise<JsonValue> {
  const source = path === '-' ? 'standard input' : path;
  let text: string;
  try {
    text = utf8.decode(await readInputFile(path, maxBytes));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('INPUT_INVALID', `${source}: not valid UTF-8 text`, { cause: err });
  }
  assertJsonText(text, MAX_JSON_DEPTH, source, 'INPUT_INVALID');
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    parseJsonPreserving(text, source);
    throw new AppError('INPUT_INVALID', `${source}: invalid JSON`, { cause: err });
  }
}
