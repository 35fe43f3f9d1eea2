# METADATA
# title: Image scan decision
# description: >-
#   The decision entrypoint of the scan policy library: every rule's findings,
#   minus those an exception suppresses, split into violations (deny) and
#   warnings (warn), with the applied and expired exceptions. The shape is the
#   Decision of the report model (schemas/decision.schema.json).
# custom:
#   practice: One decision with reasons for every image
package portcullis.scan

import data.portcullis.scan.dockerfile
import data.portcullis.scan.exceptions
import data.portcullis.scan.image_config
import data.portcullis.scan.packages
import data.portcullis.scan.pinned
import data.portcullis.scan.registries
import data.portcullis.scan.secrets
import data.portcullis.scan.vulnerabilities

# Every finding of every enabled rule, before exceptions, each once, in the
# order of the decision's lists, which is the same in every engine: most
# severe first; within one severity the vulnerability gates' findings
# (severity, age, denylist), then the other rules' by rule; then by message.
# Sorting [severity, group, rule, message, finding] entries gives it: rule and
# message tell findings apart, so whole objects, which are slow to compare
# under Wasm, are only compared when they are the same finding twice (a
# package installed at several paths). The report's entries come sorted and
# once each; the workload's, when there are any, are sorted in with them.
findings := [entry[1] | some entry in report_part] if {
	count(workload_findings) == 0
} else := [entry[1] | some entry in unique_sorted(array.concat(report_part, entries("3", workload_findings)))]

# Sorting makes equal entries adjacent, and dropping an entry equal to the one
# before it keeps one; the shifted copy stands in for index arithmetic, which
# goes through a decimal library under Wasm.
unique_sorted(list) := [entry |
	some i, entry in sorted
	entry != previous[i]
] if {
	sorted := sort(list)
	previous := array.concat([null], sorted)
}

# The report's entries, as given in input.report_entries or else evaluated
# here. A server deciding one stored report for many workloads evaluates
# report_entries once per report and namespace and passes it in: it is most of
# the work, and the same for each of them.
report_part := input.report_entries if {
	is_array(input.report_entries)
} else := computed_report_entries

# METADATA
# title: Report entries
# description: >-
#   The sorted [key, finding] entries, each once, of the rules that read the
#   report and the Dockerfile alone: the vulnerability gates, secrets,
#   packages and the Dockerfile rules. They read neither input.workloads nor
#   input.now (vulnerability ages come as age_days) nor the clock, so
#   evaluating this on the input without them gives what the decision would
#   compute, which the decision takes from input.report_entries.
# entrypoint: true
report_entries := computed_report_entries # regal ignore:pointless-reassignment

# No rule refers to report_entries itself: opa build makes every rule that
# depends on an entrypoint an entrypoint too.
computed_report_entries := unique_sorted(array.concat(
	array.concat(entries("0", vulnerabilities.severity_findings), entries("1", vulnerabilities.age_findings)),
	array.concat(entries("2", vulnerabilities.denylist_findings), entries("3", report_findings)),
))

entries(group, list) := [[concat("", [order_prefix[f.severity], group, f.rule, " ", f.message]), f] | some f in list]

# config.severity_rank, most severe first, as one character that sorts.
order_prefix := {"CRITICAL": "0", "HIGH": "1", "MEDIUM": "2", "LOW": "3", "NEGLIGIBLE": "4", "UNKNOWN": "5"}

# The rules whose findings depend on the report and Dockerfile alone, and
# those that read the deployed workloads.
report_findings := (dockerfile.findings | secrets.findings) | packages.findings

workload_findings := (pinned.findings | registries.findings) | image_config.findings

# What is left of findings after exceptions, in the same order, by mode.
kept(mode) := [f |
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
	"violations": denied,
	"warnings": warned,
	"exceptions": exceptions.applied,
	"expired_exceptions": exceptions.expired_matches,
}

default verdict := "allow"

verdict := "deny" if count(denied) > 0

# METADATA
# title: Admission verdict
# description: >-
#   What an admission review answers with for one image: the messages of the
#   decision's violations (its reasons) and warnings, and its expired
#   exceptions. The decision without the rest of each finding, which a
#   webhook does not send back, so that less is written out of the module
#   for every image of every review.
# entrypoint: true
admission_verdict := {
	"reasons": [f.message | some f in denied],
	"warnings": [f.message | some f in warned],
	"expired_exceptions": exceptions.expired_matches,
}
