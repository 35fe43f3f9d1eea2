# METADATA
# title: Scan policy settings
# description: >-
#   Resolves the bundle settings (data.portcullis.scan.settings) over built-in
#   defaults, selects the environment profile that applies to this input, and
#   gives every rule its enforcement mode and default severity.
# custom:
#   practice: Keep policy parameters in versioned, schema-checked data
package portcullis.scan.config

import data.portcullis.scan.globs

# The rule catalog. title, practice and severity repeat each rule's METADATA
# block because rego.metadata.* is not available under Wasm; a test compares
# the two. enforcement is the mode a rule has when the settings name none.
catalog := {
	"mutable_tag": {"title": "Mutable image tag", "severity": "HIGH", "enforcement": "deny", "practice": "Pin images by digest; never deploy mutable tags"},
	"require_digest": {"title": "Image not pinned by digest", "severity": "MEDIUM", "enforcement": "deny", "practice": "Pin images by digest; never deploy mutable tags"},
	"digest_mismatch": {"title": "Deployed digest differs from the scanned digest", "severity": "CRITICAL", "enforcement": "deny", "practice": "Deploy exactly the image that was scanned"},
	"registry_not_allowed": {"title": "Registry not allowed", "severity": "HIGH", "enforcement": "deny", "practice": "Pull images only from trusted registries"},
	"base_image_not_allowed": {"title": "Base image not allowed", "severity": "HIGH", "enforcement": "deny", "practice": "Build on approved base images"},
	"non_minimal_base_image": {"title": "Base image is not minimal", "severity": "LOW", "enforcement": "warn", "practice": "Prefer distroless or minimal base images"},
	"vulnerability_severity": {"title": "Vulnerability above the severity threshold", "severity": "HIGH", "enforcement": "deny", "practice": "Gate on vulnerability severity and fix availability"},
	"vulnerability_age": {"title": "Vulnerability older than allowed", "severity": "HIGH", "enforcement": "deny", "practice": "Fix known vulnerabilities within a deadline"},
	"vulnerability_denylist": {"title": "Denylisted vulnerability", "severity": "CRITICAL", "enforcement": "deny", "practice": "Block specific known-exploited vulnerabilities"},
	"run_as_root": {"title": "Container runs as root", "severity": "HIGH", "enforcement": "deny", "practice": "Run containers as a non-root user"},
	"forbidden_port": {"title": "Forbidden port exposed", "severity": "MEDIUM", "enforcement": "deny", "practice": "Do not expose remote-administration ports"},
	"image_size": {"title": "Image larger than allowed", "severity": "LOW", "enforcement": "warn", "practice": "Keep images small to reduce attack surface"},
	"add_from_url": {"title": "ADD from a URL", "severity": "MEDIUM", "enforcement": "deny", "practice": "Fetch remote files with verified downloads, not ADD"},
	"sensitive_file_copy": {"title": "Sensitive file copied into the image", "severity": "HIGH", "enforcement": "deny", "practice": "Keep credentials and keys out of images"},
	"add_instead_of_copy": {"title": "ADD for plain files", "severity": "LOW", "enforcement": "warn", "practice": "Use COPY for local files; keep ADD for archives"},
	"pipe_to_shell": {"title": "Download piped into a shell", "severity": "HIGH", "enforcement": "deny", "practice": "Fetch remote files with verified downloads, not ADD"},
	"sudo_in_run": {"title": "sudo in RUN", "severity": "MEDIUM", "enforcement": "warn", "practice": "Keep unneeded tools out of runtime images"},
	"shell_form_entrypoint": {"title": "Shell-form CMD or ENTRYPOINT", "severity": "LOW", "enforcement": "warn", "practice": "Build images that stop cleanly and need no shell"},
	"secret_in_dockerfile": {"title": "Secret in the Dockerfile", "severity": "CRITICAL", "enforcement": "deny", "practice": "Keep credentials and keys out of images"},
	"secret_in_env": {"title": "Secret in the image environment", "severity": "CRITICAL", "enforcement": "deny", "practice": "Keep credentials and keys out of images"},
	"scanner_secret": {"title": "Secret found by the scanner", "severity": "HIGH", "enforcement": "deny", "practice": "Keep credentials and keys out of images"},
	"blocked_package": {"title": "Blocked package installed", "severity": "MEDIUM", "enforcement": "deny", "practice": "Keep unneeded tools out of runtime images"},
}

