import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real scanner reports, Dockerfiles and admission requests, copied byte for
 * byte from public repositories (sources and licences in SOURCES.md there).
 * Never edited: add new cases beside them.
 */
export const REAL_FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
export const REAL_REPORTS = join(REAL_FIXTURES, 'reports');
