#!/usr/bin/env bash
# The README's demo (`make demo`): the lkps provider onboards an agent end to end against the local
# emulator, and the script proves that the result is what LKPS enforces. The provider is installed as
# users install it: the release archive (`make dist`, host platform only) laid out as a filesystem
# mirror (`make install-mirror`) and installed by a plain `terraform init`. Needs Go and Terraform
# >= 1.11 (TERRAFORM names the binary; default: terraform on PATH). Exits non-zero when any step
# misbehaves. It applies examples/demo/main.tf, which calls the module examples/modules/agent-onboarding,
# from a copy in bin/demo/ that it leaves behind (logs, outputs.txt, the saved plan, the state) to look at.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEMO=$ROOT/examples/demo
TERRAFORM=${TERRAFORM:-terraform}
MIRROR=$ROOT/bin/mirror
VERSION=${DIST_VERSION:-$("$ROOT/.ci/version")} # the version `make dist` gives the archive (from git: .ci/version)
START_NS=$(date +%s%N)

# Identities of seed.json (public test values that exist only inside the emulator).
AGENT=d3e40000-0000-4000-8000-000000000002
AGENT_SECRET=demo-agent-secret
FRONTEND=d3e40000-0000-4000-8000-000000000003
FRONTEND_SECRET=demo-frontend-secret
PARTNER=d3e40000-0000-4000-8000-000000000004
PARTNER_SECRET=demo-partner-secret

# Everything of a run stays in bin/demo (replaced by the next run): the copy of the configuration, the
# logs, the outputs and the state.
WORK=$ROOT/bin/demo
rm -rf "$WORK"
mkdir -p "$WORK"
EMULATOR_PID=""

cleanup() {
	local status=$?
	if [[ -n $EMULATOR_PID ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
		kill -TERM "$EMULATOR_PID" 2>/dev/null || true
		wait "$EMULATOR_PID" 2>/dev/null || true
	fi
	rm -f "$WORK/terraformrc"
	exit "$status"
}
trap cleanup EXIT

# fail prints what went wrong and the end of a log, and stops the demo.
fail() {
	echo
	echo "DEMO FAILED: $1" >&2
	if [[ -n ${2:-} && -f $2 ]]; then
		echo "--- last lines of $(basename "$2") ---" >&2
		tail -n 40 "$2" >&2
	fi
	exit 1
}

# tf runs terraform in the work directory, logging to $WORK/<log>.log; it returns terraform's status.
tf() {
	local log=$1
	shift
	(cd "$TFDIR" && "$TERRAFORM" "$@" -no-color -input=false >"$WORK/$log.log" 2>&1)
}

step() { printf '%s\n' "$*"; }

echo "LKPS provider demo: onboard an agent against the local emulator (nonprod/eu)"
echo "configuration: examples/demo/main.tf with the module examples/modules/agent-onboarding (copied to bin/demo/examples)"

# The configuration and the module it calls, laid out as in the repository so that the module's relative
# source resolves.
TFDIR=$WORK/examples/demo
mkdir -p "$TFDIR" "$WORK/examples/modules"
# The mirror may hold other builds too (every commit builds its own version, .ci/version): the copy pins
# this one, as a user pins a development build (constraints such as ~> 0.1 never select a pre-release).
awk -v v="$VERSION" '{print} /^      source = "bayer\/lkps"$/ {print "      version = \"" v "\""}' "$DEMO/main.tf" >"$TFDIR/main.tf"
grep -q "^      version = \"$VERSION\"\$" "$TFDIR/main.tf" || fail "could not pin bayer/lkps $VERSION in the demo's copy of main.tf"
cp -R "$ROOT/examples/modules/agent-onboarding" "$WORK/examples/modules/"

# Terraform installs bayer/lkps from the filesystem mirror only (as a user's CLI configuration would,
# see the README), and never phones home.
cat >"$WORK/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/bayer/lkps", "registry.opentofu.org/bayer/lkps"]
  }
  direct {
    exclude = ["registry.terraform.io/bayer/lkps", "registry.opentofu.org/bayer/lkps"]
  }
}
EOF
export TF_CLI_CONFIG_FILE=$WORK/terraformrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# 1. Build the release archive into the mirror, and the emulator; install the provider with init.
command -v "$TERRAFORM" >/dev/null || fail "terraform not found (set TERRAFORM=/path/to/terraform)"
mkdir -p "$ROOT/bin"
make -C "$ROOT" --no-print-directory install-mirror DIST_HOST_ONLY=1 DIST_VERSION="$VERSION" MIRROR_DIR="$MIRROR" \
	>"$WORK/build.log" 2>&1 || fail "make install-mirror failed" "$WORK/build.log"
