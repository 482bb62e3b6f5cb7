/**
 * Test oracle for the Kubernetes Pod Security Standards, **restricted** profile (which includes
 * every baseline control), as documented at
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ (latest version).
 *
 * `restrictedViolations(podSpec)` returns one human-readable message per violated control instance;
 * an empty array means the pod spec is admissible under `pod-security.kubernetes.io/enforce=restricted`.
 *
 * Container messages look like
 *   `containers[0] "leaf": securityContext.allowPrivilegeEscalation must be false`
 * and pod-level messages name the full field, e.g. `spec.hostNetwork must be unset or false`.
 * When `where` is given, every message is prefixed with `${where}: `.
 *
 * Precedence (as documented): container-level securityContext fields override the pod-level ones.
 *  - runAsNonRoot: every container's effective value (container ?? pod) must be true; an explicit
 *    pod-level `false` is itself a violation.
 *  - runAsUser: 0 is forbidden at pod level and at every container level.
 *  - seccompProfile.type: pod level must be RuntimeDefault/Localhost, or, if unset at pod level,
 *    every container must set RuntimeDefault/Localhost. Any explicitly set value other than those
 *    (e.g. Unconfined) is a violation wherever it appears.
 *  - Pods with `spec.os.name: windows` are exempt from the Linux-only restricted controls
 *    (privilege escalation, seccomp, capabilities).
 */

type Obj = Record<string, any>;

/** Baseline: capabilities that may be added (beyond these is forbidden). */
export const BASELINE_ALLOWED_CAPABILITIES: readonly string[] = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

/** Restricted: the only capability that may be added. */
export const RESTRICTED_ALLOWED_CAPABILITIES: readonly string[] = ["NET_BIND_SERVICE"];

/** Baseline: the "safe" sysctl subset. */
export const SAFE_SYSCTLS: readonly string[] = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
];

/** Baseline: allowed SELinux types ("" / unset also allowed). */
export const ALLOWED_SELINUX_TYPES: readonly string[] = [
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
];

/** Restricted: allowed volume source types. */
export const RESTRICTED_VOLUME_TYPES: readonly string[] = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
];

const SECCOMP_OK = ["RuntimeDefault", "Localhost"];
const APPARMOR_OK = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const q = (s: unknown): string => JSON.stringify(s);

/**
 * Restricted-profile violations of a pod spec (`Pod.spec` or a template's `spec`).
 * `annotations` are the pod (template) metadata annotations, consulted for the AppArmor control.
 */
