/**
 * Test support: validate rendered NACK custom resources (jetstream.nats.io/v1beta2 `Stream` and `Account`) against
 * the real CRD schemas, the way `k8s-validate.ts` validates built-in kinds. `registerNackSchemas()` teaches
 * `validateManifest` both kinds.
 *
 * VENDORED SCHEMAS — source:
 *   repository  github.com/nats-io/nack
 *   path        deploy/crds.yml
 *   commit      991b2182aefc3970db2f930e0fcaeba1050af464
 *   taken       `spec.versions[name=v1beta2].schema.openAPIV3Schema` of the CRDs `streams.jetstream.nats.io`
 *               and `accounts.jetstream.nats.io` (whole schema: spec and status, exactly as given; these CRDs
 *               declare no root `apiVersion`/`kind`/`metadata` properties and no `required` lists)
 * The two constants below are that YAML converted to object literals, verbatim (same keys, values, order and
 * descriptions). Do not edit them by hand: re-vendor from a named commit instead, and update the commit above.
 *
 * What the API server adds on top of the schema is applied in code (`strictSchema`), never in the vendored data:
 *  - unknown fields: with strict field validation (kubectl's default) the API server refuses fields the structural
 *    schema does not declare, and otherwise silently prunes them, so either way they never reach NACK. We mirror
 *    that with `additionalProperties: false` on every object schema that declares `properties` and has neither
 *    `x-kubernetes-preserve-unknown-fields: true` nor its own `additionalProperties` (e.g. `spec.metadata`, a map);
 *  - the root always admits `apiVersion`, `kind` and `metadata`. `metadata` is only checked to be an object with a
 *    `name`; its name/namespace/label rules are `validateManifest`'s job.
 * Not modelled: defaulting (`default:` values are what the API server fills in, they are never required), and
 * `minLength` on arrays (`subjects`, `servers`), which is ignored by JSON Schema and by the API server alike.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { closest, formatPath, registerSchema, type ManifestProblem, type Segment } from "./k8s-validate";

type JsonSchema = { [key: string]: unknown };

export const NACK_API_VERSION = "jetstream.nats.io/v1beta2";

/** Where the two schemas below were copied from. */
export const NACK_CRD_SOURCE = Object.freeze({
  repo: "nats-io/nack",
  path: "deploy/crds.yml",
  commit: "991b2182aefc3970db2f930e0fcaeba1050af464",
  version: "v1beta2",
});

