# METADATA
# title: Image scan decision
# description: >-
#   The one entrypoint of the scan policy library: every rule's findings,
#   minus those an exception suppresses, split into violations (deny) and
#   warnings (warn), with the applied and expired exceptions. The shape is the
#   Decision of the report model (schemas/decision.schema.json).
# custom:
#   practice: One decision with reasons for every image
package portcullis.scan

import data.portcullis.scan.config
import data.portcullis.scan.dockerfile
import data.portcullis.scan.exceptions
import data.portcullis.scan.image_config
import data.portcullis.scan.packages
import data.portcullis.scan.pinned
import data.portcullis.scan.registries
import data.portcullis.scan.secrets
import data.portcullis.scan.vulnerabilities

# Every finding of every enabled rule, before exceptions, in an order that is
# the same in every engine: by rule, then by message.
findings := array.concat(
	array.concat(by_message(vulnerabilities.severity_findings), by_message(vulnerabilities.age_findings)),
	array.concat(by_message(vulnerabilities.denylist_findings), ordered(others)),
)

# Sorting [rule, message, finding] triples: rule and message tell findings
# apart, so whole objects, which are slow to compare under Wasm, are not compared.
ordered(set) := [entry[2] | some entry in sort([[f.rule, f.message, f] | some f in set])]

# One rule's findings by message, each once: sorting makes identical findings
# adjacent, so dropping an entry equal to the one before it gives what
# ordered(set) gives for the set of them. The shifted copy stands in for
# index arithmetic, which goes through a decimal library under Wasm.
by_message(list) := [entry[1] |
	some i, entry in sorted
	entry != previous[i]
] if {
	sorted := sort([[f.message, f] | some f in list])
	previous := array.concat([null], sorted)
}

others := ((((pinned.findings | registries.findings) | image_config.findings) | dockerfile.findings) | secrets.findings) | packages.findings

# Indexes into findings of what is left after exceptions, by mode.
kept(mode) := [j |
	some j, f in findings
	f.enforcement == mode
	not j in exceptions.suppressed
]

denied := kept("deny")

warned := kept("warn")

# METADATA
# title: Decision
# description: >-
#   {decision, violations, warnings, exceptions, expired_exceptions}; deny
#   when any finding in deny mode is left after exceptions.
# entrypoint: true
decision := {
	"decision": verdict,
	"violations": worst_first(denied),
	"warnings": worst_first(warned),
	"exceptions": exceptions.applied,
	"expired_exceptions": exceptions.expired_matches,
}

verdict := "deny" if count(denied) > 0

else := "allow"

# Most severe first, then in rule order; sorting [rank, index] pairs keeps
# the sort on integers.
worst_first(indexes) := [findings[pair[1]] |
	some pair in sort([[0 - config.severity_rank[findings[j].severity], j] | some j in indexes])
]
