/**
 * Network isolation of the example tenants rendered as one stack (test/support/reachability-suite.ts:
 * the oracle of Kubernetes' documented NetworkPolicy semantics decides every connection; the
 * expectations come from the tenant files alone).
 */
import { renderExamples } from "../support/fixtures";
import { reachabilitySuite } from "../support/reachability-suite";

reachabilitySuite(async () => (await renderExamples()).manifests);