/** `streams.jetstream.nats.io`, version v1beta2, `schema.openAPIV3Schema` — vendored verbatim (see the header). */
export const NACK_STREAM_V1BETA2_SCHEMA: JsonSchema = deepFreeze({
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        name: {
          description: "A unique name for the Stream.",
          type: "string",
          pattern: "^[^.*>]*$",
          minLength: 1,
        },
        description: {
          description: "The description of the stream.",
          type: "string",
        },
        subjects: {
          description: "A list of subjects to consume, supports wildcards.",
          type: "array",
          minLength: 1,
          items: {
            type: "string",
            minLength: 1,
          },
        },
        retention: {
          description: "How messages are retained in the Stream, once this is exceeded old messages are removed.",
          type: "string",
          enum: ["limits", "interest", "workqueue"],
          default: "limits",
        },
        maxConsumers: {
          description: "How many Consumers can be defined for a given Stream. -1 for unlimited.",
          type: "integer",
          minimum: -1,
          default: -1,
        },
        maxMsgs: {
          description: "How many messages may be in a Stream, oldest messages will be removed if the Stream exceeds this size. -1 for unlimited.",
          type: "integer",
          minimum: -1,
          default: -1,
        },
        maxBytes: {
          description: "How big the Stream may be, when the combined stream size exceeds this old messages are removed. -1 for unlimited.",
          type: "integer",
          minimum: -1,
          default: -1,
        },
        discard: {
          description: "When a Stream reach it's limits either old messages are deleted or new ones are denied.",
          type: "string",
          enum: ["old", "new"],
          default: "old",
        },
        discardPerSubject: {
          description: "Applies discard policy on a per-subject basis. Requires discard policy 'new' and 'maxMsgs' to be set.",
          type: "boolean",
          default: false,
        },
        maxAge: {
          description: "Maximum age of any message in the stream, expressed in Go's time.Duration format. Empty for unlimited.",
          type: "string",
          default: "",
        },
        maxMsgsPerSubject: {
          description: "The maximum number of messages per subject.",
          type: "integer",
          default: 0,
        },
        maxMsgSize: {
          description: "The largest message that will be accepted by the Stream. -1 for unlimited.",
          type: "integer",
          minimum: -1,
          default: -1,
        },
        storage: {
          description: "The storage backend to use for the Stream.",
          type: "string",
          enum: ["file", "memory"],
          default: "memory",
        },
        replicas: {
          description: "How many replicas to keep for each message.",
          type: "integer",
          minimum: 1,
          default: 1,
        },
        noAck: {
          description: "Disables acknowledging messages that are received by the Stream.",
          type: "boolean",
          default: false,
        },
        duplicateWindow: {
          description: "The duration window to track duplicate messages for.",
          type: "string",
        },
        placement: {
          description: "A stream's placement.",
          type: "object",
          properties: {
            cluster: {
              type: "string",
            },
            tags: {
              type: "array",
              items: {
                type: "string",
              },
            },
          },
        },
        mirror: {
          description: "A stream mirror.",
          type: "object",
          properties: {
            name: {
              type: "string",
            },
            optStartSeq: {
              type: "integer",
            },
            optStartTime: {
              description: "Time format must be RFC3339.",
              type: "string",
            },
            filterSubject: {
              type: "string",
            },
            externalApiPrefix: {
              type: "string",
            },
            externalDeliverPrefix: {
              type: "string",
            },
            subjectTransforms: {
              description: "List of subject transforms for this mirror.",
              type: "array",
              items: {
                description: "A subject transform pair.",
                type: "object",
                properties: {
                  source: {
                    description: "Source subject.",
                    type: "string",
                  },
                  dest: {
                    description: "Destination subject.",
                    type: "string",
                  },
                },
              },
            },
          },
        },
        sources: {
          description: "A stream's sources.",
          type: "array",
          items: {
            type: "object",
            properties: {
              name: {
                type: "string",
              },
              optStartSeq: {
                type: "integer",
              },
              optStartTime: {
                description: "Time format must be RFC3339.",
                type: "string",
              },
              filterSubject: {
                type: "string",
              },
              externalApiPrefix: {
                type: "string",
              },
              externalDeliverPrefix: {
                type: "string",
              },
              subjectTransforms: {
                description: "List of subject transforms for this mirror.",
                type: "array",
                items: {
                  description: "A subject transform pair.",
                  type: "object",
                  properties: {
                    source: {
                      description: "Source subject.",
                      type: "string",
                    },
                    dest: {
                      description: "Destination subject.",
                      type: "string",
                    },
                  },
                },
              },
            },
          },
        },
        sealed: {
          description: "Seal an existing stream so no new messages may be added.",
          type: "boolean",
          default: false,
        },
        denyDelete: {
          description: "When true, restricts the ability to delete messages from a stream via the API. Cannot be changed once set to true.",
          type: "boolean",
          default: false,
        },
        denyPurge: {
          description: "When true, restricts the ability to purge a stream via the API. Cannot be changed once set to true.",
          type: "boolean",
          default: false,
        },
        allowRollup: {
          description: "When true, allows the use of the Nats-Rollup header to replace all contents of a stream, or subject in a stream, with a single new message.",
          type: "boolean",
          default: false,
        },
        compression: {
          description: "Stream specific compression.",
          type: "string",
          enum: ["s2", "none", ""],
          default: "",
        },
        firstSequence: {
          description: "Sequence number from which the Stream will start.",
          type: "number",
          default: 0,
        },
        subjectTransform: {
          description: "SubjectTransform is for applying a subject transform (to matching messages) when a new message is received.",
          type: "object",
          properties: {
            source: {
              type: "string",
              description: "Source subject.",
            },
            dest: {
              type: "string",
              description: "Destination subject to transform into.",
            },
          },
        },
        republish: {
          description: "Republish configuration of the stream.",
          type: "object",
          properties: {
            destination: {
              type: "string",
              description: "Messages will be additionally published to this subject.",
            },
            source: {
              type: "string",
              description: "Messages will be published from this subject to the destination subject.",
            },
          },
        },
        allowDirect: {
          description: "When true, allow higher performance, direct access to get individual messages.",
          type: "boolean",
          default: false,
        },
        mirrorDirect: {
          description: "When true, enables direct access to messages from the origin stream.",
          type: "boolean",
          default: false,
        },
        consumerLimits: {
          type: "object",
          properties: {
            inactiveThreshold: {
              description: "The duration of inactivity after which a consumer is considered inactive.",
              type: "string",
            },
            maxAckPending: {
              description: "Maximum number of outstanding unacknowledged messages.",
              type: "integer",
            },
          },
        },
        metadata: {
          description: "Additional Stream metadata.",
          type: "object",
          additionalProperties: {
            type: "string",
          },
        },
        account: {
          description: "Name of the account to which the Stream belongs.",
          type: "string",
          pattern: "^[^.*>]*$",
        },
        creds: {
          description: "NATS user credentials for connecting to servers. Please make sure your controller has mounted the creds on this path.",
          type: "string",
          default: "",
        },
        nkey: {
          description: "NATS user NKey for connecting to servers.",
          type: "string",
          default: "",
        },
        preventDelete: {
          description: "When true, the managed Stream will not be deleted when the resource is deleted.",
          type: "boolean",
          default: false,
        },
        preventUpdate: {
          description: "When true, the managed Stream will not be updated when the resource is updated.",
          type: "boolean",
          default: false,
        },
        servers: {
          description: "A list of servers for creating stream.",
          type: "array",
          items: {
            type: "string",
          },
          default: [],
        },
        tls: {
          description: "A client's TLS certs and keys.",
          type: "object",
          properties: {
            clientCert: {
              description: "A client's cert filepath. Should be mounted.",
              type: "string",
            },
            clientKey: {
              description: "A client's key filepath. Should be mounted.",
              type: "string",
            },
            rootCas: {
              description: "A list of filepaths to CAs. Should be mounted.",
              type: "array",
              items: {
                type: "string",
              },
            },
          },
        },
        tlsFirst: {
          description: "When true, the KV Store will initiate TLS before server INFO.",
          type: "boolean",
          default: false,
        },
        jsDomain: {
          description: "The JetStream domain to use for the stream.",
          type: "string",
        },
      },
    },
    status: {
      type: "object",
      properties: {
        observedGeneration: {
          type: "integer",
        },
        conditions: {
          type: "array",
          items: {
            type: "object",
            properties: {
              type: {
                type: "string",
              },
              status: {
                type: "string",
              },
              lastTransitionTime: {
                type: "string",
              },
              reason: {
                type: "string",
              },
              message: {
                type: "string",
              },
            },
          },
        },
      },
    },
  },
});

