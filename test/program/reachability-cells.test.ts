/**
 * The same reachability matrix as reachability-matrix.test.ts over a fleet with cells: every
 * stack's NetworkPolicies together (the platform stack's and each cell's), tenants of different
 * cells paired as well as tenants of one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll } from "vitest";
import { fleetManifests, renderFleet } from "../support/fleet";
import { reachabilitySuite } from "../support/reachability-suite";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-reach-cells-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

reachabilitySuite(async () => fleetManifests(renderFleet(dir)), { acrossCells: true });
