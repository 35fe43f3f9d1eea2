package portcullis.scan.vulnerabilities

import data.portcullis.scan.config

# Entries are IDs or {id, reason} objects.
denylist[id] := reason if {
	some entry in config.settings.vulnerabilities.denylist
	id := entry_id(entry)
	reason := entry_reason(entry)
}

entry_id(entry) := entry if is_string(entry)

entry_id(entry) := entry.id if is_object(entry)

entry_reason(entry) := concat("", [": ", entry.reason]) if is_string(entry.reason)

else := ""

# The denylisted ID a vulnerability carries, as its own ID or as an alias
# (a GHSA entry matches a CVE finding that lists it).
denied_id(v) := v.id if denylist[v.id]

else := alias if {
	some alias in v.aliases
	denylist[alias]
}

# METADATA
# title: Denylisted vulnerability
# description: >-
#   A vulnerability whose ID or alias is in vulnerabilities.denylist, whatever
#   its severity or fix status (e.g. known-exploited vulnerabilities).
# custom:
#   practice: Block specific known-exploited vulnerabilities
#   severity: CRITICAL
vulnerability_denylist contains finding if some finding in denylist_findings

# The denylist gate's findings in input order, duplicates included (see severity_findings).
denylist_findings := [vulnerability_finding("vulnerability_denylist", v, mode, what) |
	some [v, severity, age, id] in gated
	id != null
	mode := config.enforcement.vulnerability_denylist
	not denylist_superseded(mode, severity, age)
	what := concat("", [": ", id, " is on the vulnerability denylist", denylist[id]])
]
