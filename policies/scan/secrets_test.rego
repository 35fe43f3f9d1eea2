package portcullis.scan.secrets_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.secrets

patterns := {"secrets": {"patterns": [
	{"name": "aws-access-key-id", "regex": `\b(AKIA|ASIA)[0-9A-Z]{16}\b`},
	{"name": "auth-token", "regex": `(?i)[?&;\s"']auth=[^\s&"'$]{6}`},
	{"name": "private-key", "regex": `-----BEGIN[ A-Z]*PRIVATE KEY`},
	{"name": "url-credentials", "regex": `[a-z][a-z0-9+.-]*://[^/\s:@$]+:[^/\s@$]+@`},
]}}

df := fx.dockerfile({
	"runs": [
		{"line": 3, "stage": 0, "command": "curl -fsS 'https://api.example.com/x?auth=abcdef123456' | sh"},
		{"line": 4, "stage": 0, "command": "apk add --no-cache ca-certificates"},
	],
	"env": [{"line": 5, "stage": 0, "name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}, {"line": 6, "stage": 0, "name": "MODE", "value": "prod"}],
	"args": [{"line": 2, "stage": 0, "name": "TOKEN", "value": null}],
	"adds_from_url": [{"line": 7, "stage": 0, "url": "https://deploy:hunter22@git.example.com/repo.tgz"}],
})

test_secrets_in_run_env_and_url if {
	findings := secrets.secret_in_dockerfile with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as patterns
	{[f.location.line, f.message] | some f in findings} == {
		[3, "RUN at line 3 contains a secret (auth-token)"],
		[5, "ENV AWS_ACCESS_KEY_ID at line 5 contains a secret (aws-access-key-id)"],
		[7, "ADD URL at line 7 contains a secret (url-credentials)"],
	}
}

# The same patterns, half of them with keywords: the findings are the same.
keyed := {"secrets": {"patterns": [
	object.union(patterns.secrets.patterns[0], {"keywords": ["akia", "asia"]}),
	patterns.secrets.patterns[1],
	object.union(patterns.secrets.patterns[2], {"keywords": ["private key"]}),
	patterns.secrets.patterns[3],
]}}

test_keywords_find_what_the_expressions_find if {
	with_keywords := secrets.secret_in_dockerfile with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as keyed
	count(with_keywords) == 3
	without := secrets.secret_in_dockerfile with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as patterns
	with_keywords == without
}

# A pattern is only tried on texts holding one of its keywords (this one's
# keyword is deliberately not implied by its expression, to show it).
test_keywords_filter_the_texts_tried if {
	settings := {"secrets": {"patterns": [{"name": "aws-access-key-id", "regex": `\b(AKIA|ASIA)[0-9A-Z]{16}\b`, "keywords": ["nowhere"]}]}}
	count(secrets.secret_in_dockerfile) == 0 with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as settings
}

test_messages_never_repeat_the_secret if {
	findings := secrets.secret_in_dockerfile with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as patterns
	every f in findings {
		not contains(f.message, "AKIAIOSFODNN7EXAMPLE")
		not contains(f.message, "hunter22")
	}
}

test_arg_with_value if {
	d := fx.dockerfile({"args": [{"line": 2, "stage": 0, "name": "KEY", "value": "-----BEGIN RSA PRIVATE KEY-----"}]})
	findings := secrets.secret_in_dockerfile with input as fx.input_with({"dockerfile": d}) with data.portcullis.scan.settings as patterns
	count(findings) == 1
}

test_no_patterns_no_findings if {
	count(secrets.secret_in_dockerfile) == 0 with input as fx.input_with({"dockerfile": df})
}

test_secret_in_image_env if {
	image := object.union(fx.scanned_image, {"env": [{"name": "PATH", "value": "/usr/bin"}, {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}]})
	findings := secrets.secret_in_env with input as fx.input_with({"image": image}) with data.portcullis.scan.settings as patterns
	count(findings) == 1
	some f in findings
	f.message == "image 'ghcr.io/acme/api:1.4.2' sets environment variable AWS_ACCESS_KEY_ID to a secret (aws-access-key-id)"
}

test_scanner_secret if {
	secret := {"rule_id": "private-key", "category": "AsymmetricPrivateKey", "title": "Asymmetric Private Key", "severity": "HIGH", "severity_rank": 4, "target": "/app/key.js", "start_line": 19, "end_line": 19, "match": "****"}
	findings := secrets.scanner_secret with input as fx.input_with({"secrets": [secret]})
	some f in findings
	f.location == {"file": "/app/key.js", "line": 19}
	f.id == "private-key"
	f.severity == "HIGH"
	f.message == "the scanner found a secret, Asymmetric Private Key (private-key), in /app/key.js at line 19"
}

test_scanner_secret_without_title_or_line if {
	secret := {"rule_id": "github-pat", "category": null, "title": null, "severity": "CRITICAL", "severity_rank": 5, "target": "app.env", "start_line": null, "end_line": null, "match": null}
	findings := secrets.scanner_secret with input as fx.input_with({"secrets": [secret]})
	some f in findings
	f.location == {"file": "app.env"}
	f.message == "the scanner found a secret (github-pat) in app.env"
}

test_scanner_secret_without_target if {
	secret := {"rule_id": "x", "category": null, "title": null, "severity": "LOW", "severity_rank": 2, "target": null, "start_line": null, "end_line": null, "match": null}
	findings := secrets.scanner_secret with input as fx.input_with({"secrets": [secret]})
	some f in findings
	not f.location
}
