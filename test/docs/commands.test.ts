// docs/commands.md names every command and subcommand the CLI has.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main.js';
import { REPO } from '../helpers/processes.js';

function commandNames(command: Command, prefix: string): string[] {
  return command.commands.flatMap((sub) => {
    const name = `${prefix} ${sub.name()}`;
    return sub.commands.length > 0 ? commandNames(sub, name) : [name];
  });
}

describe('docs/commands.md', () => {
  it('has a row for every command of the CLI', () => {
    const doc = readFileSync(join(REPO, 'docs', 'commands.md'), 'utf8');
    const names = commandNames(
      createProgram(async () => {}),
      'portcullis',
    );
    assert.ok(names.length > 15, `found only ${names.length} commands`);
    const missing = names.filter((name) => !doc.includes(`| \`${name}`));
    assert.deepEqual(missing, []);
  });
});