/** `accounts.jetstream.nats.io`, version v1beta2, `schema.openAPIV3Schema` — vendored verbatim (see the header). */
export const NACK_ACCOUNT_V1BETA2_SCHEMA: JsonSchema = deepFreeze({
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        name: {
          description: "A unique name for the Account.",
          type: "string",
          pattern: "^[^.*>]*$",
          minLength: 1,
        },
        creds: {
          description: "The creds to be used to connect to the NATS Service.",
          type: "object",
          properties: {
            secret: {
              type: "object",
              properties: {
                name: {
                  description: "Name of the secret with the creds.",
                  type: "string",
                },
              },
            },
            file: {
              description: "Credentials file, generated with github.com/nats-io/nsc tool.",
              type: "string",
            },
          },
        },
        servers: {
          description: "A list of servers to connect.",
          type: "array",
          minLength: 1,
          items: {
            type: "string",
            minLength: 1,
          },
        },
        tls: {
          description: "The TLS certs to be used to connect to the NATS Service.",
          type: "object",
          properties: {
            secret: {
              type: "object",
              properties: {
                name: {
                  description: "Name of the TLS secret with the certs.",
                  type: "string",
                },
              },
            },
            ca: {
              description: "Filename of the Root CA of the TLS cert.",
              type: "string",
            },
            cert: {
              description: "Filename of the TLS cert.",
              type: "string",
            },
            key: {
              description: "Filename of the TLS cert key.",
              type: "string",
            },
          },
        },
        token: {
          description: "The token to be used to connect to the NATS Service.",
          type: "object",
          properties: {
            secret: {
              type: "object",
              properties: {
                name: {
                  description: "Name of the secret with the token.",
                  type: "string",
                },
              },
            },
            token: {
              description: "Key in the secret that contains the token.",
              type: "string",
            },
          },
        },
        user: {
          description: "The user and password to be used to connect to the NATS Service.",
          type: "object",
          properties: {
            secret: {
              type: "object",
              properties: {
                name: {
                  description: "Name of the secret with the user and password.",
                  type: "string",
                },
              },
            },
            user: {
              description: "Key in the secret that contains the user.",
              type: "string",
            },
            password: {
              description: "Key in the secret that contains the password.",
              type: "string",
            },
          },
        },
        tlsFirst: {
          description: "When true, the KV Store will initiate TLS before server INFO.",
          type: "boolean",
          default: false,
        },
      },
    },
    status: {
      type: "object",
      properties: {
        observedGeneration: {
          type: "integer",
        },
        conditions: {
          type: "array",
          items: {
            type: "object",
            properties: {
              type: {
                type: "string",
              },
              status: {
                type: "string",
              },
              lastTransitionTime: {
                type: "string",
              },
              reason: {
                type: "string",
              },
              message: {
                type: "string",
              },
            },
          },
        },
      },
    },
  },
});

