#!/usr/bin/env bash
# The pipelines' first step: fail in seconds, with the fix, when this runner cannot reach LKPS, instead of
# a connection error in the middle of terraform apply. The LKPS hosts under int.bayer.com resolve and
# answer only inside Bayer's network, so GitHub-hosted runners and Microsoft-hosted agents cannot reach
# them. It checks the name and a TCP connection to the LKPS base URL: LKPS_BASE_URL (the provider's own
# override) when set, else the documented URL of LKPS_ENVIRONMENT and LKPS_REGION.
set -euo pipefail
env=${LKPS_ENVIRONMENT:-nonprod}
region=${LKPS_REGION:-eu}
suffix=-np
[[ $env == prod ]] && suffix=
base=${LKPS_BASE_URL:-https://${region}-livekit-platform-service${suffix}.int.bayer.com}
hostport=${base#*://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=443
[[ $hostport == *:* ]] && port=${hostport##*:}

fail() {
	local msg="LKPS at $base is not reachable from this runner: $1. The LKPS hosts under int.bayer.com answer only inside Bayer's network: run this job on a self-hosted runner (GitHub Actions: runs-on) or a self-hosted agent pool (Azure DevOps: pool) inside the company network, not on a hosted one; where the network is reached through a proxy, set HTTPS_PROXY (and NO_PROXY for hosts reached directly)."
	if [[ ${GITHUB_ACTIONS:-} == true ]]; then
		echo "::error title=LKPS not reachable::$msg"
	elif [[ -n ${TF_BUILD:-} ]]; then
		echo "##vso[task.logissue type=error]$msg"
	fi
	echo "$msg" >&2
	exit 1
}

tcp() { timeout 10 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

proxy=${HTTPS_PROXY:-${https_proxy:-}}
if [[ -n $proxy && ,${NO_PROXY:-${no_proxy:-}}, != *",$host,"* ]]; then
	# Through a proxy the proxy resolves the name: check that the proxy answers.
	p=${proxy#*://}
	p=${p##*@}
	p=${p%%/*}
	phost=${p%:*}
	pport=3128
	[[ $p == *:* ]] && pport=${p##*:}
	tcp "$phost" "$pport" || fail "the proxy $phost:$pport of HTTPS_PROXY does not accept a connection within 10 s"
	echo "LKPS at $base is reached through the proxy $phost:$pport, which accepts connections."
	exit 0
fi
getent hosts "$host" >/dev/null || fail "the name $host does not resolve"
tcp "$host" "$port" ||
	fail "$host resolves, but port $port does not accept a connection within 10 s (a firewall, or a proxy is needed)"
echo "LKPS at $base is reachable from this runner ($host:$port)."
