/**
 * The tenant isolation invariants as pure functions over plain Kubernetes objects, so they are
 * tested without the policy engine. policies.ts turns the engine's resources into these objects
 * (`toObject`) and reports what the checks return; it and the tests read every check through this
 * module, whatever file of this folder (one a concern) defines it.
 *
 * Self-contained on purpose: the pack runs in its own directory with its own dependencies, so it
 * imports nothing from the program; the tests check that the names in names.ts match the program's.
 */
export * from "./names";
export * from "./objects";
export * from "./selectors";
export * from "./pod-security";
export * from "./network-policies";
export * from "./quotas";
export * from "./rbac";
export * from "./signing-keys";
export * from "./nats";
export * from "./secret-placement";
export * from "./postgres";
export * from "./tenant-roles";
export * from "./quota-keys";
export * from "./admission";
