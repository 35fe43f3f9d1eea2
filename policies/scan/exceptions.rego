# METADATA
# title: Exceptions
# description: >-
#   Accepted risks from settings.exceptions, each scoped by rule, vulnerability
#   ID, package, image glob and namespace glob, with a mandatory reason and an
#   expiry date. An exception suppresses every finding it matches until its
#   expiry date has passed; after that it no longer applies and is reported
#   as expired wherever it would have matched.
# custom:
#   practice: Time-box accepted risks with a reason and an expiry date
package portcullis.scan.exceptions

import data.portcullis.scan.config
import data.portcullis.scan.globs
import data.portcullis.scan.images

# Only well-formed exceptions apply. The build checks the settings against
# their schema, but data can reach the policy in other ways (an OPA agent's
# own data, a --data override): an exception without a reason or a valid
# expiry date must not become a permanent waiver.
entries := [e | some e in config.settings.exceptions; well_formed(e)]

well_formed(e) if {
	is_string(e.reason)
	e.reason != ""
	iso_date(e.expires)
}

# YYYY-MM-DD, checked with string builtins: under Wasm a regular expression
# is compiled again on every evaluation.
iso_date(text) if {
	is_string(text)
	count(text) == 10
	substring(text, 4, 1) == "-"
	substring(text, 7, 1) == "-"
	every i in [0, 1, 2, 3, 5, 6, 8, 9] {
		substring(text, i, 1) in digits
	}
}

digits := {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

# The evaluation date. ISO dates compare as strings, so no time builtin is
# needed: an exception expiring on 2026-12-31 applies through that day.
today := substring(input.now, 0, 10)

expired(entry) if entry.expires < today

# An exception for one vulnerability is only tried on findings with that ID:
# one lookup instead of every exception against every finding.
by_id[id] := [i | some i, e in entries; e.id == id] if {
	some e in entries
	id := e.id
}

without_id := [i | some i, e in entries; not e.id]

candidates(finding) := array.concat(object.get(by_id, object.get(finding, "id", ""), []), without_id)

# Every selector an exception gives must match; absent selectors match all.
matches(e, finding) if {
	rule_matches(object.get(e, "rule", "*"), finding.rule)
	value_matches(e, "package", object.get(finding, "package", null))
	image_matches(e, finding)
	namespace_matches(e)
}

rule_matches("*", _)

rule_matches(rule, rule)

value_matches(e, key, _) if not e[key]

value_matches(e, key, value) if e[key] == value

image_matches(e, _) if not e.image

image_matches(e, finding) if images.matches_any({e.image}, image_forms(finding.image))

# Globs match any spelling of the finding's image that the input knows.
image_forms(ref) := images.forms(input.image) if {
	ref == input.image.ref
} else := {ref}

namespace_matches(e) if not e.namespace

namespace_matches(e) if globs.match(e.namespace, config.namespace)

# [exception index, finding index] for every match, expired or not. Findings
# are referred to by their index in data.portcullis.scan.findings: small
# integers hash and compare far faster under Wasm than finding objects.
hits contains [i, j] if {
	some j, finding in data.portcullis.scan.findings
	some i in candidates(finding)
	matches(entries[i], finding)
}

suppressed contains j if {
	some [i, j] in hits
	not expired(entries[i])
}

# How an exception is reported: its scope, reason and expiry.
record(e) := {k: v |
	some k in ["rule", "id", "package", "image", "namespace", "reason", "expires"]
	v := object.get(e, k, default_field[k])
	v != null
}

default_field := {"rule": "*", "id": null, "package": null, "image": null, "namespace": null, "reason": "", "expires": ""}

applied := [object.union(record(entries[hit[0]]), {"finding": data.portcullis.scan.findings[hit[1]]}) |
	some hit in sort(hits)
	not expired(entries[hit[0]])
]

expired_matches := [record(entries[i]) |
	some i in sort({i | some [i, _] in hits})
	expired(entries[i])
]
