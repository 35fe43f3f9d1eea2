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

# The findings of the three gates are sets, not arrays: a report lists one
# vulnerable package once per path it is installed at, and those give
# identical findings. The decision orders them.

ignored_statuses := {status | some status in config.settings.vulnerabilities.ignore_statuses}

# Whether the gates look at a vulnerability. A vendor's not_affected (VEX)
# means the package is not vulnerable, so it is ignored by default. `fixed` is
# not: scanners use it for "a fixed version exists", the installed version is
# still vulnerable, and Trivy's --ignore-unfixed keeps exactly those.
counted(v) if not v.status in ignored_statuses

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

# Each vulnerability is reported once per verdict. A gate's finding is left
# out when another gate denies the same vulnerability and it does not (a
# fixable HIGH denied by severity is not also reported as overdue), and a
# warning is left out when another gate already warns about it. The checks
# are ordered so that the common case (no denylist) costs one lookup.
severity_superseded(mode, v) if {
	mode == "warn"
	age_mode(v).mode == "deny"
}

severity_superseded(mode, v) if {
	count(denylist) > 0
	denylist_mode(v)
	not stronger(mode, denylist_mode(v))
}

age_superseded(mode, v) if {
	entry := severity_table[v.package.class][v.fix_available][v.severity_rank]
	not stronger(mode, entry.mode)
}

age_superseded(mode, v) if {
	count(denylist) > 0
	denylist_mode(v)
	not stronger(mode, denylist_mode(v))
}

denylist_superseded(mode, v) if {
	mode == "warn"
	severity_table[v.package.class][v.fix_available][v.severity_rank].mode == "deny"
}

denylist_superseded(mode, v) if {
	mode == "warn"
	age_mode(v).mode == "deny"
}

stronger("deny", "warn")

denylist_mode(v) := config.enforcement.vulnerability_denylist if {
	config.enabled("vulnerability_denylist")
	denied_id(v)
}

threshold_mode(threshold) := object.get(threshold, "enforcement", "deny")

# A finding about one vulnerability; its severity is the vulnerability's.
# Built as a literal (cheap under Wasm); optional fields are removed only for
# the few vulnerabilities that lack them. Reports have hundreds of these, so
# they leave out title and practice (the same for every finding of a rule,
# see docs/policy-settings.md): a smaller decision is faster to serialize.
vulnerability_finding(rule, v, enforcement, message) := complete_or_compact({
	"rule": rule,
	"message": message,
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
