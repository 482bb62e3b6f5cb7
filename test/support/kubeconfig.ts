/**
 * A kubeconfig as a least-privilege ServiceAccount's token gives it (docs/edge.md): one cluster with
 * its CA inline, one user with a bearer token, one context. Tests derive bad ones from it.
 */
import { stringify } from "yaml";

/** A CA certificate block, base64-encoded as kubeconfigs carry it (its content is never parsed as X.509 by the check). */
export const CA_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUEdgeClusterCA\n-----END CERTIFICATE-----\n").toString("base64");

export function edgeKubeconfig(token: string, edit?: (doc: Record<string, any>) => void): string {
  const doc: Record<string, any> = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "edge", cluster: { server: "https://edge.example.net:6443", "certificate-authority-data": CA_DATA } }],
    users: [{ name: "tenancy-deployer", user: { token } }],
    contexts: [{ name: "edge", context: { cluster: "edge", user: "tenancy-deployer" } }],
    "current-context": "edge",
  };
  edit?.(doc);
  return stringify(doc);
}
