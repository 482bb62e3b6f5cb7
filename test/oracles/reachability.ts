/**
 * Test oracle for Kubernetes NetworkPolicy reachability.
 *
 * Decides whether a connection would be allowed by a set of `networking.k8s.io/v1`
 * NetworkPolicies, following the documented semantics at
 * https://kubernetes.io/docs/concepts/services-networking/network-policies/
 * and the API server's defaulting/validation of the NetworkPolicy type.
 *
 * It is deliberately independent of the code under test: plain object types only,
 * no kubernetes-models, no Pulumi. Anything it cannot interpret with certainty
 * (malformed policies, unknown fields, IPv6, undeclared namespaces) throws instead of
 * guessing, so an oracle mistake can never turn into a silent "allowed".
 *
 * Not modelled (outside the documented policy semantics or undefined by the docs):
 * node-originated traffic ("traffic to and from the node where a Pod is running is always
 * allowed"), hostNetwork pods, Service IP rewriting, non-L4 protocols.
 */

/** Standard Kubernetes label selector (matchLabels AND matchExpressions). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** Layer-4 protocol a NetworkPolicy port can name. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** Direction a policy can apply to. */
export type PolicyType = "Ingress" | "Egress";

/** `NetworkPolicyPort`: protocol defaults to TCP; `port` absent = every port of that protocol. */
export interface PortSpec {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

/** `IPBlock`: a CIDR minus the `except` CIDRs. */
export interface IpBlock {
  cidr: string;
  except?: string[];
}

/** `NetworkPolicyPeer`: one element of `from` / `to`. */
export interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}

/** `NetworkPolicyIngressRule`. */
export interface IngressRule {
  from?: Peer[];
  ports?: PortSpec[];
}

/** `NetworkPolicyEgressRule`. */
export interface EgressRule {
  to?: Peer[];
  ports?: PortSpec[];
}

/** A NetworkPolicy manifest as plain data. */
export interface NetworkPolicyObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: PolicyType[];
    ingress?: IngressRule[];
    egress?: EgressRule[];
  };
}

/** A namespace and its labels (the `kubernetes.io/metadata.name` label is added automatically). */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
}

/** A pod: identity, labels, optional pod IP, and named container ports as the pod declares them. */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip?: string;
  namedPorts?: Record<string, number>;
}

/** Something outside the cluster, identified only by its IPv4 address (matched by `ipBlock`). */
export interface ExternalEndpoint {
  ip: string;
}

/** One end of a connection. */
export type Endpoint = { pod: PodInfo } | { external: ExternalEndpoint };

/** Oracle answer; `reason` names the deciding policies/rules in human-readable form. */
export interface Verdict {
  allowed: boolean;
  reason: string;
}

/**
 * "The Kubernetes control plane sets an immutable label `kubernetes.io/metadata.name` on all
 * namespaces, the value of the label is the namespace name."
 */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/**
 * Does `selector` select an object carrying `labels`?
 *
 * `matchLabels` and every `matchExpressions` entry must all hold (AND); an empty selector `{}`
 * selects everything. `undefined` is treated like `{}`: inside a NetworkPolicy peer an omitted
 * podSelector next to a namespaceSelector means "all pods" — callers that need another meaning
 * for "absent" (e.g. a peer without namespaceSelector = the policy's own namespace) handle it
 * themselves. Throws on an invalid selector rather than guessing.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null) return true;
  validateSelector(selector, "selector");
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    switch (expr.operator) {
      case "In":
        if (!has || !expr.values!.includes(labels[expr.key])) return false;
        break;
      case "NotIn":
        // Like the apimachinery selector: a missing key satisfies NotIn.
        if (has && expr.values!.includes(labels[expr.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * Evaluates NetworkPolicy reachability over a fixed inventory of namespaces, pods and policies.
 * All policies are validated up front; a malformed one makes the constructor throw.
 */
export class ReachabilityOracle {
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly podsByKey = new Map<string, PodInfo>();
  private readonly policies: NormalizedPolicy[];