export function restrictedViolations(podSpec: object, where?: string, annotations?: Record<string, string>): string[] {
  const spec: Obj = isObj(podSpec) ? podSpec : {};
  const out: string[] = [];
  const push = (m: string) => out.push(where ? `${where}: ${m}` : m);
  const psc: Obj = isObj(spec.securityContext) ? spec.securityContext : {};
  const linux = !(isObj(spec.os) && spec.os.name === "windows");

  // ---- baseline: host namespaces
  for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[f] === true) push(`spec.${f} must be unset or false`);
  }

  // ---- baseline: HostProcess (pod level)
  if (isObj(psc.windowsOptions) && psc.windowsOptions.hostProcess === true) {
    push(`spec.securityContext.windowsOptions.hostProcess must be unset or false`);
  }

  // ---- baseline: SELinux (pod level)
  seLinuxChecks(psc, "spec.securityContext", push);

  // ---- baseline: AppArmor (pod level + annotations)
  if (isObj(psc.appArmorProfile) && psc.appArmorProfile.type !== undefined && !APPARMOR_OK.includes(psc.appArmorProfile.type)) {
    push(`spec.securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost (got ${q(psc.appArmorProfile.type)})`);
  }
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    if (!(v === "runtime/default" || (typeof v === "string" && v.startsWith("localhost/")))) {
      push(`metadata.annotations[${q(k)}] must be runtime/default or localhost/* (got ${q(v)})`);
    }
  }

  // ---- baseline: seccomp not Unconfined / restricted: RuntimeDefault or Localhost (pod level)
  const podSeccomp: unknown = isObj(psc.seccompProfile) ? psc.seccompProfile.type : undefined;
  if (podSeccomp !== undefined && !SECCOMP_OK.includes(podSeccomp as string)) {
    // Unconfined is a baseline violation and applies to every OS; other values only matter on Linux.
    if (podSeccomp === "Unconfined" || linux) {
      push(`spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got ${q(podSeccomp)})`);
    }
  }

  // ---- baseline: sysctls
  for (const [i, s] of arr(psc.sysctls).entries()) {
    const name = isObj(s) ? s.name : undefined;
    if (!SAFE_SYSCTLS.includes(name)) push(`spec.securityContext.sysctls[${i}] ${q(name)} is not in the safe sysctl set`);
  }

  // ---- restricted: runAsNonRoot / runAsUser (pod level)
  if (psc.runAsNonRoot === false) push(`spec.securityContext.runAsNonRoot must not be false`);
  if (psc.runAsUser === 0) push(`spec.securityContext.runAsUser must not be 0`);

  // ---- baseline hostPath + restricted volume types
  for (const [i, vol] of arr(spec.volumes).entries()) {
    if (!isObj(vol)) continue;
    const label = `spec.volumes[${i}] ${q(vol.name)}`;
    for (const key of Object.keys(vol)) {
      if (key === "name" || vol[key] === undefined || vol[key] === null) continue;
      if (key === "hostPath") push(`${label}: hostPath volumes are forbidden`);
      else if (!RESTRICTED_VOLUME_TYPES.includes(key)) push(`${label}: volume type ${key} is not allowed`);
    }
  }

  // ---- per-container controls
  for (const kind of ["initContainers", "containers", "ephemeralContainers"] as const) {
    for (const [i, c] of arr(spec[kind]).entries()) {
      if (!isObj(c)) continue;
      const label = `${kind}[${i}] ${q(c.name)}`;
      const cpush = (m: string) => push(`${label}: ${m}`);
      const sc: Obj = isObj(c.securityContext) ? c.securityContext : {};

      // baseline: HostProcess
      if (isObj(sc.windowsOptions) && sc.windowsOptions.hostProcess === true) {
        cpush(`securityContext.windowsOptions.hostProcess must be unset or false`);
      }
      // baseline: privileged
      if (sc.privileged === true) cpush(`securityContext.privileged must be unset or false`);

      // baseline + restricted: capabilities
      const caps: Obj = isObj(sc.capabilities) ? sc.capabilities : {};
      for (const cap of arr(caps.add)) {
        if (!BASELINE_ALLOWED_CAPABILITIES.includes(cap)) {
          cpush(`securityContext.capabilities.add ${q(cap)} is not allowed (beyond the baseline set)`);
        } else if (linux && !RESTRICTED_ALLOWED_CAPABILITIES.includes(cap)) {
          cpush(`securityContext.capabilities.add ${q(cap)} is not allowed (only NET_BIND_SERVICE may be added)`);
        }
      }
      if (linux && !arr(caps.drop).includes("ALL")) cpush(`securityContext.capabilities.drop must include ALL`);

      // baseline: hostPorts
      for (const [j, p] of arr(c.ports).entries()) {
        if (isObj(p) && p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0) {
          cpush(`ports[${j}].hostPort must be unset or 0 (got ${q(p.hostPort)})`);
        }
      }

      // baseline: AppArmor
      if (isObj(sc.appArmorProfile) && sc.appArmorProfile.type !== undefined && !APPARMOR_OK.includes(sc.appArmorProfile.type)) {
        cpush(`securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost (got ${q(sc.appArmorProfile.type)})`);
      }

      // baseline: SELinux
      seLinuxChecks(sc, "securityContext", cpush);

      // baseline: /proc mount
      if (sc.procMount !== undefined && sc.procMount !== null && sc.procMount !== "Default") {
        cpush(`securityContext.procMount must be unset or Default (got ${q(sc.procMount)})`);
      }

      // baseline + restricted: seccomp
      const cSeccomp: unknown = isObj(sc.seccompProfile) ? sc.seccompProfile.type : undefined;
      if (cSeccomp !== undefined) {
        if (!SECCOMP_OK.includes(cSeccomp as string) && (cSeccomp === "Unconfined" || linux)) {
          cpush(`securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got ${q(cSeccomp)})`);
        }
      } else if (linux && podSeccomp === undefined) {
        cpush(`securityContext.seccompProfile.type must be RuntimeDefault or Localhost (unset at pod and container level)`);
      }

      // restricted: privilege escalation
      if (linux && sc.allowPrivilegeEscalation !== false) cpush(`securityContext.allowPrivilegeEscalation must be false`);

      // restricted: runAsNonRoot (container overrides pod)
      const nonRoot = sc.runAsNonRoot !== undefined && sc.runAsNonRoot !== null ? sc.runAsNonRoot : psc.runAsNonRoot;
      if (nonRoot !== true) {
        cpush(
          sc.runAsNonRoot === false
            ? `securityContext.runAsNonRoot must be true (container overrides pod level with false)`
            : `securityContext.runAsNonRoot must be true (unset at pod and container level)`,
        );
      }

      // restricted: runAsUser
      if (sc.runAsUser === 0) cpush(`securityContext.runAsUser must not be 0`);
    }
  }
  return out;
}

