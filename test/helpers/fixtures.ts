import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real scanner reports, Dockerfiles and admission requests, copied byte for
 * byte from public repositories (sources and licences in SOURCES.md there).
 * Never edited: add new cases beside them.
 */
export const REAL_FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
export const REAL_REPORTS = join(REAL_FIXTURES, 'reports');
/** Real report files of one variant each, unchanged from their upstream repositories (test/fixtures/upstream/SOURCES.md). */
export const UPSTREAM_REPORTS = fileURLToPath(new URL('../fixtures/upstream/', import.meta.url));
