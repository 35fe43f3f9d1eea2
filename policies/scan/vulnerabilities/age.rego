package portcullis.scan.vulnerabilities

import data.portcullis.scan.config

age_thresholds := object.get(config.profile, "vulnerability_age", [])

# age_table[class][fixable][rank][mode] = the shortest max_age_days among the
# thresholds of that mode that cover the vulnerability.
age_table[class][fixable][rank][mode] := min(ages) if {
	config.enabled("vulnerability_age")
	some class in classes
	some fixable in [true, false]
	some rank in ranks
	some mode in ["deny", "warn"]
	ages := [t.max_age_days | some t in age_thresholds; threshold_mode(t) == mode; covers(t, class, fixable, rank)]
	count(ages) > 0
}

# The strongest mode whose deadline the vulnerability has passed, capped by
# the rule's mode, and that deadline.
overdue(limits, age) := {"mode": config.capped("vulnerability_age", "deny"), "days": limits.deny} if {
	age > limits.deny
} else := {"mode": "warn", "days": limits.warn} if {
	age > limits.warn
}

age_mode(v) := overdue(age_table[v.package.class][v.fix_available][v.severity_rank], v.age_days) if is_number(v.age_days)

# METADATA
# title: Vulnerability older than allowed
# description: >-
#   A vulnerability was published more than max_age_days ago (age_days is
#   computed from the published date against the evaluation time) and is at or
#   above the severity of an age threshold of the environment profile
#   (vulnerability_age: package_class, severity, max_age_days, ignore_unfixed,
#   enforcement). Vulnerabilities without a published date are not aged.
# custom:
#   practice: Fix known vulnerabilities within a deadline
#   severity: HIGH
vulnerability_age contains finding if some finding in age_findings

# The age gate's findings in input order, duplicates included (see severity_findings).
age_findings := [vulnerability_finding("vulnerability_age", v, late.mode, what) |
	some [v, severity, late, denied] in gated
	late != null
	not age_superseded(late.mode, severity, denied)
	what := concat("", [": published ", config.integer_text(v.age_days), " days ago, more than the ", config.integer_text(late.days), " days allowed", environment_text])
]