(cd "$ROOT" && go build -o bin/lkps-emulator ./cmd/lkps-emulator &&
	go build -o "$WORK/democlient" ./examples/demo/democlient) >>"$WORK/build.log" 2>&1 || fail "go build failed" "$WORK/build.log"
platform=$(go env GOOS)_$(go env GOARCH)
tf init init || fail "terraform init did not install bayer/lkps from the mirror" "$WORK/init.log"
lock=$TFDIR/.terraform.lock.hcl
{ grep -Eq '^provider "registry\.(terraform\.io|opentofu\.org)/bayer/lkps"' "$lock" &&
	grep -q "version *= \"$VERSION\"" "$lock" && grep -q '"h1:' "$lock"; } 2>/dev/null ||
	fail "terraform init did not record bayer/lkps $VERSION with its checksum in .terraform.lock.hcl" "$WORK/init.log"
step " 1. built the release archive terraform-provider-lkps_${VERSION}_${platform}.zip (make dist) into a filesystem"
step "    mirror (make install-mirror); terraform init installed it and locked its checksum ($("$TERRAFORM" version | head -n 1))"

# 2. Start the emulator with the demo's seed and load its export lines.
"$ROOT/bin/lkps-emulator" --seed "$DEMO/seed.json" --cert-dir "$WORK/certs" --env-file "$WORK/emulator.env" \
	--log-level warn >"$WORK/emulator.log" 2>&1 &
EMULATOR_PID=$!
ready() { grep -q '^export SSL_CERT_FILE=' "$WORK/emulator.env" 2>/dev/null; }
for _ in $(seq 1 300); do
	ready && break
	kill -0 "$EMULATOR_PID" 2>/dev/null || fail "the emulator exited at start" "$WORK/emulator.log"
	sleep 0.1
done
ready || fail "the emulator did not start within 30 s" "$WORK/emulator.log"
# shellcheck disable=SC1091
source "$WORK/emulator.env"
step " 2. started the emulator at $LKPS_AUTHORITY_HOST (pid $EMULATOR_PID): Entra ID, Graph, Ocelot and LKPS"

# The agent's secret reaches Terraform through an ephemeral, sensitive variable: never in the
# configuration, the state or a saved plan.
export TF_VAR_agent_client_secret=$AGENT_SECRET

# 3. Apply: environment lookup, scope, pre-authorized client, registration, and the check block.
tf apply apply -auto-approve || fail "terraform apply failed" "$WORK/apply.log"
grep -q "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." "$WORK/apply.log" ||
	fail "terraform apply did not create exactly the scope, the pre-authorization and the registration" "$WORK/apply.log"
if grep -q "Check block assertion failed" "$WORK/apply.log"; then
	fail "the check block says LKPS would refuse the frontend" "$WORK/apply.log"
fi
if grep -q "LKPS Would Refuse Every Session Start" "$WORK/apply.log"; then
	fail "the registration warned that every session would be refused" "$WORK/apply.log"
fi
scope_id=$(cd "$TFDIR" && "$TERRAFORM" output -raw scope_id)
livekit_url=$(cd "$TFDIR" && "$TERRAFORM" output -raw livekit_url)
(cd "$TFDIR" && "$TERRAFORM" output -no-color) >"$WORK/outputs.txt" || fail "terraform output failed"
verdict=$(cd "$TFDIR" && "$TERRAFORM" output -json client_verdicts)
[[ $verdict == *'"authorized":true'* ]] || fail "the module's client_verdicts output does not authorize the frontend: $verdict"
step " 3. terraform apply: scope access_as_client ($scope_id), frontend pre-authorized, agent registered"
step "    as the agent with enforce_client_authz = true (livekit_url $livekit_url); check block passed"
step "    the module's per-client verdicts (output client_verdicts): $verdict"
step "    LKPS environments through Terraform (lkps_environments): route, LKPS base URL, LiveKit URL:"
(cd "$TFDIR" && "$TERRAFORM" output -raw environment_table) || fail "terraform output environment_table failed"
printf '\n'

