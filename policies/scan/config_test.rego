package portcullis.scan.config_test

import data.portcullis.scan.config
import data.portcullis.scan.fixtures_test as fx

test_defaults_apply_without_data if {
	config.settings.images.mutable_tags == ["latest"]
	config.settings.image_config.forbidden_ports == [22]
	config.profile.name == "none"
	config.enforcement.mutable_tag == "deny"
	config.enforcement.non_minimal_base_image == "warn"
}

test_settings_merge_over_defaults if {
	s := config.settings with data.portcullis.scan.settings as {"images": {"allowed_registries": ["ghcr.io"]}}
	s.images.allowed_registries == ["ghcr.io"]
	s.images.mutable_tags == ["latest"]
}

test_profile_by_environment if {
	p := config.profile with input as fx.input_with({"metadata": fx.metadata("DEV", null)})
		with data.portcullis.scan.settings as fx.prod_settings
	p.name == "dev"
}

test_profile_by_namespace_glob if {
	p := config.profile with input as fx.input_with({"metadata": fx.metadata(null, "prod-payments")})
		with data.portcullis.scan.settings as fx.prod_settings
	p.name == "prod"
}

test_first_matching_profile_wins if {
	p := config.profile with input as fx.input_with({"metadata": fx.metadata("prod", "dev-x")})
		with data.portcullis.scan.settings as fx.prod_settings
	p.name == "prod"
}

test_default_environment_when_nothing_matches if {
	p := config.profile with input as fx.input_with({"metadata": fx.metadata("qa", "qa")})
		with data.portcullis.scan.settings as fx.prod_settings
	p.name == "prod"
}

test_no_profile_without_default if {
	p := config.profile with input as fx.input_with({"metadata": fx.metadata("qa", null)})
		with data.portcullis.scan.settings as object.remove(fx.prod_settings, ["default_environment"])
	p.name == "none"
}

test_enforcement_precedence if {
	settings := object.union(fx.prod_settings, {"rules": {"vulnerability_severity": {"enforcement": "off"}, "mutable_tag": {"enforcement": "warn"}}})
	dev := config.enforcement with input as fx.input_with({"metadata": fx.metadata("dev", null)})
		with data.portcullis.scan.settings as settings
	dev.vulnerability_severity == "warn"
	dev.mutable_tag == "warn"
	prod := config.enforcement with input as fx.input_with({"metadata": fx.metadata("prod", null)})
		with data.portcullis.scan.settings as settings
	prod.vulnerability_severity == "off"
	prod.run_as_root == "deny"
}

test_severity_override if {
	s := config.severity with data.portcullis.scan.settings as {"rules": {"run_as_root": {"severity": "CRITICAL"}}}
	s.run_as_root == "CRITICAL"
	s.mutable_tag == "HIGH"
}

test_enabled if {
	not config.enabled("image_size") with data.portcullis.scan.settings as {"rules": {"image_size": {"enforcement": "off"}}}
	config.enabled("image_size")
}

test_capped if {
	config.capped("mutable_tag", "deny") == "deny"
	config.capped("mutable_tag", "warn") == "warn"
	config.capped("mutable_tag", "deny") == "warn" with data.portcullis.scan.settings as {"rules": {"mutable_tag": {"enforcement": "warn"}}}
}

test_strongest if {
	config.strongest({"warn", "deny"}) == "deny"
	config.strongest({"warn"}) == "warn"
}

test_finding_drops_nulls if {
	f := config.finding("run_as_root", {"message": "m", "image": null})
	f == {"rule": "run_as_root", "message": "m", "severity": "HIGH", "enforcement": "deny", "title": "Container runs as root", "practice": "Run containers as a non-root user"}
}
