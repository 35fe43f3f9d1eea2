# METADATA
# title: Blocked packages
# description: >-
#   Packages that must not be in an image, matched by name against
#   packages.blocked (exact names or globs).
# custom:
#   practice: Keep unneeded tools out of runtime images
#   severity: MEDIUM
package portcullis.scan.packages

import data.portcullis.scan.config
import data.portcullis.scan.globs

# Every rule module names its findings `findings`, which the decision joins.
# regal ignore:pointless-reassignment
findings := blocked_package

blocked := config.settings.packages.blocked

# Exact names are a set lookup; only entries with glob characters are matched
# one by one, so a long package list stays cheap.
blocked_names contains name if {
	some name in blocked
	not is_glob(name)
}

blocked_globs := [{"pattern": pattern, "prefix": literal_prefix(pattern)} | some pattern in blocked; is_glob(pattern)]

is_glob(pattern) if {
	some c in ["*", "?", "[", "{"]
	contains(pattern, c)
}

# The part of a glob before its first special character: a cheap startswith
# rules out most names before glob.match, which is costly under Wasm.
literal_prefix(pattern) := substring(pattern, 0, first_special_index(pattern))

first_special_index(pattern) := min([i | some c in ["*", "?", "[", "{"]; i := indexof(pattern, c); i >= 0])

blocked_name(name) if name in blocked_names

blocked_name(name) if {
	some g in blocked_globs
	startswith(name, g.prefix)
	globs.match(g.pattern, name)
}

# Installed packages: the SBOM list when the report has one, and the packages
# vulnerabilities are reported in; the set keeps one finding per package.
hits contains {"name": p.name, "version": p.version, "class": p.class} if {
	some p in input.packages
	blocked_name(p.name)
}

hits contains {"name": v.package.name, "version": v.installed_version, "class": v.package.class} if {
	count(blocked) > 0
	some v in input.vulnerabilities
	blocked_name(v.package.name)
}

# METADATA
# title: Blocked package installed
# description: >-
#   The image contains a package named in packages.blocked (for example
#   shells, compilers or network tools in a runtime image).
# custom:
#   practice: Keep unneeded tools out of runtime images
#   severity: MEDIUM
blocked_package contains config.finding("blocked_package", {
	"message": concat("", [p.class, " package ", p.name, " ", p.version, " is blocked (packages.blocked)"]),
	"package": p.name,
	"installed_version": p.version,
	"image": input.image.ref,
}) if {
	config.enabled("blocked_package")
	some p in hits
}
