#!/usr/bin/env bash
# The isolation policy pack's config for a `pulumi preview`/`pulumi up --policy-pack policy`: the two
# signing-key policies must know the platform namespace (policy/policies.ts, docs/policy.md), which
# is stack config tenancy:platformNamespace (default "platform") of the stack that declares it: the
# stack itself, or for a cell's stack the platform stack (a cell reads its namespace from there).
# Usage: policy-pack-config.sh <stack whose config names the platform namespace> <file to write>
# Logs in to the backend (PULUMI_BACKEND_URL, else Pulumi Cloud with PULUMI_ACCESS_TOKEN), writes
# the file and, under GitHub Actions, the step output file=<file>. A backend that cannot be read
# fails the step: a default is taken only when the stack's config does not set the key.
set -euo pipefail
stack="${1:?usage: policy-pack-config.sh <stack> <file>}"
file="${2:?usage: policy-pack-config.sh <stack> <file>}"
if [ -n "${PULUMI_BACKEND_URL:-}" ]; then pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null; else pulumi login --non-interactive >/dev/null; fi
# Plain values only (secrets are not decrypted without --show-secrets); {"key": {"value": …, "secret": …}}.
config="$(pulumi config --json --non-interactive --stack "$stack")"
namespace="$(printf '%s' "$config" | node -e '
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
    const entry = JSON.parse(text)["tenancy:platformNamespace"];
    const value = entry === undefined ? "platform" : entry.value;
    // A Kubernetes namespace name (RFC 1123 label): anything else is a broken stack file.
    if (typeof value !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
      console.error(`tenancy:platformNamespace of the stack is not a namespace name: ${JSON.stringify(entry)}`);
      process.exit(1);
    }
    process.stdout.write(value);
  });
')"
printf '{"signing-keys-in-platform-namespace":{"platformNamespace":"%s"},"signing-keys-in-platform-namespace-stack":{"platformNamespace":"%s"}}\n' "$namespace" "$namespace" > "$file"
echo "policy pack config for $stack: platformNamespace $namespace ($file)"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "file=$file" >> "$GITHUB_OUTPUT"; fi
