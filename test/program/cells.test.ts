/**
 * A fleet with cells, rendered offline as its stacks would run (docs/cells.md): the example tenants
 * over two cells (cells/cells.yaml; globex and initech name cell b), the platform stack and each cell
 * stack rendered apart, each reading the others' outputs as a StackReference does. Expectations come
 * from the cells file, the tenant files and X.509/JWT facts checked with openssl and the claims.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { EXAMPLES_DIR, REPO } from "../support/fixtures";
import { openssl } from "../support/openssl";
import { RenderFailed, renderSync } from "../support/render";

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const cellsFile = parse(fs.readFileSync(path.join(REPO, "cells/cells.yaml"), "utf8")) as { platform: { stack: string }; defaultCell: string; cells: { name: string; stack: string }[] };
/** Each example tenant's cell, from its file (a `cell:` line, else the default). */
const cellOf = (slug: string) => (parse(fs.readFileSync(path.join(EXAMPLES_DIR, `${slug}.yaml`), "utf8")) as { cell?: string }).cell ?? cellsFile.defaultCell;
const slugs = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, "")).sort();

interface StackRender {
  dir: string;
  resources: { urn: string; type: string; parent?: string; inputs: Record<string, any> }[];
  outputs: Record<string, any>;
}
/** A resource's type, from its URN (`…::<parent types>$<type>::<name>`). */
const typeOf = (urn: string) => urn.split("::")[2]!.split("$").pop()!;
const readStack = (dir: string): StackRender => ({
  dir,
  resources: (parse(fs.readFileSync(path.join(dir, "resources.yaml"), "utf8")) as { urn: string; inputs: Record<string, any> }[]).map((r) => ({ ...r, type: typeOf(r.urn) })),
  outputs: parse(fs.readFileSync(path.join(dir, "outputs.yaml"), "utf8")) ?? {},
});
const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
/** The tenant whose component a resource was declared under (its parents), if any. */
function tenantOf(stack: StackRender, urn: string): string | undefined {
  const byUrn = new Map(stack.resources.map((r) => [r.urn, r]));
  for (let r = byUrn.get(urn); r; r = r.parent ? byUrn.get(r.parent) : undefined) if (r.type === "tenancy:index:Tenant") return r.urn.split("::").pop();
  return undefined;
}

let out: string;
let platform: StackRender;
const cells = new Map<string, StackRender>();

beforeAll(() => {
  out = tmp("tenancy-cells-");
  renderSync({ out, cells: { all: true }, revealSecrets: true });
  platform = readStack(path.join(out, "platform"));
  for (const c of cellsFile.cells) cells.set(c.name, readStack(path.join(out, "cells", c.name)));
}, 300_000);

