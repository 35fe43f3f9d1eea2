package portcullis.scan.globs_test

import data.portcullis.scan.globs

cases := [
	["docker.io", "docker.io", true],
	["docker.io", "docker.io/library/nginx", false],
	["", "", true],
	["prod-*", "prod-", true],
	["prod-*", "prod-eu.west/1:a", true],
	["prod-*", "staging-prod", false],
	["*-prod", "payments-prod", true],
	["*-prod", "payments-prod-2", false],
	["*/acme/*", "ghcr.io/acme/api:1.0", true],
	["*/acme/*", "ghcr.io/other/api", false],
	["*", "", true],
	["**", "anything/at:all", true],
	["*.dkr.ecr.*.amazonaws.com", "1234.dkr.ecr.eu-west-1.amazonaws.com", true],
	["*.dkr.ecr.*.amazonaws.com", "1234.dkr.ecr.eu-west-1.example.com", false],
	["netcat-?", "netcat-o", true],
	["netcat-[ot]*", "netcat-traditional", true],
	["{nc,netcat}", "nc", true],
	["a\\*", "a*", true],
	["a\\*", "ab", false],
]

test_fast_paths_agree_with_glob_match if {
	every c in cases {
		globs.match(c[0], c[1]) == c[2]
		glob.match(c[0], null, c[1]) == c[2]
	}
}

test_matches_any if {
	globs.matches_any(["ghcr.io", "*.example.com"], {"registry.example.com", "x"})
	not globs.matches_any(["ghcr.io"], {"docker.io"})
	not globs.matches_any([], {"docker.io"})
}
