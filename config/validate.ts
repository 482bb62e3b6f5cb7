/**
 * Stack config problems, reported with the tenant files' problems and in the same form: each set
 * value checked against its key's schema in config/keys.ts (ajv, like the tenant files), required
 * keys present, then the rules that relate keys to each other (a certificate may not outlive its
 * issuer). Problems come in the registry's key order.
 */
import type { ValidateFunction } from "ajv";
import { POSTGRES_TENANT_PREFIX } from "../model/names";
import type { Problem } from "../model/problems";
import { compileSchema, schemaProblems } from "../model/schema-check";
import { CONFIG_KEYS, DYNAMIC_KEYS, type ConfigKey, type ConfigKeyName } from "./keys";
import { decodeConfigValue, readSettings, type ConfigGetter, type StackSettings } from "./settings";

export const CONFIG_SOURCE = "stack config";

const validators = new Map<ConfigKeyName, ValidateFunction>();
const validatorOf = (key: ConfigKeyName) => {
  let v = validators.get(key);
  if (!v) validators.set(key, (v = compileSchema(CONFIG_KEYS[key].schema)));
  return v;
};

/** `tenancy:<key>` followed by the path inside its value: `[1]` for list items, `.name` for map entries. */
const keyPath = (key: string) => (instancePath: string, extra?: string) =>
  `tenancy:${key}` +
  [...instancePath.split("/").slice(1), ...(extra === undefined ? [] : [extra])]
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^[0-9]+$/.test(p) ? `[${p}]` : `.${p}`))
    .join("");

/**
 * Every problem with the stack's config values; empty when the stack config is good. `configKeys`
 * are the `tenancy:` keys the stack sets: one the program does not read is a typo or a key this
 * version removed, and reported rather than ignored.
 */
export function configProblems(get: ConfigGetter, configKeys: readonly string[] = [], source = CONFIG_SOURCE): Problem[] {
  const byKey = new Map<ConfigKeyName, Problem[]>();
  const add = (key: ConfigKeyName, problem: Problem) => byKey.set(key, [...(byKey.get(key) ?? []), problem]);
  const unknown = configKeys
    .filter((k) => k.startsWith("tenancy:"))
    .map((k) => k.slice("tenancy:".length))
    .filter((k) => !(k in CONFIG_KEYS) && !DYNAMIC_KEYS.some((d) => k.startsWith(d.pattern.slice(0, d.pattern.indexOf("<")))))
    .sort()
    .map((k): Problem => ({ file: source, path: `tenancy:${k}`, rule: `is not a setting of this program (${closestKey(k)}see docs/configuration.md)` }));
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKeyName[]) {
    const spec: ConfigKey = CONFIG_KEYS[key];
    const value = decodeConfigValue(key, get(key));
    if (value === undefined) {
      if (spec.required) add(key, { file: source, path: `tenancy:${key}`, rule: spec.requiredRule ?? "is required" });
      continue;
    }
    const validate = validatorOf(key);
    if (!validate(value)) for (const p of schemaProblems(source, validate.errors ?? [], keyPath(key))) add(key, p);
  }
  // Relations only between values that are good on their own: one problem per bad value.
  const settings = readSettings(get);
  for (const { key, rule } of relationProblems(settings, (k) => byKey.has(k))) add(key, { file: source, path: `tenancy:${key}`, rule });
  return [...unknown, ...(Object.keys(CONFIG_KEYS) as ConfigKeyName[]).flatMap((key) => byKey.get(key) ?? [])];
}

/** "did you mean tenancy:x? " for a key one or two edits from a known one. */
function closestKey(key: string): string {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  const best = Object.keys(CONFIG_KEYS).map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? `did you mean tenancy:${best[0]}? ` : "";
}