  constructor(input: { namespaces: NamespaceInfo[]; pods: PodInfo[]; policies: NetworkPolicyObject[] }) {
    for (const ns of input.namespaces) {
      if (!ns || typeof ns.name !== "string" || ns.name === "") throw new Error("namespace without a name");
      if (this.namespaceLabels.has(ns.name)) throw new Error(`namespace ${ns.name} declared twice`);
      // The API server always sets (and overwrites) this label, so the input may omit it.
      this.namespaceLabels.set(ns.name, { ...(ns.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.name });
    }
    for (const pod of input.pods) {
      this.checkPod(pod);
      const key = podKey(pod);
      if (this.podsByKey.has(key)) throw new Error(`pod ${key} declared twice`);
      this.podsByKey.set(key, pod);
    }
    const seen = new Set<string>();
    this.policies = input.policies.map((p, i) => {
      const normalized = normalizePolicy(p, i);
      if (seen.has(normalized.id)) throw new Error(`NetworkPolicy ${normalized.id} declared twice`);
      seen.add(normalized.id);
      return normalized;
    });
  }

  /** The inventory pod `namespace/name`, or throws if it was not declared. */
  pod(namespace: string, name: string): PodInfo {
    const pod = this.podsByKey.get(`${namespace}/${name}`);
    if (!pod) throw new Error(`unknown pod ${namespace}/${name}`);
    return pod;
  }

  /**
   * Full connection verdict. "For a connection from a source pod to a destination pod to be
   * allowed, both the egress policy on the source pod and the ingress policy on the destination
   * pod need to allow the connection." With an external end only the pod side is checked.
   */
  canConnect(from: Endpoint, to: Endpoint, port: number, protocol: Protocol = "TCP"): Verdict {
    checkPort(port);
    checkProtocol(protocol);
    const src = this.checkEndpoint(from, "from");
    const dst = this.checkEndpoint(to, "to");
    if (!("pod" in src) && !("pod" in dst)) {
      throw new Error("canConnect: at least one end must be a pod; NetworkPolicy says nothing about external-to-external traffic");
    }
    if ("pod" in src && "pod" in dst && podKey(src.pod) === podKey(dst.pod)) {
      // Docs: "Other pods that are allowed (exception: a pod cannot block access to itself)".
      return { allowed: true, reason: `${podKey(src.pod)} connecting to itself: a pod cannot block access to itself` };
    }
    const parts: Verdict[] = [];
    if ("pod" in src) parts.push(this.egressAllowed(src.pod, dst, port, protocol));
    if ("pod" in dst) parts.push(this.ingressAllowed(src, dst.pod, port, protocol));
    return { allowed: parts.every((v) => v.allowed), reason: parts.map((v) => v.reason).join("; ") };
  }

  /** Egress side only: may `from` open this connection to `to`? */
  egressAllowed(from: PodInfo, to: Endpoint, port: number, protocol: Protocol = "TCP"): Verdict {
    checkPort(port);
    checkProtocol(protocol);
    this.checkPod(from);
    const dst = this.checkEndpoint(to, "to");
    // Named ports resolve against the destination pod; an external destination has none.
    const dstPod = "pod" in dst ? dst.pod : undefined;
    return this.decide("Egress", from, dst, port, protocol, dstPod);
  }

  /** Ingress side only: may `to` accept this connection from `from`? */
  ingressAllowed(from: Endpoint, to: PodInfo, port: number, protocol: Protocol = "TCP"): Verdict {
    checkPort(port);
    checkProtocol(protocol);
    this.checkPod(to);
    const src = this.checkEndpoint(from, "from");
    // For ingress the named port is the selected (destination) pod's own port.
    return this.decide("Ingress", to, src, port, protocol, to);
  }

  /**
   * Shared core for both directions. `subject` is the pod whose policies are consulted,
   * `peer` the other end (matched against `from` for Ingress, `to` for Egress).
   */
  private decide(
    direction: PolicyType,
    subject: PodInfo,
    peer: Endpoint,
    port: number,
    protocol: Protocol,
    namedPortPod: PodInfo | undefined,
  ): Verdict {
    const dir = direction.toLowerCase();
    const what = `${dir} ${direction === "Ingress" ? `to ${podKey(subject)} from ${describe(peer)}` : `from ${podKey(subject)} to ${describe(peer)}`} on ${protocol}/${port}`;
    // "A pod is isolated for <direction> if there is any NetworkPolicy that both selects the pod
    // and has <Direction> in its policyTypes" — and a policy only selects pods in its own namespace.
    const applying = this.policies.filter(
      (p) => p.types.has(direction) && p.namespace === subject.namespace && selectorMatches(p.podSelector, subject.labels),
    );
    if (applying.length === 0) {
      return { allowed: true, reason: `${what}: allowed, pod is not isolated for ${dir} (no ${direction} policy selects it)` };
    }
    // "The effects of those ingress/egress lists combine additively": any matching rule suffices.
    const matches: string[] = [];
    for (const policy of applying) {
      const rules = direction === "Ingress" ? policy.ingress : policy.egress;
      rules.forEach((rule, i) => {
        const peers = direction === "Ingress" ? (rule as IngressRule).from : (rule as EgressRule).to;
        if (this.peersMatch(peers, peer, policy.namespace) && portsMatch(rule.ports, port, protocol, namedPortPod)) {
          matches.push(`${policy.id} ${dir}[${i}]`);
        }
      });
    }
    if (matches.length > 0) return { allowed: true, reason: `${what}: allowed by ${matches.join(", ")}` };
    return {
      allowed: false,
      reason: `${what}: denied, pod is isolated for ${dir} by ${applying.map((p) => p.id).join(", ")} and no ${dir} rule allows it`,
    };
  }

  /** "If this field is empty or missing, this rule matches all sources/destinations"; otherwise any peer (OR). */
  private peersMatch(peers: Peer[] | undefined, endpoint: Endpoint, policyNamespace: string): boolean {
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => this.peerMatches(peer, endpoint, policyNamespace));
  }

