/**
 * A bad edge kubeconfig (secret stack config) stops the program like a bad tenant file: one
 * problem naming the key and field, the secret never in the message, nothing declared. Its own
 * file: the offline engine runs once per process.
 */
import { describe, expect, it } from "vitest";
import { OfflineRunError, runOffline } from "../../engine/offline";
import { ValidationError } from "../../model/problems";
import { goodTenant, tenantsDir, yamlOf } from "../support/fixtures";
import { edgeKubeconfig } from "../support/kubeconfig";

describe("a bad edge kubeconfig", () => {
  it("stops the program before anything is declared, naming the field and never the secret", async () => {
    const token = "edge-token-must-not-leak-5c1d";
    const tenant = { ...goodTenant("good"), edge: { cluster: "site-a" } };
    const error = await runOffline({
      config: {
        "tenancy:tenantsDir": tenantsDir({ "good.yaml": yamlOf(tenant) }),
        "tenancy:natsHubPublicDnsNames": JSON.stringify(["nats.example.net"]),
        "tenancy:edgeClusterPodCidrs": JSON.stringify({ "site-a": ["10.42.0.0/16"] }),
        "tenancy:edgeKubeconfig-site-a": edgeKubeconfig(token, (d) => (d.users[0].user.exec = { command: "/bin/sh" })),
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OfflineRunError);
    const { cause, registrations } = error as OfflineRunError;
    expect((cause as Error).name).toBe(ValidationError.name);
    expect((cause as ValidationError).problems.map((p) => `${p.file}: ${p.path}`)).toEqual(["stack config: tenancy:edgeKubeconfig-site-a.users[0].user.exec"]);
    expect((cause as Error).message).not.toContain(token);
    expect(registrations.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
