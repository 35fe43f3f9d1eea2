import { loadConfig } from '../../config/index.js';
import { opaCandidates, pinnedOpaVersion } from '../../compile/index.js';
import { EXIT } from '../../core/index.js';

export interface DoctorOptions {
  readonly json?: boolean;
}

/** Reports the toolchain and environment; exit 3 when no opa matches the pin. */
export async function doctor(options: DoctorOptions): Promise<number> {
  const config = await loadConfig(undefined);
  const pin = pinnedOpaVersion();
  const candidates = opaCandidates(config.opaBin);
  const chosen = candidates.find((c) => c.version === pin);
  const report = {
    opa: {
      path: chosen?.path ?? null,
      version: chosen?.version ?? null,
      pinned: pin,
      matchesPin: chosen !== undefined,
      candidates,
    },
    node: { version: process.versions.node },
    stateDir: config.stateDir,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [
      `opa:        ${chosen ? `${chosen.path} (${chosen.source})` : 'not found'}`,
      `version:    ${chosen?.version ?? '-'} (pinned ${pin}: ${chosen ? 'match' : 'NO MATCH'})`,
      ...candidates.filter((c) => c !== chosen).map((c) => `  skipped:  ${c.path} (${c.source}, version ${c.version ?? 'unavailable'})`),
      `node:       ${process.versions.node}`,
      `state dir:  ${config.stateDir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!chosen) process.stderr.write('portcullis: install the pinned opa with "npm run setup:opa" (needs Go) or set OPA_BIN\n');
  }
  return chosen ? EXIT.OK : EXIT.INTERNAL;
}
