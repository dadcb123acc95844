#!/usr/bin/env bash
# The integration test of this configuration against the LKPS emulator, as one pipeline step (guide
# "Testing your configuration"): seed the emulator with your own IDs, start it, wait for its exports,
# run `terraform test`, stop it. Run it from this directory. Needs terraform (or TERRAFORM=/path) and
# lkps-emulator (or LKPS_EMULATOR=/path), from the release archive lkps-emulator_<version>_<os>_<arch>.tar.gz.
set -euo pipefail
TERRAFORM=${TERRAFORM:-terraform}
LKPS_EMULATOR=${LKPS_EMULATOR:-lkps-emulator}

# The IDs of terraform.tfvars: your agent and your clients.
AGENT=2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e01
CLIENTS=(2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e02 2c9e5a10-7b3d-4f8e-9a61-5d2f0c4b8e03)

work=$(mktemp -d)
client_flags=()
for c in "${CLIENTS[@]}"; do client_flags+=(--client "$c"); done

# 1. A seed with your IDs: a deployer that owns the agent and holds Application.ReadWrite.OwnedBy, the
#    agent and the clients, all on every route's Client Access List.
"$LKPS_EMULATOR" seed --agent "$AGENT" "${client_flags[@]}" -o "$work/seed.json"

# 2. Start the emulator in the background; it writes its export lines to --env-file once it listens.
"$LKPS_EMULATOR" --seed "$work/seed.json" --cert-dir "$work/certs" --env-file "$work/emulator.env" \
	--log-level warn >"$work/emulator.log" 2>&1 &
emulator_pid=$!
# 5. Stop it (by its PID) however the step ends.
trap 'kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null; rm -rf "$work"' EXIT

# 3. Wait for the exports: the file is complete when its last line, "# stop it with: kill <pid>", is there.
for _ in $(seq 1 100); do
	grep -q '^# stop it with' "$work/emulator.env" 2>/dev/null && break
	kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
	sleep 0.1
done
grep -q '^# stop it with' "$work/emulator.env" || { echo "the emulator did not start within 10 s" >&2; cat "$work/emulator.log" >&2; exit 1; }
# LKPS_*, ARM_* and SSL_CERT_FILE now point the provider at the emulator.
# shellcheck disable=SC1091
. "$work/emulator.env"
# The emulator's Graph has no replication lag (unless told otherwise): the provider need not wait for one.
export LKPS_GRAPH_REPLICATION_LAG=0s

# 4. The test: real run blocks against the emulator; terraform test destroys what they created.
"$TERRAFORM" init -input=false -no-color >"$work/init.log" || { cat "$work/init.log" >&2; exit 1; }
"$TERRAFORM" test -no-color -filter=tests/integration.tftest.hcl
