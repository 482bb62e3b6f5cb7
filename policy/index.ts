/**
 * The tenancy isolation policy pack. Run it with `pulumi preview --policy-pack policy` (see
 * docs/policy.md). Constructing a PolicyPack starts the pack's gRPC server: tests import
 * policies.ts and checks/, never this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("tenancy-isolation", {
  policies,
  enforcementLevel: "mandatory",
  description: "Tenant isolation invariants of the tenancy program: namespaces, network policies, quotas, RBAC, CA keys, NATS users and where tenant Secrets live.",
});
