/**
 * Declares a tenant's PostgreSQL isolation planned in plan/database.ts with @pulumi/postgresql:
 * its role (password from @pulumi/random, secret end to end: only in the role and one Secret),
 * its schema or database, the grants and default privileges, and the credentials Secret in the
 * platform namespace where the per-tenant workers run. Also the platform database's revokes from
 * PUBLIC. Nothing here is computed: the inputs are the plan's.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import type { PlatformDatabasePlan, TenantDatabasePlan } from "../plan/database";

export interface TenantDatabase {
  role: postgresql.Role;
  credentials: k8s.core.v1.Secret;
}

export function declareTenantDatabase(
  parent: pulumi.Resource,
  plan: TenantDatabasePlan,
  args: { provider: postgresql.Provider; platformNamespace: pulumi.Input<string> },
): TenantDatabase {
  const { provider } = args;
  const password = new random.RandomPassword(plan.password.logicalName, { length: plan.password.length, special: false, keepers: plan.password.keepers }, { parent });
  const role = new postgresql.Role(plan.role.logicalName, { ...plan.role.inputs, password: password.result }, { parent, provider });
  for (const level of plan.levels) {
    const database = level.database ? new postgresql.Database(level.database.logicalName, level.database.inputs, { parent, provider, protect: level.database.protect }) : undefined;
    const schema = new postgresql.Schema(level.schema.logicalName, level.schema.inputs, { parent, provider, protect: level.schema.protect, dependsOn: database ? [database] : [] });
    for (const grant of level.grants) {
      new postgresql.Grant(grant.logicalName, grant.inputs, { parent, provider, dependsOn: [role, schema, ...(database ? [database] : [])] });
    }
    for (const defaults of level.defaultPrivileges) {
      new postgresql.DefaultPrivileges(defaults.logicalName, defaults.inputs, { parent, provider, dependsOn: [role, schema] });
    }
  }
  const { credentials } = plan;
  const secret = new k8s.core.v1.Secret(
    credentials.logicalName,
    {
      metadata: { name: credentials.name, namespace: args.platformNamespace, labels: credentials.labels },
      type: "Opaque",
      stringData: { ...credentials.values, [credentials.passwordKey]: pulumi.secret(password.result) },
    },
    { parent, dependsOn: [role] },
  );
  return { role, credentials: secret };
}

/** The platform database's revokes from PUBLIC (once per stack). */
export function declarePlatformDatabase(parent: pulumi.Resource, plan: PlatformDatabasePlan, provider: postgresql.Provider): postgresql.Grant[] {
  return plan.grants.map((grant) => new postgresql.Grant(grant.logicalName, grant.inputs, { parent, provider }));
}