function seLinuxChecks(sc: Obj, path: string, push: (m: string) => void): void {
  const o = sc.seLinuxOptions;
  if (!isObj(o)) return;
  if (o.type !== undefined && o.type !== null && o.type !== "" && !ALLOWED_SELINUX_TYPES.includes(o.type)) {
    push(`${path}.seLinuxOptions.type ${q(o.type)} is not allowed`);
  }
  for (const f of ["user", "role"]) {
    if (o[f] !== undefined && o[f] !== null && o[f] !== "") push(`${path}.seLinuxOptions.${f} must be unset or empty`);
  }
}

/** The pod template (`{ metadata, spec }`) of a Pod or workload object. */
export function podTemplateOf(obj: object): { metadata: Obj; spec: Obj } {
  const o: Obj = isObj(obj) ? obj : {};
  const kind: unknown = o.kind;
  switch (kind) {
    case "Pod":
      return { metadata: o.metadata ?? {}, spec: o.spec ?? {} };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job": {
      const t = o.spec?.template;
      if (!isObj(t)) throw new Error(`${kind} ${o.metadata?.name ?? ""} has no spec.template`);
      return { metadata: t.metadata ?? {}, spec: t.spec ?? {} };
    }
    case "CronJob": {
      const t = o.spec?.jobTemplate?.spec?.template;
      if (!isObj(t)) throw new Error(`CronJob ${o.metadata?.name ?? ""} has no spec.jobTemplate.spec.template`);
      return { metadata: t.metadata ?? {}, spec: t.spec ?? {} };
    }
    default:
      throw new Error(`forWorkload: unsupported kind ${q(kind)}`);
  }
}

/** The pod spec of a Pod/Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob. Throws on other kinds. */
export function forWorkload(obj: object): object {
  return podTemplateOf(obj).spec;
}

/**
 * Convenience: restricted violations of a workload, including AppArmor annotations of its pod
 * template, each prefixed with `Kind/name`.
 */
export function workloadViolations(obj: object): string[] {
  const o: Obj = isObj(obj) ? obj : {};
  const t = podTemplateOf(obj);
  return restrictedViolations(t.spec, `${o.kind}/${o.metadata?.name ?? "?"}`, t.metadata.annotations ?? {});
}
