#!/usr/bin/env bash
# Read-only probe of a live cluster for what this program requires of it and cannot enforce itself
# (docs/conformance.md, "Required of the cluster"). It only gets and lists (kubectl get, version,
# api-resources, and the kubelet's configz through the API server's node proxy); it changes nothing.
#
#   tools/cluster-probe.sh [--context NAME] [--platform-namespace platform]
#
# Exit status: 0 when every requirement holds, 1 when any fails, 2 on bad usage or no kubectl.
# Needs: kubectl, jq; and read access to nodes, nodes/proxy (configz), namespaces, pods in
# kube-system, storageclasses, priorityclasses, validatingadmissionpolicies and their bindings.
set -uo pipefail

CONTEXT=()
PLATFORM_NS=platform
while [ $# -gt 0 ]; do
  case "$1" in
    --context) CONTEXT=(--context "$2"); shift 2 ;;
    --platform-namespace) PLATFORM_NS="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq not found" >&2; exit 2; }

k() { kubectl "${CONTEXT[@]}" --request-timeout=20s "$@"; }
failures=0
pass() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1"; failures=$((failures + 1)); }
warn() { printf 'warn  %s\n' "$1"; }

# R1. Kubernetes 1.30 or later: ValidatingAdmissionPolicy is GA (admissionregistration.k8s.io/v1).
minor=$(k version -o json 2>/dev/null | jq -r '.serverVersion.minor // empty' | tr -dc '0-9')
major=$(k version -o json 2>/dev/null | jq -r '.serverVersion.major // empty' | tr -dc '0-9')
if [ -n "$minor" ] && { [ "${major:-0}" -gt 1 ] || [ "$minor" -ge 30 ]; }; then pass "R1 API server ${major}.${minor} serves ValidatingAdmissionPolicy v1"; else fail "R1 API server ${major:-?}.${minor:-?}: ValidatingAdmissionPolicy v1 needs 1.30 or later"; fi
if k api-resources --api-group=admissionregistration.k8s.io -o name 2>/dev/null | grep -qx 'validatingadmissionpolicies.admissionregistration.k8s.io'; then pass "R1 validatingadmissionpolicies are served"; else fail "R1 validatingadmissionpolicies are not served"; fi

# R2. The program's admission policies and their bindings are in place (after the first update).
policies=$(k get validatingadmissionpolicies -o json 2>/dev/null | jq -r '[.items[].metadata.name | select(startswith("tenancy-"))] | length')
bindings=$(k get validatingadmissionpolicybindings -o json 2>/dev/null | jq -r '[.items[].metadata.name | select(startswith("tenancy-"))] | length')
if [ "${policies:-0}" -ge 7 ] && [ "${bindings:-0}" -ge 7 ]; then pass "R2 ${policies} tenancy admission policies, ${bindings} bindings"; else fail "R2 tenancy admission policies/bindings missing (${policies:-0}/${bindings:-0}, expected at least 7/7)"; fi

# R3. A CNI that enforces NetworkPolicy (default deny means nothing without one). Read-only, this
# can only be recognised by the CNI's pods; flannel alone does not enforce policies.
cni=$(k get pods -n kube-system -o json 2>/dev/null | jq -r '[.items[].metadata.labels // {} | to_entries[] | .value] | map(select(test("^(calico-node|cilium|cilium-agent|antrea-agent|kube-router|weave-net|canal|kube-ovn-cni)$"))) | unique | join(",")')
if [ -n "$cni" ]; then pass "R3 NetworkPolicy-enforcing CNI found: $cni (prove it with a deny test in a scratch namespace)"; else fail "R3 no NetworkPolicy-enforcing CNI recognised in kube-system (calico, cilium, antrea, kube-router, weave, canal, kube-ovn)"; fi

# R4. Kubelet PID limits on every node: one tenant's fork bomb must not take a node's PIDs.
nodes=$(k get nodes -o jsonpath='{.items[*].metadata.name}' 2>/dev/null)
[ -n "$nodes" ] || fail "R4 cannot list nodes"
for node in $nodes; do
  pids=$(k get --raw "/api/v1/nodes/${node}/proxy/configz" 2>/dev/null | jq -r '.kubeletconfig.podPidsLimit // -1')
  if [ -n "$pids" ] && [ "$pids" -gt 0 ] 2>/dev/null; then pass "R4 node ${node}: podPidsLimit ${pids}"; else fail "R4 node ${node}: podPidsLimit unset or unlimited (${pids:-unreadable})"; fi
done

# R5. StorageClasses delete what a tenant released (Retain keeps volumes, outside every quota).
classes=$(k get storageclasses -o json 2>/dev/null | jq -r '.items[] | "\(.metadata.name) \(.reclaimPolicy // "Delete")"')
while read -r name policy; do
  [ -n "$name" ] || continue
  if [ "$policy" = "Delete" ]; then pass "R5 StorageClass ${name}: reclaimPolicy Delete"; else fail "R5 StorageClass ${name}: reclaimPolicy ${policy}"; fi
done <<< "$classes"

# R6. No global default PriorityClass above zero (it would give every tenant pod its priority).
defaults=$(k get priorityclasses -o json 2>/dev/null | jq -r '[.items[] | select(.globalDefault == true and (.value // 0) > 0) | .metadata.name] | join(",")')
if [ -z "$defaults" ]; then pass "R6 no global default PriorityClass above 0"; else fail "R6 global default PriorityClass above 0: ${defaults}"; fi

# R7. Pod Security admission labels on every tenant namespace (the built-in admission enforces them).
bad=$(k get namespaces -l tenancy.serviceradar.io/tenant -o json 2>/dev/null | jq -r '[.items[] | select(.metadata.labels["pod-security.kubernetes.io/enforce"] != "restricted") | .metadata.name] | join(",")')
if [ -z "$bad" ]; then pass "R7 every tenant namespace enforces Pod Security restricted"; else fail "R7 tenant namespaces not enforcing restricted: ${bad}"; fi

# R8. Cluster DNS carries the labels tenant egress allows (k8s-app=kube-dns in kube-system).
if [ "$(k get pods -n kube-system -l k8s-app=kube-dns -o name 2>/dev/null | wc -l)" -gt 0 ]; then pass "R8 kube-dns pods labelled k8s-app=kube-dns"; else fail "R8 no kube-system pod labelled k8s-app=kube-dns (set tenancy:dnsPodLabels)"; fi

# R9. The platform namespace denies by default.
if k get networkpolicy default-deny -n "$PLATFORM_NS" -o name >/dev/null 2>&1; then pass "R9 ${PLATFORM_NS} has NetworkPolicy default-deny"; else fail "R9 ${PLATFORM_NS} has no NetworkPolicy default-deny"; fi

# R10. Nodes report ephemeral storage (so its requests and limits are scheduled and enforced).
missing=$(k get nodes -o json 2>/dev/null | jq -r '[.items[] | select(.status.allocatable["ephemeral-storage"] == null) | .metadata.name] | join(",")')
if [ -z "$missing" ]; then pass "R10 every node reports allocatable ephemeral-storage"; else warn "R10 nodes without allocatable ephemeral-storage: ${missing}"; fi

if [ "$failures" -gt 0 ]; then echo "${failures} requirement(s) not met"; exit 1; fi
echo "every requirement met"