  private peerMatches(peer: Peer, endpoint: Endpoint, policyNamespace: string): boolean {
    if (present(peer.ipBlock)) {
      // ipBlock matches by address. The docs say it "should be cluster-external IPs"; a pod is
      // only matched through its IP when the caller gave one.
      const ip = "external" in endpoint ? endpoint.external.ip : endpoint.pod.ip;
      if (ip === undefined) return false;
      return ipBlockContains(peer.ipBlock!, ip);
    }
    // Selector peers only ever select pods, never external endpoints.
    if (!("pod" in endpoint)) return false;
    const pod = endpoint.pod;
    if (present(peer.namespaceSelector)) {
      // "namespaceSelector: This selects particular namespaces for which all Pods should be allowed";
      // with a podSelector in the same element both must hold ("particular Pods within particular namespaces").
      if (!selectorMatches(peer.namespaceSelector, this.labelsOfNamespace(pod.namespace))) return false;
    } else if (pod.namespace !== policyNamespace) {
      // "podSelector: This selects particular Pods in the same namespace as the NetworkPolicy".
      return false;
    }
    return selectorMatches(peer.podSelector ?? undefined, pod.labels);
  }

  private labelsOfNamespace(name: string): Record<string, string> {
    const labels = this.namespaceLabels.get(name);
    // Unknown namespaces would have unknown labels; guessing could wrongly satisfy NotIn/DoesNotExist.
    if (!labels) throw new Error(`namespace ${name} is not declared in the oracle input`);
    return labels;
  }

  private checkPod(pod: PodInfo): void {
    if (!pod || typeof pod.namespace !== "string" || typeof pod.name !== "string" || !pod.name) {
      throw new Error(`malformed pod ${JSON.stringify(pod)}`);
    }
    if (!pod.labels || typeof pod.labels !== "object") throw new Error(`pod ${podKey(pod)} has no labels object`);
    if (pod.ip !== undefined) parseIPv4(pod.ip, `pod ${podKey(pod)} ip`);
    for (const [name, num] of Object.entries(pod.namedPorts ?? {})) {
      if (!Number.isInteger(num) || num < 1 || num > 65535) throw new Error(`pod ${podKey(pod)} named port ${name} has invalid number ${num}`);
    }
    this.labelsOfNamespace(pod.namespace);
  }

