import { canonicalJson, sha256Hex, type JsonValue } from '../core/index.js';
import type { BundleParts } from '../bundle/index.js';
import type { FleetConfig, FleetGroupFile } from '../config/index.js';

export const DISCOVERY_ROOT = 'portcullis/discovery';
/** The `discovery.decision` agents must name in their boot configuration. */
export const DISCOVERY_DECISION = 'portcullis/discovery/config';

/** A public key agents should trust, as OPA's `keys.<id>` block wants it. */
export interface TrustedKey {
  readonly algorithm: string;
  readonly key: string;
  readonly scope?: string;
}

// Evaluated by each agent's own OPA over its boot labels; the first group
// whose labels all match gives the agent its configuration.
const DISCOVERY_REGO = `package portcullis.discovery

# The agent's own labels, from its boot configuration.
labels := opa.runtime().config.labels

matching contains i if {
	some i, group in data.portcullis.discovery.groups
	every key, value in group.labels {
		labels[key] == value
	}
}

default config := {}

config := data.portcullis.discovery.groups[min(matching)].config if count(matching) > 0
`;

/**
 * The discovery bundle's parts: one Rego module and, per group, the OPA
 * configuration its agents get (bundles with long polling and pinned key ids,
 * trusted keys, status and decision logs to this server).
 */
export function discoveryParts(fleet: FleetConfig, keys: Readonly<Record<string, TrustedKey>>, maxFileBytes: number): BundleParts {
  const groups = fleet.groups.map((group) => ({ name: group.name, labels: group.labels ?? {}, config: agentConfig(group, fleet, keys) }));
  const data = { portcullis: { discovery: { groups } } } as unknown as Record<string, JsonValue>;
  const revision = sha256Hex(canonicalJson({ data, rego: DISCOVERY_REGO })).slice(0, 16);
  return {
    manifest: { revision, roots: [DISCOVERY_ROOT], rego_version: 1 },
    data,
    modules: [{ path: `/${DISCOVERY_ROOT}/discovery.rego`, bytes: new TextEncoder().encode(DISCOVERY_REGO) }],
    maxFileBytes,
  };
}

function agentConfig(group: FleetGroupFile, fleet: FleetConfig, keys: Readonly<Record<string, TrustedKey>>): Record<string, unknown> {
  const service = fleet.discovery.service;
  const signed = Object.keys(keys).length > 0;
  const bundles = Object.fromEntries(group.bundles.map((name) => [name, bundleConfig(name, group, service, signed)]));
  return {
    bundles,
    keys,
    labels: { portcullis_group: group.name },
    ...(group.status === false ? {} : { status: { service } }),
    ...(group.decision_logs === false ? {} : { decision_logs: { service, reporting: { min_delay_seconds: 5, max_delay_seconds: 10 } } }),
  };
}

/**
 * With trusted keys, every bundle gets a `signing` block, which makes OPA
 * refuse unsigned bundles; without a pinned `keyid` the agent takes the key id
 * from the token's `kid`, so bundles signed by any trusted key (old or new,
 * during a rotation) verify.
 */
function bundleConfig(name: string, group: FleetGroupFile, service: string, signed: boolean): Record<string, unknown> {
  const polling = group.polling ?? { min_delay_seconds: 60, max_delay_seconds: 120 };
  const scope = group.scope === undefined ? {} : { scope: group.scope };
  const signing = group.keyid !== undefined ? { keyid: group.keyid, ...scope } : signed ? scope : undefined;
  return {
    service,
    // OPA rejects delta bundles when it persists bundles, so those agents ask for snapshots only.
    resource: group.persist ? `bundles/${name}?mode=snapshot` : `bundles/${name}`,
    persist: group.persist ?? false,
    polling: { ...polling, long_polling_timeout_seconds: group.long_polling_timeout_seconds ?? 30 },
    ...(signing ? { signing } : {}),
  };
}
