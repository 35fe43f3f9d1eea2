package portcullis.scan.vulnerabilities

import data.portcullis.scan.config

severity_thresholds := object.get(config.profile, "vulnerability_severity", [])

# severity_table[class][fixable][rank] = {mode, threshold}: the mode (capped by
# the rule's mode) and the lowest severity among the thresholds that match.
severity_table[class][fixable][rank] := {"mode": config.capped("vulnerability_severity", config.strongest(modes)), "threshold": lowest} if {
	config.enabled("vulnerability_severity")
	some class in classes
	some fixable in [true, false]
	some rank in ranks
	matched := [t | some t in severity_thresholds; covers(t, class, fixable, rank)]
	count(matched) > 0
	modes := {threshold_mode(t) | some t in matched}
	lowest := min([config.severity_rank[t.severity] | some t in matched])
}

# METADATA
# title: Vulnerability above the severity threshold
# description: >-
#   A vulnerability is at or above a severity threshold of the environment
#   profile (vulnerability_severity: package_class, severity, ignore_unfixed,
#   enforcement). The finding's severity is the vulnerability's.
# custom:
#   practice: Gate on vulnerability severity and fix availability
#   severity: HIGH
vulnerability_severity contains finding if some finding in severity_findings

# The severity gate's findings in input order; a vulnerable package installed
# at several paths gives identical findings, which the decision keeps once.
severity_findings := [vulnerability_finding("vulnerability_severity", v, mode, threshold_text[severity.threshold]) |
	some [v, severity, age, denied] in gated
	mode := severity.mode
	not severity_superseded(mode, age, denied)
]

# The severity gate's part of each message, by threshold.
threshold_text[rank] := concat("", [": at or above the ", name, " threshold", environment_text]) if some name, rank in config.severity_rank
