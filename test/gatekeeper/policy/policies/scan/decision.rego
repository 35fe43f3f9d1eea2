# A stand-in for the image policy library in the admission tests: the same
# decision contract (src/report/model.ts) over the normalized input, with a
# few rules whose outcome depends on the admission context: mutable tags,
# digests and registries of the deployed containers, and fixable CRITICAL
# vulnerabilities, denied where the namespace's environment is prod and only
# warned elsewhere. Exceptions apply until they expire, then are reported.
package portcullis.scan

cfg := data.portcullis.scan.settings

today := substring(input.now, 0, 10)

prod if input.metadata.environment == "prod"

# Workload rules are relaxed to warnings in dev namespaces.
workload_mode := "warn" if input.metadata.environment == "dev"

else := "deny"

containers contains c if {
	some w in input.workloads
	some c in w.containers
	is_object(c.image_ref)
}

candidates contains {"rule": "mutable_tag", "severity": "HIGH", "enforcement": workload_mode, "image": c.image, "message": concat("", ["image '", c.image, "' uses the mutable tag '", c.image_ref.tag, "'"])} if {
	some c in containers
	c.image_ref.tag in cfg.mutable_tags
}

candidates contains {"rule": "require_digest", "severity": "MEDIUM", "enforcement": workload_mode, "image": c.image, "message": concat("", ["image '", c.image, "' is not pinned by a digest"])} if {
	some c in containers
	c.image_ref.digest == null
}

candidates contains {"rule": "registry_not_allowed", "severity": "HIGH", "enforcement": "deny", "image": c.image, "message": concat("", ["registry '", c.image_ref.registry, "' of image '", c.image, "' is not allowed"])} if {
	some c in containers
	not c.image_ref.registry in cfg.allowed_registries
}

candidates contains {"rule": "vulnerability_severity", "severity": "CRITICAL", "enforcement": vulnerability_mode, "id": v.id, "package": v.package.name, "message": concat("", [v.id, " in ", v.package.name, " is CRITICAL; fixed in ", v.fixed_version])} if {
	some v in input.vulnerabilities
	v.severity == "CRITICAL"
	v.fix_available
}

vulnerability_mode := "deny" if prod

else := "warn"

matches(e, f) if {
	e.rule == f.rule
	object.get(e, "id", f.id) == f.id
	object.get(e, "namespace", input.metadata.namespace) == input.metadata.namespace
}

applied contains {"rule": e.rule, "reason": e.reason, "expires": e.expires, "finding": f} if {
	some e in cfg.exceptions
	some f in candidates
	matches(e, f)
	e.expires >= today
}

expired contains {"rule": e.rule, "reason": e.reason, "expires": e.expires, "id": e.id} if {
	some e in cfg.exceptions
	some f in candidates
	matches(e, f)
	e.expires < today
}

suppressed contains a.finding if some a in applied

kept(mode) := [f | some f in candidates; f.enforcement == mode; not f in suppressed]

verdict := "deny" if count(kept("deny")) > 0

else := "allow"

decision := {
	"decision": verdict,
	"violations": kept("deny"),
	"warnings": kept("warn"),
	"exceptions": [a | some a in applied],
	"expired_exceptions": [e | some e in expired],
}
