#!/usr/bin/env bash
# The deploy jobs push tenant account JWTs to the hub's client port (components/account-push.ts).
# A runner outside the cluster reaches it through `kubectl port-forward`: NATS_HUB_PORT_FORWARD is
# "<namespace>/<service>:<local port>" (e.g. "platform/nats:14222"), and the stack's
# tenancy:natsPushUrls names that local port (["tls://127.0.0.1:14222"]). The hub's certificate is
# still verified, against tenancy:natsPushTlsServerName (default <service>.<namespace>.svc).
# Unset: the runner reaches natsPushUrls directly (a self-hosted runner in the cluster's network).
set -euo pipefail
target="${NATS_HUB_PORT_FORWARD:-}"
if [ -z "$target" ]; then
  echo "NATS_HUB_PORT_FORWARD is not set: pushing to tenancy:natsPushUrls directly"
  exit 0
fi
namespace="${target%%/*}"
rest="${target#*/}"
service="${rest%%:*}"
port="${rest##*:}"
log="${RUNNER_TEMP:-/tmp}/hub-port-forward.log"
# The hub's client port, whatever its number: the Service's port named "nats" (the chart's).
remote="$(kubectl get service --namespace "$namespace" "$service" -o jsonpath='{.spec.ports[?(@.name=="nats")].port}')"
nohup kubectl port-forward --namespace "$namespace" "service/$service" "$port:${remote:-4222}" >"$log" 2>&1 &
for _ in $(seq 1 30); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "hub $namespace/$service reachable on 127.0.0.1:$port"
    exit 0
  fi
  sleep 1
done
cat "$log"
echo "the hub's client port did not come up on 127.0.0.1:$port" >&2
exit 1