# 4. What LKPS does now: a session for each client, through the Ocelot gateway.
step " 4. POST /api/session/start through Ocelot, as each client:"
"$WORK/democlient" session -name "web frontend" -client-id "$FRONTEND" -client-secret "$FRONTEND_SECRET" \
	-agent "$AGENT" -expect 200 || fail "the authorized frontend did not get a session"
"$WORK/democlient" session -name "partner tool" -client-id "$PARTNER" -client-secret "$PARTNER_SECRET" \
	-agent "$AGENT" -expect 403:client_not_preauthorized || fail "the partner tool was not refused as not pre-authorized"

# 5. Plan again, saving the plan as a pipeline does: nothing to change, and no secret in the file.
set +e
tf plan plan -detailed-exitcode -out=tfplan
plan_status=$?
set -e
[[ $plan_status -eq 0 ]] || fail "terraform plan after apply exited with $plan_status, expected 0 (no changes)" "$WORK/plan.log"
(cd "$TFDIR" && "$TERRAFORM" show -json tfplan >"$WORK/show.json") || fail "terraform show -json tfplan failed"
step " 5. terraform plan -detailed-exitcode -out=tfplan: no changes (exit code 0); the saved plan file:"
"$WORK/democlient" scan-plan -plan "$TFDIR/tfplan" -show "$WORK/show.json" -secret "$AGENT_SECRET" \
	-secret "$ARM_CLIENT_SECRET" || fail "the saved plan holds a secret or a token"

# 6. Destroy: LKPS keeps the registration (the provider says so), but removing the scope revokes access.
tf destroy destroy -auto-approve || fail "terraform destroy failed" "$WORK/destroy.log"
grep -q "Destroy complete! Resources: 3 destroyed." "$WORK/destroy.log" || fail "terraform destroy did not destroy 3 resources" "$WORK/destroy.log"
grep -q "The Agent Stays Registered with LKPS" "$WORK/destroy.log" ||
	fail "destroying the registration did not warn that LKPS keeps it" "$WORK/destroy.log"
step " 6. terraform destroy: 3 destroyed; warned that LKPS keeps the registration; the frontend is now refused:"
"$WORK/democlient" session -name "web frontend" -client-id "$FRONTEND" -client-secret "$FRONTEND_SECRET" \
	-agent "$AGENT" -expect 403:scope_missing || fail "the frontend was not refused after destroy"

# 7. What it cost.
step " 7. HTTP requests the emulator served, per service:"
"$WORK/democlient" counters || fail "could not read the emulator's counters" "$WORK/emulator.log"

kill -TERM "$EMULATOR_PID" && wait "$EMULATOR_PID" 2>/dev/null || true
EMULATOR_PID=""
elapsed_ms=$((($(date +%s%N) - START_NS) / 1000000))
echo
echo "Proved: Terraform onboarded the agent (scope, pre-authorization, registration made as the agent), LKPS"
echo "starts sessions for the pre-authorized client only, a second plan is empty, and destroy revokes access"
echo "through Entra ID while the LKPS registration stays, as documented."
printf 'Demo passed in %d.%01d s (wall time, including the build).\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100))
echo
echo "Left to look at in ${WORK#"$ROOT/"}/: the configuration it applied (examples/demo/main.tf and the module),"
echo "its terraform output after apply (outputs.txt), the saved plan (examples/demo/tfplan), the state"
echo "(examples/demo/terraform.tfstate, empty after destroy; terraform.tfstate.backup holds the applied one)"
echo "and one log per step (init.log, apply.log, plan.log, destroy.log, emulator.log). The outputs after apply:"
sed 's/^/   /' "$WORK/outputs.txt"
