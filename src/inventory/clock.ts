import { readFileSync, statSync } from 'node:fs';
import { AppError } from '../core/index.js';
import type { Clock } from './engine.js';

/**
 * A clock that reads the current time from a file holding one RFC 3339
 * time, re-read whenever the file changes: tests and demonstrations move a
 * running server past CVE-age thresholds and exception expiries with it
 * (PORTCULLIS_CLOCK_FILE). A file that cannot be read keeps the last time.
 */
export function fileClock(path: string): Clock {
  let stamp = '';
  let current = read(path);
  return () => {
    try {
      const info = statSync(path);
      const next = `${info.mtimeMs}:${info.size}`;
      if (next !== stamp) {
        current = read(path);
        stamp = next;
      }
    } catch {
      // Keep the last good time: a clock must not fail a request.
    }
    return new Date(current);
  };
}

function read(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `clock file ${path} cannot be read`, { cause: err });
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms))
    throw new AppError('CONFIG_INVALID', `clock file ${path} must hold an RFC 3339 time, got '${text.slice(0, 40)}'`);
  return ms;
}
