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
vulnerability_denylist contains vulnerability_finding("vulnerability_denylist", v, config.enforcement.vulnerability_denylist, message) if {
	config.enabled("vulnerability_denylist")
	count(denylist) > 0
	some v in input.vulnerabilities
	id := denied_id(v)
	counted(v)
	not denylist_superseded(config.enforcement.vulnerability_denylist, v)
	message := concat("", [describe(v), ": ", id, " is on the vulnerability denylist", denylist[id]])
}
