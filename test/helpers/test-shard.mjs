// Imported by the entry modules scripts/run-tests.mjs writes for the unit
// tier: loads a share of its files into one process, one after the other, so
// that start-up and the modules they share are paid once per share instead of
// once per file. Each file's tests still report their own file (the runner's
// `location` and `file`). A file that cannot be loaded fails as a test that
// names it, and the rest of the share still runs.
import { relative } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

export async function importTestFiles(files) {
  for (const file of files) {
    try {
      await import(pathToFileURL(file).href);
    } catch (error) {
      test(`${relative(process.cwd(), file)} could not be loaded`, () => {
        throw error;
      });
    }
  }
}