  private checkEndpoint(ep: Endpoint, where: string): Endpoint {
    const hasPod = ep && "pod" in ep && present((ep as { pod?: unknown }).pod);
    const hasExt = ep && "external" in ep && present((ep as { external?: unknown }).external);
    if (hasPod === hasExt) throw new Error(`${where}: endpoint must be exactly one of {pod} or {external}`);
    if (hasPod) this.checkPod((ep as { pod: PodInfo }).pod);
    else parseIPv4((ep as { external: ExternalEndpoint }).external.ip, `${where}: external ip`);
    return ep;
  }
}

// ---------------------------------------------------------------------------------------------
// Policy normalization and validation (mirrors the API server's defaulting and validation).

interface NormalizedPolicy {
  id: string; // "namespace/name", used in reasons
  namespace: string;
  podSelector: LabelSelector;
  types: Set<PolicyType>;
  ingress: IngressRule[];
  egress: EgressRule[];
}

function normalizePolicy(policy: NetworkPolicyObject, index: number): NormalizedPolicy {
  const at = `policies[${index}]`;
  if (!policy || typeof policy !== "object") throw new Error(`${at}: not an object`);
  if (present(policy.kind) && policy.kind !== "NetworkPolicy") throw new Error(`${at}: kind ${policy.kind} is not NetworkPolicy`);
  if (present(policy.apiVersion) && policy.apiVersion !== "networking.k8s.io/v1") {
    throw new Error(`${at}: apiVersion ${policy.apiVersion} is not networking.k8s.io/v1`);
  }
  const md = policy.metadata;
  if (!md || typeof md.name !== "string" || md.name === "") throw new Error(`${at}: metadata.name is required`);
  // A policy only ever applies inside its namespace, so a missing one makes the policy meaningless.
  if (typeof md.namespace !== "string" || md.namespace === "") throw new Error(`${at} (${md.name}): metadata.namespace is required`);
  const id = `${md.namespace}/${md.name}`;
  const where = `NetworkPolicy ${id}`;

  const spec = policy.spec;
  if (!spec || typeof spec !== "object") throw new Error(`${where}: spec is required`);
  // Unknown keys are most likely typos (e.g. `form:`) that would otherwise widen a rule to "all".
  assertKnownKeys(spec, ["podSelector", "policyTypes", "ingress", "egress"], `${where}: spec`);
  if (!present(spec.podSelector)) throw new Error(`${where}: spec.podSelector is required (use {} for all pods)`);
  validateSelector(spec.podSelector, `${where}: spec.podSelector`);

  const ingress = listOf<IngressRule>(spec.ingress, `${where}: spec.ingress`);
  const egress = listOf<EgressRule>(spec.egress, `${where}: spec.egress`);
  ingress.forEach((r, i) => validateRule(r, "from", `${where}: spec.ingress[${i}]`));
  egress.forEach((r, i) => validateRule(r, "to", `${where}: spec.egress[${i}]`));

  const declared = listOf<string>(spec.policyTypes, `${where}: spec.policyTypes`);
  if (declared.length > 2) throw new Error(`${where}: may not specify more than two policyTypes`);
  for (const t of declared) {
    if (t !== "Ingress" && t !== "Egress") throw new Error(`${where}: unknown policyType ${JSON.stringify(t)} (expected Ingress or Egress)`);
  }
  let types: Set<PolicyType>;
  if (declared.length > 0) {
    types = new Set(declared as PolicyType[]);
  } else {
    // "If no policyTypes are specified on a NetworkPolicy then by default Ingress will always be set
    // and Egress will be set if the NetworkPolicy has any egress rules." The API server's defaulting
    // (SetDefaults_NetworkPolicy) treats an empty policyTypes list as unspecified and checks
    // len(spec.egress) != 0, so `egress: []` alone does not add Egress.
    types = new Set<PolicyType>(["Ingress"]);
    if (egress.length > 0) types.add("Egress");
  }
  return { id, namespace: md.namespace, podSelector: spec.podSelector, types, ingress, egress };
}

function validateRule(rule: IngressRule | EgressRule, peersKey: "from" | "to", where: string): void {
  if (!rule || typeof rule !== "object") throw new Error(`${where}: rule must be an object`);
  assertKnownKeys(rule, [peersKey, "ports"], where);
  const peers = listOf<Peer>((rule as Record<string, unknown>)[peersKey], `${where}.${peersKey}`);
  peers.forEach((peer, i) => validatePeer(peer, `${where}.${peersKey}[${i}]`));
  listOf<PortSpec>(rule.ports, `${where}.ports`).forEach((p, i) => validatePortSpec(p, `${where}.ports[${i}]`));
}