/** Rules between keys: renewal windows inside lifetimes, and no certificate outliving its issuer. */
function relationProblems(settings: StackSettings, isBad: (key: ConfigKeyName) => boolean): { key: ConfigKeyName; rule: string }[] {
  const problems: { key: ConfigKeyName; rule: string }[] = [];
  const { pki } = settings;
  const classes = [
    ["Root", pki.root],
    ["TenantCa", pki.tenantCa],
    ["Component", pki.component],
  ] as const;
  for (const [name, cls] of classes) {
    const validity = `pki${name}ValidityHours` as const;
    const early = `pki${name}EarlyRenewalHours` as const;
    if (!isBad(validity) && !isBad(early) && cls.earlyRenewalHours >= cls.validityHours) {
      problems.push({ key: early, rule: `must be a whole number of hours, at least 0 and less than the validity (${cls.validityHours})` });
    }
  }
  // A certificate outliving its issuer would be valid on paper and refused by every verifier.
  if (!isBad("pkiTenantCaValidityHours") && !isBad("pkiRootValidityHours") && pki.tenantCa.validityHours > pki.root.validityHours) {
    problems.push({ key: "pkiTenantCaValidityHours", rule: `must not exceed the root's validity (${pki.root.validityHours} hours)` });
  }
  const { postgres } = settings;
  if (!isBad("postgresReservedConnections") && !isBad("postgresMaxConnections") && postgres.reservedConnections >= postgres.maxConnections) {
    problems.push({ key: "postgresReservedConnections", rule: `must be less than postgresMaxConnections (${postgres.maxConnections}): tenants need at least one connection` });
  }
  // Tenants' roles and databases are tenant_<slug> in every cell of the fleet: a platform name of
  // that shape is some tenant's, and refused by PostgreSQL only when that tenant's cell updates.
  for (const [key, name] of [["postgresAdminUser", postgres.adminUser], ["postgresMigrationRole", postgres.migrationRole], ["postgresDatabase", postgres.database]] as const) {
    if (!isBad(key) && typeof name === "string" && name.startsWith(POSTGRES_TENANT_PREFIX)) {
      problems.push({ key, rule: `must not start with "${POSTGRES_TENANT_PREFIX}": tenants' roles and databases are ${POSTGRES_TENANT_PREFIX}<slug>` });
    }
  }
  if (!isBad("pkiComponentValidityHours") && !isBad("pkiTenantCaValidityHours") && pki.component.validityHours > pki.tenantCa.validityHours) {
    problems.push({ key: "pkiComponentValidityHours", rule: `must not exceed the tenant CA's validity (${pki.tenantCa.validityHours} hours)` });
  }
  if (!isBad("stackRole") && !isBad("cell")) {
    if (settings.stackRole === "cell" && settings.cell === undefined) problems.push({ key: "cell", rule: 'is required with tenancy:stackRole "cell": the cell this stack declares' });
    if (settings.stackRole !== "cell" && settings.cell !== undefined) problems.push({ key: "cell", rule: `is only read with tenancy:stackRole "cell" (this stack's is "${settings.stackRole}")` });
  }
  // The edge runs in tenant namespaces: its images pass the same admission policy as the tenant's.
  if (!isBad("imageRegistries") && !isBad("imageRequireDigest")) {
    const refused = (image: string) =>
      !settings.images.registries.some((prefix) => image.startsWith(prefix))
        ? `is outside tenancy:imageRegistries (${settings.images.registries.join(", ")}), which tenant namespaces admit`
        : settings.images.requireDigest && !/@sha256:[0-9a-f]{64}$/.test(image)
          ? "is not pinned by digest (@sha256:…), which tenancy:imageRequireDigest requires"
          : undefined;
    if (!isBad("edgeLeafImage")) {
      const why = refused(settings.edge.leafImage);
      if (why) problems.push({ key: "edgeLeafImage", rule: `${settings.edge.leafImage} ${why}` });
    }
    if (!isBad("edgeStreamsImage")) {
      const why = refused(settings.edge.streamsImage);
      if (why) problems.push({ key: "edgeStreamsImage", rule: `${settings.edge.streamsImage} ${why}` });
    }
    if (!isBad("edgeCollectorImages")) {
      for (const [type, image] of Object.entries(settings.edge.collectorImages)) {
        const why = refused(image);
        if (why) problems.push({ key: "edgeCollectorImages", rule: `${type}: ${image} ${why}` });
      }
    }
  }
  return problems;
}