/* ------------------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------------------- */

/** The NACK kinds this module validates, with their vendored schemas. */
export const NACK_SCHEMAS: Readonly<Record<"Stream" | "Account", JsonSchema>> = Object.freeze({
  Stream: NACK_STREAM_V1BETA2_SCHEMA,
  Account: NACK_ACCOUNT_V1BETA2_SCHEMA,
});

export type NackKind = keyof typeof NACK_SCHEMAS;

/**
 * The schema the validator compiles for `kind`: a copy of the vendored one with the API server's unknown-field
 * rule and the root's implicit `apiVersion`/`kind`/`metadata` added. Exported so tests can see exactly what is enforced.
 */
export function strictSchema(kind: NackKind): JsonSchema {
  const root = structuredClone(NACK_SCHEMAS[kind]) as JsonSchema;
  refuseUnknownFields(root);
  root.properties = {
    ...(isObject(root.properties) ? root.properties : {}),
    apiVersion: { type: "string", const: NACK_API_VERSION },
    kind: { type: "string", const: kind },
    // Only "is an object" here (plus the name check in `validateNack`): metadata rules live in k8s-validate.
    metadata: { type: "object" },
  };
  root.required = [...new Set([...(Array.isArray(root.required) ? (root.required as string[]) : []), "apiVersion", "kind"])];
  return root;
}