function validatePeer(peer: Peer, where: string): void {
  if (!peer || typeof peer !== "object") throw new Error(`${where}: peer must be an object`);
  assertKnownKeys(peer, ["podSelector", "namespaceSelector", "ipBlock"], where);
  const hasIp = present(peer.ipBlock);
  const selectors = [peer.podSelector, peer.namespaceSelector].filter(present).length;
  // Same checks as ValidateNetworkPolicyPeer: "must specify a peer" / "may not specify both ipBlock and another peer".
  if (!hasIp && selectors === 0) throw new Error(`${where}: must specify a peer (podSelector, namespaceSelector or ipBlock)`);
  if (hasIp && selectors > 0) throw new Error(`${where}: may not specify both ipBlock and a podSelector/namespaceSelector`);
  if (present(peer.podSelector)) validateSelector(peer.podSelector!, `${where}.podSelector`);
  if (present(peer.namespaceSelector)) validateSelector(peer.namespaceSelector!, `${where}.namespaceSelector`);
  if (hasIp) validateIpBlock(peer.ipBlock!, `${where}.ipBlock`);
}

function validateIpBlock(block: IpBlock, where: string): void {
  assertKnownKeys(block, ["cidr", "except"], where);
  const outer = parseCidr(block.cidr, `${where}.cidr`);
  listOf<string>(block.except, `${where}.except`).forEach((ex, i) => {
    const inner = parseCidr(ex, `${where}.except[${i}]`);
    // API validation: each except "must be a strict subset of cidr".
    if (inner.prefix <= outer.prefix || !cidrContains(outer, inner.network)) {
      throw new Error(`${where}.except[${i}]: ${ex} must be a strict subset of ${block.cidr}`);
    }
  });
}