severity_rank := {"UNKNOWN": 0, "NEGLIGIBLE": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}

# Defaults for every key the rules read, so the library works with no data at
# all; bundle data is merged over them key by key (object.union is recursive,
# lists are replaced whole).
defaults := {
	"rules": {},
	"environments": [],
	"default_environment": "",
	"images": {
		"mutable_tags": ["latest"],
		"require_base_image_digest": false,
		"allowed_registries": [],
		"allowed_base_images": [],
		"minimal_base_images": [
			"scratch",
			"gcr.io/distroless/*",
			"cgr.dev/chainguard/*",
		],
	},
	"vulnerabilities": {
		"ignore_statuses": ["not_affected"],
		"denylist": [],
	},
	"image_config": {
		"forbidden_ports": [22],
		"max_size_bytes": 0,
	},
	"dockerfile": {"sensitive_files": []},
	"secrets": {"patterns": []},
	"packages": {"blocked": []},
	"exceptions": [],
}

default user_settings := {}

user_settings := data.portcullis.scan.settings

settings := object.union(defaults, user_settings)

# Where the image runs, from --metadata or the workload's namespace; null when unknown.
environment := lower(input.metadata.environment) if is_string(input.metadata.environment)

namespace := input.metadata.namespace if is_string(input.metadata.namespace)

# Profiles are tried in order; the first whose match block fits wins. Without
# a match, the profile named by default_environment applies (fail closed:
# name the strict profile there), else no profile (no thresholds).
matching_profiles := [i | some i, p in settings.environments; profile_matches(p)]

default profile := {"name": "none"}

profile := settings.environments[matching_profiles[0]] if {
	count(matching_profiles) > 0
} else := p if {
	some p in settings.environments
	p.name == settings.default_environment
}

profile_matches(p) if {
	some name in object.get(p, ["match", "environments"], [])
	lower(name) == environment
}

profile_matches(p) if {
	some pattern in object.get(p, ["match", "namespaces"], [])
	globs.match(pattern, namespace)
}

# The mode of each rule: the profile's override, else the global setting,
# else the catalog default.
enforcement[rule] := mode_of(rule, entry) if some rule, entry in catalog

mode_of(rule, entry) := mode if {
	mode := profile.rules[rule].enforcement
} else := mode if {
	mode := settings.rules[rule].enforcement
} else := entry.enforcement

severity[rule] := severity_of(rule, entry) if some rule, entry in catalog

severity_of(rule, entry) := level if {
	level := settings.rules[rule].severity
} else := entry.severity

enabled(rule) if enforcement[rule] != "off"

# A rule's mode caps the mode a threshold asks for: a rule in warn mode never
# denies, a rule in deny mode gives each threshold the mode it names.
capped(rule, wanted) := "warn" if {
	"warn" in {enforcement[rule], wanted}
} else := "deny"

# deny wins over warn when several thresholds match one finding.
strongest(modes) := "deny" if {
	"deny" in modes
} else := "warn"

# A finding of a catalog rule with the fields every finding carries. Fields
# given as null are left out (the decision has no nulls); building the object
# as a literal and removing keys only when needed keeps this cheap under Wasm,
# where object.union costs far more than a literal.
finding(rule, fields) := compact(object.union(
	{
		"rule": rule,
		"severity": severity[rule],
		"enforcement": enforcement[rule],
		"title": catalog[rule].title,
		"practice": catalog[rule].practice,
	},
	fields,
))

compact(obj) := object.remove(obj, {key | obj[key] == null}) if {
	some value in obj
	value == null
} else := obj

# Decimal text of an integer. format_int in OPA's Wasm runtime takes only
# 32-bit values (it aborts with "strings: get uint failed" on an image of
# 2 GiB or more, or a line number a report gives as 2^40); sprintf has no
# such limit but costs a call to the host, so it is used only beyond 32 bits.
integer_text(n) := format_int(n, 10) if {
	n >= -2147483648
	n < 2147483648
} else := sprintf("%d", [n])