describe("a fleet over two cells", () => {
  it("puts each tenant in the stack of the cell its file names, and none in the platform stack", () => {
    expect(cellsFile.cells.length).toBe(2);
    expect(new Set(slugs.map(cellOf)).size).toBe(2);
    expect(platform.resources.filter((r) => r.type === "tenancy:index:Tenant")).toEqual([]);
    for (const [name, stack] of cells) {
      const declared = stack.resources.filter((r) => r.type === "tenancy:index:Tenant").map((r) => r.urn.split("::").pop()).sort();
      expect(declared, name).toEqual(slugs.filter((s) => cellOf(s) === name));
      expect(Object.keys(stack.outputs.tenants ?? {}).sort(), name).toEqual(declared);
    }
  });

  it("keeps the root CA key and the operator identity key in the platform stack alone", () => {
    const has = (r: StackRender, name: RegExp) => r.resources.some((x) => name.test(x.urn));
    expect(has(platform, /root-ca-key/)).toBe(true);
    expect(has(platform, /nats-operator-key$/)).toBe(true);
    for (const [name, stack] of cells) {
      expect(has(stack, /root-ca-key/), name).toBe(false);
      expect(has(stack, /nats-operator-key$/), name).toBe(false);
      // The cell's own keys are its own.
      expect(has(stack, new RegExp(`cell-${name}-ca-key$`)), name).toBe(true);
      expect(has(stack, new RegExp(`cell-${name}-nats-operator-signing-key$`)), name).toBe(true);
    }
    // What the platform publishes, which every cell reads, holds no private key or seed.
    const published = JSON.stringify(platform.outputs.platform);
    expect(published).not.toMatch(/PRIVATE KEY|"S[OAU][A-Z2-7]{50,}/);
  });

  it("signs each cell's CA with the root from the cell's own request, and its tenants' CAs with the cell's CA only", () => {
    const root = platform.outputs.platform.rootCaCertPem as string;
    const rootFile = path.join(tmp("tenancy-cells-x509-"), "root.crt");
    fs.writeFileSync(rootFile, root);
    for (const [name] of cells) {
      const ca = platform.outputs.platform.cells[name].caCertPem as string;
      const cert = new X509Certificate(ca);
      expect(cert.ca).toBe(true);
      expect(cert.checkIssued(new X509Certificate(root))).toBe(true);
      // The certificate carries the public key of the request the cell published.
      const request = cells.get(name)!.outputs.cellIdentity.caCsrPem as string;
      const csrFile = path.join(path.dirname(rootFile), `${name}.csr`);
      fs.writeFileSync(csrFile, request);
      const fromCsr = openssl(["req", "-in", csrFile, "-noout", "-pubkey"]).out.trim();
      expect(cert.publicKey.export({ type: "spki", format: "pem" }).toString().trim()).toBe(fromCsr);
    }
    // Every tenant CA chains to its own cell's CA, and is refused under the other cell's.
    for (const slug of slugs) {
      const own = cellOf(slug);
      const other = cellsFile.cells.find((c) => c.name !== own)!.name;
      const cm = fs.readFileSync(path.join(out, "cells", own, "manifests", `tenant-${slug}`, "configmap-tenant-ca.yaml"), "utf8");
      const data = (parse(cm) as { data: Record<string, string> }).data;
      const dir = path.dirname(rootFile);
      const file = (n: string, pem: string) => (fs.writeFileSync(path.join(dir, n), pem), path.join(dir, n));
      const tenantCa = file(`${slug}.crt`, data["ca.crt"]!);
      const ownCa = file(`${own}.crt`, platform.outputs.platform.cells[own].caCertPem);
      const otherCa = file(`${other}.crt`, platform.outputs.platform.cells[other].caCertPem);
      const at = String(Date.UTC(2026, 0, 2) / 1000);
      expect(openssl(["verify", "-attime", at, "-CAfile", rootFile, "-untrusted", ownCa, tenantCa]).ok, `${slug} under root via cell ${own}`).toBe(true);
      expect(openssl(["verify", "-attime", at, "-partial_chain", "-CAfile", ownCa, tenantCa]).ok, `${slug} under cell ${own}`).toBe(true);
      expect(openssl(["verify", "-attime", at, "-partial_chain", "-CAfile", otherCa, tenantCa]).ok, `${slug} under cell ${other}`).toBe(false);
      expect(data["ca-chain.crt"]).toBe(`${data["ca.crt"]}${platform.outputs.platform.cells[own].caCertPem}${root}`);
    }
  });

  it("signs each cell's accounts with the cell's operator signing key, which the operator JWT lists beside the others", () => {
    const operator = jwtClaims(platform.outputs.platform.operatorJwt);
    for (const [name, stack] of cells) {
      const key = stack.outputs.cellIdentity.operatorSigningKeyPub as string;
      expect(operator.nats.signing_keys, name).toContain(key);
      for (const push of stack.resources.filter((r) => r.urn.endsWith("/nats-account-push"))) {
        expect(jwtClaims(push.inputs.jwt).iss, push.urn).toBe(key);
        // …and pushes as the cell's own claims pusher, a scoped key of the system account.
        expect(push.inputs.pusher.systemAccount).toBe(platform.outputs.platform.systemAccount.pub);
      }
    }
    const sys = jwtClaims(platform.outputs.platform.systemAccount.jwt);
    const scoped = (sys.nats.signing_keys as { key: string }[]).map((k) => k.key);
    for (const [name, stack] of cells) expect(scoped, name).toContain(stack.outputs.cellIdentity.claimsPusherPub);
  });

  it("makes the hub trust the cells' CAs for leaf certificates, not the root", () => {
    const secret = parse(fs.readFileSync(path.join(platform.dir, "manifests/platform/secret-nats-hub-tls.yaml"), "utf8")) as { stringData: Record<string, string> };
    const trusted = secret.stringData["ca.crt"]!;
    for (const [name] of cells) expect(trusted, name).toContain(platform.outputs.platform.cells[name].caCertPem.trim());
    expect(trusted).not.toContain(platform.outputs.platform.rootCaCertPem.trim());
  });

  it("renders each cell byte-identically again from the same files", () => {
    const again = tmp("tenancy-cells-again-");
    for (const p of ["platform", "cells"]) fs.cpSync(path.join(out, p), path.join(again, p), { recursive: true });
    renderSync({ out: again, cells: { cell: "b" }, revealSecrets: true });
    for (const f of ["resources.yaml", "outputs.yaml"]) {
      expect(fs.readFileSync(path.join(again, "cells/b", f), "utf8"), f).toBe(fs.readFileSync(path.join(out, "cells/b", f), "utf8"));
    }
  });
});

describe("render --all-cells", () => {
  // Its workers render several stacks each, one after another in one process: what each writes
  // must be what a process of its own writes, as each stack's update runs in CI (identities,
  // the platform, then the cells: docs/gitops.md).
  it("writes byte for byte what each stack renders in a process of its own, in the order CI runs them", () => {
    const apart = tmp("tenancy-cells-apart-");
    for (const c of cellsFile.cells) renderSync({ out: apart, cells: { cell: c.name }, revealSecrets: true });
    renderSync({ out: apart, cells: { platform: true }, revealSecrets: true });
    for (const c of cellsFile.cells) renderSync({ out: apart, cells: { cell: c.name }, revealSecrets: true });
    const files = (root: string): string[] =>
      fs.readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();
    expect(files(apart)).toEqual(files(out));
    // Several stacks per worker: more stacks than the machine has cores, so no worker rendered only one.
    expect(cellsFile.cells.length * 2 + 1).toBeGreaterThan(os.cpus().length);
    for (const f of files(out)) expect(fs.readFileSync(path.join(apart, f), "utf8"), f).toBe(fs.readFileSync(path.join(out, f), "utf8"));
  }, 300_000);
});

describe("a cell's stack config", () => {
  it("is refused where a key every stack shares differs from the platform stack's, one problem per key, nothing declared", () => {
    const dir = tmp("tenancy-cells-config-");
    for (const p of ["platform", "cells"]) fs.cpSync(path.join(out, p), path.join(dir, p), { recursive: true });
    const stderr = (() => {
      try {
        renderSync({ out: dir, cells: { cell: "b" }, config: { natsHubMaxConnections: "999999", natsAllowUnlimited: "true" } });
        return "";
      } catch (err) {
        return (err as RenderFailed).stderr;
      }
    })();
    expect(stderr).toMatch(/stack config: tenancy:natsAllowUnlimited: differs from its value in the platform stack \(platform\)/);
    expect(stderr).toMatch(/stack config: tenancy:natsHubMaxConnections: differs from its value in the platform stack \(platform\)/);
    // Nothing of cell b was declared by the refused run: its last render is what the fleet left.
    expect(fs.readFileSync(path.join(dir, "cells/b/resources.yaml"), "utf8")).toBe(fs.readFileSync(path.join(out, "cells/b/resources.yaml"), "utf8"));
    // A key each stack sets for itself may differ.
    renderSync({ out: dir, cells: { cell: "b" }, config: { postgresAdminUser: "tenancy_cell_b" } });
  });
});

describe("a cell the platform has not endorsed", () => {
  it("declares only its identity while it holds no tenant, and refuses to go on once it has held some", () => {
    const fresh = tmp("tenancy-cells-fresh-");
    renderSync({ out: fresh, cells: { cell: "a" } });
    const alone = readStack(path.join(fresh, "cells/a"));
    expect(alone.resources.filter((r) => r.type === "tenancy:index:Tenant")).toEqual([]);
    expect(alone.outputs.cellIdentity.cell).toBe("a");
    // With tenants in its last update and still no platform: an error, nothing dropped.
    const previous = path.join(fresh, "previous.yaml");
    fs.writeFileSync(previous, fs.readFileSync(path.join(out, "cells/a/outputs.yaml")));
    const refusal = (() => {
      try {
        renderSync({ out: tmp("tenancy-cells-refused-"), cells: { cell: "a" }, previous });
        return "";
      } catch (err) {
        return (err as RenderFailed).stderr;
      }
    })();
    expect(refusal).toMatch(/cell "a": the platform stack has published nothing yet.*Its tenants are left as they are/s);
  });
});

describe("moving a tenant between cells", () => {
  const moving = "acme-corp";
  let tenants: string;
  beforeAll(() => {
    expect(cellOf(moving)).toBe("a");
    tenants = tmp("tenancy-cells-move-tenants-");
    for (const s of slugs) fs.copyFileSync(path.join(EXAMPLES_DIR, `${s}.yaml`), path.join(tenants, `${s}.yaml`));
  });
  const edit = (change: (doc: Record<string, any>) => void) => {
    const file = path.join(tenants, `${moving}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8"));
    change(doc);
    // As a person would write it: the cell on a line of its own.
    fs.writeFileSync(file, stringify(doc));
  };
  /** A copy of the fleet's render: the stacks as their last updates left them. */
  const fleetCopy = () => {
    const dir = tmp("tenancy-cells-fleet-");
    for (const p of ["platform", "cells"]) fs.cpSync(path.join(out, p), path.join(dir, p), { recursive: true });
    return dir;
  };
  const failing = (fn: () => void) => {
    try {
      fn();
      return "";
    } catch (err) {
      return (err as RenderFailed).stderr;
    }
  };

  it("is refused by the destination while the source still holds it, unless the file says its state was moved", () => {
    edit((d) => (d.cell = "b"));
    const fleet = fleetCopy();
    const previous = path.join(fleet, "cells/b/outputs.yaml");
    const refused = failing(() => renderSync({ out: fleet, tenants, cells: { cell: "b" }, previous }));
    expect(refused).toMatch(new RegExp(`${moving}.yaml: cell: tenant "${moving}" is still held by cell "a".*movedFrom: a`, "s"));
    edit((d) => (d.movedFrom = "a"));
    renderSync({ out: fleet, tenants, cells: { cell: "b" }, previous, revealSecrets: true });
    expect(Object.keys(readStack(path.join(fleet, "cells/b")).outputs.tenants)).toContain(moving);
  });

  it("is refused by the source until the destination holds it; then the source lets it go", () => {
    const fleet = fleetCopy();
    const previous = path.join(out, "cells/a/outputs.yaml");
    // Cell b's last update (the original render) does not hold it yet.
    const refused = failing(() => renderSync({ out: fleet, tenants, cells: { cell: "a" }, previous }));
    expect(refused).toMatch(new RegExp(`${moving}.yaml: cell: tenant "${moving}" now names cell "b", whose last update does not hold it`));
    // Cell b updated (the previous test's render), cell a goes on without it.
    renderSync({ out: fleet, tenants, cells: { cell: "b" }, previous: path.join(out, "cells/b/outputs.yaml"), revealSecrets: true });
    renderSync({ out: fleet, tenants, cells: { cell: "a" }, previous, revealSecrets: true });
    expect(Object.keys(readStack(path.join(fleet, "cells/a")).outputs.tenants)).not.toContain(moving);
  });

  it("loses nothing: every resource keeps its URN (but the stack's name) and its keys; only what the new cell signs changes", () => {
    const fleet = fleetCopy();
    renderSync({ out: fleet, tenants, cells: { cell: "b" }, previous: path.join(out, "cells/b/outputs.yaml"), revealSecrets: true });
    const a = cells.get("a")!;
    const before = a.resources.filter((r) => tenantOf(a, r.urn) === moving);
    const after = new Map(readStack(path.join(fleet, "cells/b")).resources.map((r) => [r.urn, r]));
    const asB = (urn: string) => urn.replace(`urn:pulumi:${cellsFile.cells.find((c) => c.name === "a")!.stack}::`, `urn:pulumi:${cellsFile.cells.find((c) => c.name === "b")!.stack}::`);
    // Everything the tenant has in its cell: its component and every child (the summary counts them).
    const summary = JSON.parse(fs.readFileSync(path.join(a.dir, "summary.json"), "utf8")) as { tenants: Record<string, { resources: number }> };
    expect(before.length).toBe(summary.tenants[moving]!.resources);
    const changed = new Map<string, number>();
    for (const r of before) {
      const moved = after.get(asB(r.urn));
      expect(moved, r.urn).toBeDefined();
      if (JSON.stringify(moved!.inputs) !== JSON.stringify(r.inputs)) changed.set(r.type, (changed.get(r.type) ?? 0) + 1);
    }
    // Keys (random bytes, private keys), namespaces, streams and quotas are untouched.
    for (const type of ["random:index/randomBytes:RandomBytes", "tls:index/privateKey:PrivateKey", "kubernetes:core/v1:Namespace", "kubernetes:jetstream.nats.io/v1beta2:Stream", "kubernetes:core/v1:ResourceQuota"]) {
      expect(changed.get(type) ?? 0, type).toBe(0);
    }
    // What changes is what cell b signs: the tenant CA's certificate (then what it issues) and the account JWT.
    expect([...changed.keys()].every((t) => /LocallySignedCert|dynamic:Resource|core\/v1:Secret|core\/v1:ConfigMap|apps\/v1:Deployment/.test(t)), JSON.stringify([...changed])).toBe(true);
    const account = (r: StackRender | Map<string, { inputs: Record<string, any> }>) =>
      [...(r instanceof Map ? r.values() : r.resources)].find((x) => "inputs" in x && (x as { urn?: string }).urn?.endsWith(`${moving}/nats-account-push`));
    expect((account(after) as { inputs: Record<string, any> }).inputs.account).toBe((account(cells.get("a")!) as { inputs: Record<string, any> }).inputs.account);
    console.log(`move ${moving} a → b: ${before.length} resources keep their URNs; changed inputs by type: ${JSON.stringify(Object.fromEntries(changed))}`);
  });
});