function validatePortSpec(spec: PortSpec, where: string): void {
  if (!spec || typeof spec !== "object") throw new Error(`${where}: port entry must be an object`);
  assertKnownKeys(spec, ["protocol", "port", "endPort"], where);
  if (present(spec.protocol)) checkProtocol(spec.protocol!, where);
  const port = spec.port;
  if (typeof port === "number") {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where}: port ${port} out of range 1-65535`);
  } else if (typeof port === "string") {
    // An IANA_SVC_NAME: lowercase alphanumerics and '-', at most 15 chars, at least one letter.
    // A digit-only string such as "80" is not a number to the API server — it is rejected there too.
    if (!/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(port) || !/[a-z]/.test(port) || port.includes("--")) {
      throw new Error(`${where}: invalid named port ${JSON.stringify(port)}`);
    }
  } else if (present(port)) {
    throw new Error(`${where}: port must be a number or a port name`);
  }
  if (present(spec.endPort)) {
    // Docs: "endPort can only be defined if port is also defined", "Both ports must be numeric",
    // "The endPort field must be equal to or greater than the port field".
    if (typeof port !== "number") throw new Error(`${where}: endPort requires a numeric port`);
    const end = spec.endPort!;
    if (!Number.isInteger(end) || end > 65535 || end < port) throw new Error(`${where}: endPort ${end} must be an integer in [${port}, 65535]`);
  }
}

/** Validates a selector the way apimachinery does; throws on anything it would reject. */
function validateSelector(selector: LabelSelector, where: string): void {
  if (typeof selector !== "object" || Array.isArray(selector)) throw new Error(`${where}: selector must be an object`);
  assertKnownKeys(selector, ["matchLabels", "matchExpressions"], where);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (typeof v !== "string") throw new Error(`${where}.matchLabels.${k}: value must be a string`);
  }
  listOf<NonNullable<LabelSelector["matchExpressions"]>[number]>(selector.matchExpressions, `${where}.matchExpressions`).forEach((e, i) => {
    const at = `${where}.matchExpressions[${i}]`;
    if (!e || typeof e.key !== "string" || e.key === "") throw new Error(`${at}: key is required`);
    if (!(OPERATORS as readonly string[]).includes(e.operator)) throw new Error(`${at}: unknown operator ${JSON.stringify(e.operator)}`);
    const values = e.values ?? [];
    if (!Array.isArray(values)) throw new Error(`${at}: values must be a list`);
    if ((e.operator === "In" || e.operator === "NotIn") && values.length === 0) {
      throw new Error(`${at}: values must be non-empty when operator is ${e.operator}`);
    }
    if ((e.operator === "Exists" || e.operator === "DoesNotExist") && values.length > 0) {
      throw new Error(`${at}: values may not be specified when operator is ${e.operator}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Ports

/** "If this field is empty or missing, this rule matches all ports"; otherwise any entry (OR). */
function portsMatch(specs: PortSpec[] | undefined, port: number, protocol: Protocol, namedPortPod: PodInfo | undefined): boolean {
  if (!specs || specs.length === 0) return true;
  return specs.some((spec) => {
    if ((spec.protocol ?? "TCP") !== protocol) return false; // protocol defaults to TCP
    if (!present(spec.port)) return true; // protocol only: every port of that protocol
    if (typeof spec.port === "number") {
      return present(spec.endPort) ? port >= spec.port && port <= spec.endPort! : port === spec.port;
    }
    // Named port: resolved on the destination pod; unresolvable means no match.
    const resolved = namedPortPod?.namedPorts?.[spec.port!];
    return resolved !== undefined && resolved === port;
  });
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} out of range 1-65535`);
}

function checkProtocol(protocol: string, where = "protocol"): asserts protocol is Protocol {
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new Error(`${where}: unknown protocol ${JSON.stringify(protocol)} (TCP, UDP or SCTP)`);
}

// ---------------------------------------------------------------------------------------------
// IPv4 / CIDR

interface Cidr {
  network: number;
  prefix: number;
}

/** Parses dotted-quad IPv4 to an unsigned 32-bit integer; IPv6 and anything else throws. */
function parseIPv4(ip: string, where: string): number {
  const m = typeof ip === "string" ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip) : null;
  if (!m) throw new Error(`${where}: ${JSON.stringify(ip)} is not an IPv4 address (this oracle handles IPv4 only)`);
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) throw new Error(`${where}: ${ip} has an octet above 255`);
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function maskOf(prefix: number): number {
  // Shifting a 32-bit value by 32 is a no-op in JS, so /0 needs its own case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function parseCidr(cidr: string, where: string): Cidr {
  const m = typeof cidr === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(cidr) : null;
  if (!m) throw new Error(`${where}: ${JSON.stringify(cidr)} is not CIDR notation`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new Error(`${where}: prefix /${prefix} is larger than 32`);
  // Host bits are masked off, as Go's net.ParseCIDR does for the network.
  return { network: (parseIPv4(m[1], where) & maskOf(prefix)) >>> 0, prefix };
}

function cidrContains(cidr: Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefix)) >>> 0) === cidr.network;
}

/** In `cidr` and in none of the `except` ranges. */
function ipBlockContains(block: IpBlock, ip: string): boolean {
  const addr = parseIPv4(ip, "ip");
  if (!cidrContains(parseCidr(block.cidr, "ipBlock.cidr"), addr)) return false;
  return !(block.except ?? []).some((ex) => cidrContains(parseCidr(ex, "ipBlock.except"), addr));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function present<T>(v: T | undefined | null): v is T {
  return v !== undefined && v !== null;
}

/** A list field where absent/null means empty (as in the Kubernetes API); non-lists throw. */
function listOf<T>(v: unknown, where: string): T[] {
  if (!present(v)) return [];
  if (!Array.isArray(v)) throw new Error(`${where}: must be a list`);
  return v as T[];
}

function assertKnownKeys(obj: object, allowed: string[], where: string): void {
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && !allowed.includes(k)) throw new Error(`${where}: unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(", ")})`);
  }
}

function podKey(pod: PodInfo): string {
  return `${pod.namespace}/${pod.name}`;
}

function describe(ep: Endpoint): string {
  return "pod" in ep ? `pod ${podKey(ep.pod)}` : `external ${ep.external.ip}`;
}
