# METADATA
# title: Secrets
# description: >-
#   Credentials written into the Dockerfile or the image environment, matched
#   with the regular expressions of secrets.patterns, and secrets the scanner
#   found in the image's files.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: CRITICAL
package portcullis.scan.secrets

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := (secret_in_dockerfile | secret_in_env) | scanner_secret

patterns := config.settings.secrets.patterns

# The texts each pattern matches, by pattern name: one entry per pattern
# that matches anything. Compiling a regular expression is the costly part
# under Wasm (it happens on every call). A pattern with keywords is only
# compiled for texts that contain one of them, as gitleaks and Trivy filter
# their secret rules (the keywords must be implied by the expression, compared
# in lower case). Patterns without keywords are first tried all at once, on
# the texts joined one per line, as one expression combining them ((?m) keeps
# ^ and $ anchored per text; a match across texts can only let more through);
# only when that matches is each of them run once over all the lines, finding
# the whole lines (texts) it matches: linear in the number of texts, where
# trying every text against every pattern took minutes for a Dockerfile of
# 2,000 ENV lines. Newlines inside a text are read as spaces. Messages name
# the pattern, never the matched text, so the decision does not leak the
# secret again.
matches(texts) := object.union(unkeyed_matches(texts), keyed_matches(texts))

unkeyed := [p | some p in patterns; count(object.get(p, "keywords", [])) == 0]

unkeyed_combined := concat("", ["(?m)", concat("|", [concat("", ["(?:", p.regex, ")"]) | some p in unkeyed])])

unkeyed_matches(texts) := {p.name: found |
	count(unkeyed) > 0
	joined := concat("\n", [one_line(text) | some text in texts])
	regex.match(unkeyed_combined, joined)
	some p in unkeyed
	found := {match[0] | some match in regex.find_all_string_submatch_n(concat("", ["(?m)^.*(?:", p.regex, ").*$"]), joined, -1)}
	count(found) > 0
}

keyed_matches(texts) := {p.name: found |
	some p in patterns
	count(object.get(p, "keywords", [])) > 0
	found := {one_line(text) | some text in texts; has_keyword(p, lower(text)); regex.match(p.regex, text)}
	count(found) > 0
}

has_keyword(p, lowered) if {
	some keyword in p.keywords
	contains(lowered, keyword)
}

one_line(text) := replace(text, "\n", " ")

matched_patterns(text, hits) := {name | some name, lines in hits; one_line(text) in lines}

# Every Dockerfile text that ends up in the image or its build log.
dockerfile_texts contains {"line": run.line, "what": "RUN", "text": run.command} if some run in input.dockerfile.runs

dockerfile_texts contains {"line": env.line, "what": concat("", ["ENV ", env.name]), "text": assignment(env)} if some env in input.dockerfile.env

dockerfile_texts contains {"line": arg.line, "what": concat("", ["ARG ", arg.name]), "text": assignment(arg)} if some arg in input.dockerfile.args

dockerfile_texts contains {"line": add.line, "what": "ADD URL", "text": add.url} if some add in input.dockerfile.adds_from_url

assignment(variable) := concat("=", [variable.name, variable.value]) if is_string(variable.value)

else := variable.name

# METADATA
# title: Secret in the Dockerfile
# description: >-
#   A RUN command, ENV or ARG assignment, or ADD URL matches a secret pattern
#   (tokens such as auth=, cloud keys, private keys, credentials in URLs).
#   Build secrets belong in RUN --mount=type=secret.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: CRITICAL
secret_in_dockerfile contains config.finding("secret_in_dockerfile", {
	"message": concat("", [item.what, " at line ", config.integer_text(item.line), " contains a secret (", concat(", ", sort(names)), ")"]),
	"location": images.location(item.line),
	"image": images.built,
}) if {
	config.enabled("secret_in_dockerfile")
	count(patterns) > 0
	hits := matches({item.text | some item in dockerfile_texts})
	some item in dockerfile_texts
	names := matched_patterns(item.text, hits)
	count(names) > 0
}

# METADATA
# title: Secret in the image environment
# description: >-
#   An environment variable of the image configuration matches a secret
#   pattern: anyone who can pull the image can read it.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: CRITICAL
secret_in_env contains config.finding("secret_in_env", {
	"message": concat("", ["image '", input.image.ref, "' sets environment variable ", env.name, " to a secret (", concat(", ", sort(names)), ")"]),
	"image": input.image.ref,
}) if {
	config.enabled("secret_in_env")
	count(patterns) > 0
	hits := matches({concat("=", [env.name, env.value]) | some env in input.image.env})
	some env in input.image.env
	names := matched_patterns(concat("=", [env.name, env.value]), hits)
	count(names) > 0
}

# METADATA
# title: Secret found by the scanner
# description: >-
#   The scanner's secret detection found a credential in a file of the image
#   (Trivy secret scanning). The finding's severity is the scanner's.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: HIGH
scanner_secret contains object.union(
	config.finding("scanner_secret", {
		"message": concat("", ["the scanner found ", secret_title(secret), " in ", target, line_text(secret)]),
		"id": secret.rule_id,
		"image": input.image.ref,
		"location": secret_location(secret),
	}),
	{"severity": secret.severity},
) if {
	config.enabled("scanner_secret")
	some secret in input.secrets
	target := target_text(secret)
}

target_text(secret) := secret.target if is_string(secret.target)

else := "the image"

secret_title(secret) := concat("", ["a secret, ", secret.title, " (", secret.rule_id, "),"]) if is_string(secret.title)

else := concat("", ["a secret (", secret.rule_id, ")"])

line_text(secret) := concat("", [" at line ", config.integer_text(secret.start_line)]) if is_number(secret.start_line)

else := ""

secret_location(secret) := {"file": secret.target, "line": secret.start_line} if {
	is_string(secret.target)
	is_number(secret.start_line)
} else := {"file": secret.target} if {
	is_string(secret.target)
} else := null
