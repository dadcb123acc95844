#!/usr/bin/env bash
# Publishes a signed release of terraform-provider-lkps to the private registry of an HCP Terraform or
# Terraform Enterprise organization, as a release job runs it after `make release` (or `make registry`):
#
#   TFE_TOKEN=<team or user API token> TFE_ORGANIZATION=<org> [TFE_HOSTNAME=app.terraform.io] \
#     examples/release/publish-hcp-terraform.sh <dir with the release files> <version>
#
# The directory holds what goreleaser made: terraform-provider-lkps_<version>_SHA256SUMS, its .sig, the
# zips it lists, and the public key as terraform-provider-lkps_<version>_signing-key.asc (make registry
# and .ci/release-build write it; in the release workflow, `gpg --armor --export $GPG_FINGERPRINT`).
# The steps are the documented API's ("Publishing private providers", private registry API):
#   1. create the provider <org>/lkps in the private registry (already there: fine);
#   2. add the GPG public key to the organization's namespace (already there: its key-id is reused);
#   3. create the version with that key-id and the manifest's protocols, and upload SHA256SUMS and
#      SHA256SUMS.sig to the URLs the answer gives;
#   4. for each zip that SHA256SUMS lists, create its platform (os, arch, shasum, filename) and upload the
#      zip to the provider-binary-upload URL.
# Consumers then write source = "<TFE_HOSTNAME>/<org>/lkps": the namespace is the organization.
# Needs curl and python3; the token never appears in the output.
set -euo pipefail
fail() { echo "publish-hcp-terraform: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || fail "usage: TFE_TOKEN=... TFE_ORGANIZATION=... $0 <release dir> <version>"
dir=$1 version=$2
: "${TFE_TOKEN:?set TFE_TOKEN to an API token of a team with Manage Private Registry permission}"
: "${TFE_ORGANIZATION:?set TFE_ORGANIZATION to the organization whose private registry gets the provider}"
host=${TFE_HOSTNAME:-app.terraform.io}
org=$TFE_ORGANIZATION
P=terraform-provider-lkps
sums=$dir/${P}_${version}_SHA256SUMS
for f in "$sums" "$sums.sig" "$dir/${P}_${version}_signing-key.asc" "$dir/${P}_${version}_manifest.json"; do
	[[ -f $f ]] || fail "$f is missing: point at the directory of the release's files (make registry: dist/registry/releases/$version)"
done
(cd "$dir" && sha256sum -c --ignore-missing --quiet "$(basename "$sums")") || fail "a file in $dir does not match $(basename "$sums")"

# api <method> <path> [<json body>]: the API's answer on stdout; fails with the API's errors.
api() {
	local out status
	out=$(mktemp)
	status=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" "https://$host$2" \
		-H "Authorization: Bearer $TFE_TOKEN" -H "Content-Type: application/vnd.api+json" ${3:+--data "$3"}) ||
		{ rm -f "$out"; fail "$1 https://$host$2: no answer (is TFE_HOSTNAME=$host right?)"; }
	if [[ $status != 2* ]]; then
		echo "HTTP $status: $(cat "$out")"
		rm -f "$out"
		return 22
	fi
	cat "$out"
	rm -f "$out"
}
upload() { # upload <file> <url>
	curl -sS --fail-with-body -T "$1" "$2" >/dev/null || fail "uploading $(basename "$1") failed"
}
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# 1. The provider.
if ! out=$(api POST "/api/v2/organizations/$org/registry-providers" \
	"{\"data\":{\"type\":\"registry-providers\",\"attributes\":{\"name\":\"lkps\",\"namespace\":\"$org\",\"registry-name\":\"private\"}}}"); then
	api GET "/api/v2/organizations/$org/registry-providers/private/$org/lkps" >/dev/null ||
		fail "could not create the provider $org/lkps: $out"
fi
echo "provider $host/$org/lkps"

# 2. The signing key.
armor=$(cat "$dir/${P}_${version}_signing-key.asc")
body=$(ARMOR=$armor ORG=$org python3 -c 'import json, os; print(json.dumps({"data": {"type": "gpg-keys", "attributes": {"namespace": os.environ["ORG"], "ascii-armor": os.environ["ARMOR"]}}}))')
if out=$(api POST /api/registry/private/v2/gpg-keys "$body"); then
	key_id=$(json 'd["data"]["attributes"]["key-id"]' <<<"$out")
else
	# Already added: find it among the namespace's keys by its armor.
	key_id=$(api GET "/api/registry/private/v2/gpg-keys?filter%5Bnamespace%5D=$org" |
		ARMOR=$armor python3 -c 'import json, os, sys
for k in json.load(sys.stdin)["data"]:
    if k["attributes"]["ascii-armor"].strip() == os.environ["ARMOR"].strip():
        print(k["attributes"]["key-id"]); break') || true
	[[ -n $key_id ]] || fail "could not add the signing key to $org: $out"
fi
echo "signing key $key_id"

# 3. The version, its SHA256SUMS and signature.
protocols=$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["metadata"]["protocol_versions"]))' "$dir/${P}_${version}_manifest.json")
out=$(api POST "/api/v2/organizations/$org/registry-providers/private/$org/lkps/versions" \
	"{\"data\":{\"type\":\"registry-provider-versions\",\"attributes\":{\"version\":\"$version\",\"key-id\":\"$key_id\",\"protocols\":$protocols}}}") ||
	fail "could not create version $version (a version is published once; delete it in the registry to publish it again): $out"
upload "$sums" "$(json 'd["data"]["links"]["shasums-upload"]' <<<"$out")"
upload "$sums.sig" "$(json 'd["data"]["links"]["shasums-sig-upload"]' <<<"$out")"
echo "version $version (protocols $protocols): SHA256SUMS and signature uploaded"

# 4. One platform per zip.
while read -r shasum name; do
	[[ $name =~ ^${P}_${version}_([a-z0-9]+)_([a-z0-9]+)\.zip$ ]] || continue
	os=${BASH_REMATCH[1]} arch=${BASH_REMATCH[2]}
	[[ -f $dir/$name ]] || fail "$name is listed in SHA256SUMS but not in $dir"
	out=$(api POST "/api/v2/organizations/$org/registry-providers/private/$org/lkps/versions/$version/platforms" \
		"{\"data\":{\"type\":\"registry-provider-version-platforms\",\"attributes\":{\"os\":\"$os\",\"arch\":\"$arch\",\"shasum\":\"$shasum\",\"filename\":\"$name\"}}}") ||
		fail "could not create platform ${os}_$arch: $out"
	upload "$dir/$name" "$(json 'd["data"]["links"]["provider-binary-upload"]' <<<"$out")"
	echo "platform ${os}_$arch: $name uploaded"
done <"$sums"
echo "published: source = \"$host/$org/lkps\", version = \"$version\""