/** In place: `additionalProperties: false` wherever a structural schema would prune or refuse unknown fields. */
function refuseUnknownFields(schema: JsonSchema): void {
  if (isObject(schema.properties)) {
    for (const sub of Object.values(schema.properties)) if (isObject(sub)) refuseUnknownFields(sub);
    if (schema["x-kubernetes-preserve-unknown-fields"] !== true && !("additionalProperties" in schema)) {
      schema.additionalProperties = false;
    }
  }
  if (isObject(schema.items)) refuseUnknownFields(schema.items);
  else if (Array.isArray(schema.items)) for (const sub of schema.items) if (isObject(sub)) refuseUnknownFields(sub);
  if (isObject(schema.additionalProperties)) refuseUnknownFields(schema.additionalProperties);
  // allOf/anyOf/oneOf/not are deliberately left alone: in a structural schema they only add value checks,
  // and closing objects inside them would refuse fields the enclosing schema declares.
}

const validators = new Map<NackKind, ValidateFunction>();

function compiled(kind: NackKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    // Ajv's default class is draft-07. `strict: false` because CRD schemas carry x-kubernetes-* keywords and
    // `minLength` on arrays; `verbose` so unknown-field errors can suggest a declared field.
    const ajv = new Ajv({ strict: false, allErrors: true, verbose: true });
    validate = ajv.compile(strictSchema(kind));
    validators.set(kind, validate);
  }
  return validate;
}

/**
 * Every problem the API server would reject this NACK `kind` manifest for, judged by the vendored CRD schema
 * (plus `metadata.name` being present); [] when valid. Paths are like `spec.maxAge` or `spec.creds.secret.name`.
 */
export function validateNack(kind: NackKind, obj: unknown): ManifestProblem[] {
  const validate = compiled(kind);
  const problems: ManifestProblem[] = [];
  if (!validate(obj)) problems.push(...(validate.errors ?? []).map((err) => toProblem(err, obj)));
  if (isObject(obj) && (obj.metadata === undefined || isObject(obj.metadata))) {
    const name = isObject(obj.metadata) ? obj.metadata.name : undefined;
    if (name === undefined || name === null || name === "") {
      problems.push({ path: "metadata.name", message: `required field "name" is missing` });
    }
  }
  // allErrors can report the same thing twice (e.g. one field failing in two ways with the same text).
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Registers jetstream.nats.io/v1beta2 `Stream` and `Account` with `validateManifest`. Idempotent. */
export function registerNackSchemas(): void {
  for (const kind of Object.keys(NACK_SCHEMAS) as NackKind[]) {
    registerSchema(NACK_API_VERSION, kind, (obj) => validateNack(kind, obj));
  }
}

/* ------------------------------------------------------------------------------------------------
 * ajv error → ManifestProblem
 * ---------------------------------------------------------------------------------------------- */


function toProblem(err: ErrorObject, data: unknown): ManifestProblem {
  const segments = pointerToSegments(err.instancePath, data);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      const declared = isObject(err.parentSchema) && isObject(err.parentSchema.properties) ? Object.keys(err.parentSchema.properties) : [];
      const hint = closest(field, declared);
      return { path: formatPath([...segments, field]), message: `unknown field "${field}"${hint ? ` (did you mean "${hint}"?)` : ""}` };
    }
    case "required": {
      const field = String(params.missingProperty);
      return { path: formatPath([...segments, field]), message: `required field "${field}" is missing` };
    }
    case "enum":
      return {
        path: formatPath(segments),
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "const":
      return { path: formatPath(segments), message: `must be ${JSON.stringify(params.allowedValue)}` };
    case "pattern":
      return { path: formatPath(segments), message: `must match pattern ${JSON.stringify(params.pattern)}` };
    default:
      return { path: formatPath(segments), message: err.message ?? err.keyword };
  }
}

/** JSON pointer → path segments; the data decides whether "0" is an array index or a map key. */
function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === "") return [];
  const segments: Segment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = isObject(node) ? node[key] : undefined;
    }
  }
  return segments;
}

/* ------------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------------- */

function isObject(value: unknown): value is JsonSchema {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The vendored schemas are shared by every test in a process: freeze them so nothing can edit them in passing. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
