# METADATA
# title: Glob matching
# description: >-
#   glob.match without delimiters (`*` matches any characters, `/` and `:`
#   included, like Kyverno image patterns), with the common shapes answered by
#   string builtins: under Wasm, glob.match compiles its pattern into a
#   regular expression on every evaluation.
package portcullis.scan.globs

special := ["*", "?", "[", "]", "{", "}", "\\"]

# glob.match(pattern, null, value). A pattern that is plain text, `text*`,
# `*text` or `*text*` is decided by comparing strings; any other goes to
# glob.match. Like glob.match, these functions answer true or false (the
# chain of else needs a false answer to stop at), so they assign booleans.
# regal ignore:boolean-assignment
match(pattern, value) := value == pattern if {
	plain(pattern)
} else := answer if {
	core := trim(pattern, "*")
	plain(core)
	answer := around(core, startswith(pattern, "*"), endswith(pattern, "*"), value)
} else := glob.match(pattern, null, value)

plain(text) if {
	every c in special {
		not contains(text, c)
	}
}

# regal ignore:boolean-assignment
around(core, false, true, value) := startswith(value, core)

# regal ignore:boolean-assignment
around(core, true, false, value) := endswith(value, core)

# regal ignore:boolean-assignment
around(core, true, true, value) := contains(value, core)

# Whether any pattern matches any of the values.
matches_any(patterns, values) if {
	some pattern in patterns
	some value in values
	match(pattern, value)
}
