/**
 * PostgreSQL roles and grants: a tenant's role holds nothing beyond its own schema (or database),
 * and nothing is ever granted to PUBLIC, which every present and future role is part of. Checked
 * on @pulumi/postgresql's inputs, by name: a tenant's objects and role are `tenant_<slug>`, so the
 * tenant a grant's object belongs to and the tenant it is granted to are read off the names.
 */
import { POSTGRES_PUBLIC_ROLE, POSTGRES_TENANT_PREFIX } from "./names";
import type { Violation } from "./objects";

export const POSTGRES_ROLE_TYPE = "postgresql:index/role:Role";
export const POSTGRES_GRANT_TYPE = "postgresql:index/grant:Grant";
export const POSTGRES_DEFAULT_PRIVILEGES_TYPE = "postgresql:index/defaultPrivileges:DefaultPrivileges";

/** Role attributes that reach beyond the role's own objects (PostgreSQL's CREATE ROLE options). */
const ELEVATED_ATTRIBUTES = ["superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity"] as const;

const isTenantName = (name: unknown): name is string => typeof name === "string" && name.startsWith(POSTGRES_TENANT_PREFIX);

/** What a declared Role may not have: an elevated attribute, or membership in other roles (their privileges). */
export function postgresRoleProblems(inputs: Record<string, any>): string[] {
  const name = String(inputs.name);
  const problems = ELEVATED_ATTRIBUTES.filter((a) => inputs[a] === true).map((a) => `role "${name}" has ${a}: no role this stack declares may reach beyond its own objects`);
  if (Array.isArray(inputs.roles) && inputs.roles.length > 0) problems.push(`role "${name}" is made a member of ${inputs.roles.join(", ")}: a tenant's role inherits no other role's privileges`);
  return problems;
}

/**
 * What a Grant or DefaultPrivileges may not give: any privilege to PUBLIC; a tenant's role anything
 * on another tenant's schema or database, anything but CONNECT outside its own (a platform
 * database it lives in), or the right to pass it on.
 */
export function postgresGrantProblems(inputs: Record<string, any>): string[] {
  const role = String(inputs.role);
  const privileges: string[] = Array.isArray(inputs.privileges) ? inputs.privileges : [];
  if (privileges.length === 0) return []; // the provider's revoke: always allowed
  const on = inputs.objectType === "database" ? `database "${inputs.database}"` : `${inputs.objectType ?? "objects"} in schema "${inputs.schema ?? ""}" of database "${inputs.database}"`;
  if (role.toLowerCase() === POSTGRES_PUBLIC_ROLE) return [`grants ${privileges.join(", ")} on ${on} to PUBLIC: every role, every other tenant's included, would have it`];
  if (!isTenantName(role)) return [];
  const problems: string[] = [];
  const owner = inputs.objectType === "database" ? inputs.database : inputs.schema;
  if (isTenantName(owner) && owner !== role) problems.push(`grants ${privileges.join(", ")} on ${on}, tenant "${owner}"'s, to tenant role "${role}"`);
  if (!isTenantName(owner) && !(inputs.objectType === "database" && privileges.every((p) => p === "CONNECT"))) {
    problems.push(`grants ${privileges.join(", ")} on ${on} to tenant role "${role}": outside its own schema a tenant's role may only CONNECT to its database`);
  }
  if (inputs.withGrantOption === true) problems.push(`lets tenant role "${role}" grant ${privileges.join(", ")} on ${on} to others`);
  return problems;
}

/** Every PostgreSQL resource's problems, for the stack-wide check and the tests. */
export function checkPostgres(resources: readonly { type: string; urn: string; props: Record<string, any> }[]): Violation[] {
  const violations: Violation[] = [];
  for (const r of resources) {
    const problems =
      r.type === POSTGRES_ROLE_TYPE ? postgresRoleProblems(r.props) : r.type === POSTGRES_GRANT_TYPE || r.type === POSTGRES_DEFAULT_PRIVILEGES_TYPE ? postgresGrantProblems(r.props) : [];
    for (const message of problems) violations.push({ urn: r.urn, message });
  }
  return violations;
}
