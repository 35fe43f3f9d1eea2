# METADATA
# title: Vulnerability gates
# description: >-
#   Severity, age and denylist gates over the scanner's vulnerabilities, with
#   thresholds from the environment profile, separately for OS packages and
#   application libraries.
# custom:
#   practice: Gate on vulnerability severity and fix availability
#   severity: HIGH
package portcullis.scan.vulnerabilities

import data.portcullis.scan.config

# Each gate gives its findings as a list in input order (severity_findings,
# age_findings, denylist_findings) and, as its rule, as a set: a report lists
# one vulnerable package once per path it is installed at, and those give
# identical findings. The decision orders the lists and keeps each finding
# once, which is cheaper under Wasm than building sets of objects.

# Statuses the gates do not look at. A vendor's not_affected (VEX) means the
# package is not vulnerable, so it is ignored by default. `fixed` is not:
# scanners use it for "a fixed version exists", the installed version is
# still vulnerable, and Trivy's --ignore-unfixed keeps exactly those.
ignored_statuses := {status | some status in config.settings.vulnerabilities.ignore_statuses}

# Thresholds are folded into lookup tables once per evaluation, keyed by
# package class, fix availability and severity rank, so each vulnerability
# costs one lookup instead of a loop over the thresholds (Wasm has no rule
# indexing, and reports have hundreds of vulnerabilities).
classes := ["os", "library"]

ranks := numbers.range(0, 5)

# A threshold covers a package class, a fix state and a severity rank.
covers(threshold, class, fixable, rank) if {
	class_matches(object.get(threshold, "package_class", "all"), class)
	rank >= config.severity_rank[threshold.severity]
	fix_matches(object.get(threshold, "ignore_unfixed", false), fixable)
}

class_matches("all", _)

class_matches(class, class)

fix_matches(false, _)

fix_matches(true, true)

# Every vulnerability the gates look at, with what each gate makes of it,
# looked up once: [v, severity entry, age deadline, denylisted ID], null where
# a gate does not apply. Functions are not memoized and lookups are not cheap
# under Wasm (every key is hashed, numbers through a decimal library), so the
# three gates read this list instead of each repeating them. The age deadline
# is left null when the severity gate denies: the age gate is then silent.
gated := [[v, severity, age, denied] |
	some v in input.vulnerabilities
	not v.status in ignored_statuses
	severity := severity_entry(v)
	age := age_entry(v, severity)
	denied := denylisted(v)
]

# null, not undefined, for an input without these fields (an input given to
# the data API directly), so the denylist still sees the vulnerability.
severity_entry(v) := entry if {
	entry := severity_table[v.package.class][v.fix_available][v.severity_rank]
} else := null

age_entry(v, severity) := late if {
	not severity.mode == "deny"
	late := age_mode(v)
} else := null

denylisted(v) := id if {
	config.enabled("vulnerability_denylist")
	id := denied_id(v)
} else := null

# Each vulnerability is reported once per verdict. A gate's finding is left
# out when another gate denies the same vulnerability and it does not (a
# fixable HIGH denied by severity is not also reported as overdue), and a
# warning is left out when another gate already warns about it.
severity_superseded("warn", age, _) if age.mode == "deny"

severity_superseded(mode, _, denied) if {
	denied != null
	not stronger(mode, config.enforcement.vulnerability_denylist)
}

age_superseded(mode, severity, _) if {
	other := severity.mode
	not stronger(mode, other)
}

age_superseded(mode, _, denied) if {
	denied != null
	not stronger(mode, config.enforcement.vulnerability_denylist)
}

denylist_superseded("warn", severity, _) if severity.mode == "deny"

denylist_superseded("warn", _, age) if age.mode == "deny"

stronger("deny", "warn")

threshold_mode(threshold) := object.get(threshold, "enforcement", "deny")

# A finding about one vulnerability; its severity is the vulnerability's.
# Built as a literal (cheap under Wasm); optional fields are removed only for
# the few vulnerabilities that lack them. Reports have hundreds of these, so
# they leave out title and practice (the same for every finding of a rule,
# see docs/policy-settings.md): a smaller decision is faster to serialize.
# `what` is the gate's part of the message, after describe(v).
vulnerability_finding(rule, v, enforcement, what) := complete_or_compact({
	"rule": rule,
	"message": concat("", [describe(v), what]),
	"severity": v.severity,
	"enforcement": enforcement,
	"id": v.id,
	"package": v.package.name,
	"installed_version": v.installed_version,
	"fixed_version": v.fixed_version,
	"image": input.image.ref,
})

complete_or_compact(finding) := finding if {
	is_string(finding.fixed_version)
	is_string(finding.image)
} else := config.compact(finding)

# "CVE-2021-36159 (CRITICAL) in os package apk-tools 2.10.4-r3, fixed in 2.10.7-r0"
describe(v) := concat("", [v.id, " (", v.severity, ") in ", v.package.class, " package ", v.package.name, " ", v.installed_version, fix_text(v)])

fix_text(v) := concat("", [", fixed in ", v.fixed_version]) if {
	v.fix_available == true
	is_string(v.fixed_version)
} else := ", fix available" if {
	v.fix_available == true
} else := ", no fix available"

environment_text := concat("", [" (environment '", config.profile.name, "')"])
