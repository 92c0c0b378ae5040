// Validates Gateway API objects against the schemas of the npm package
// @kubernetes-models/gateway-api (pinned in package.json), as strictly as
// `kubernetes-validate --strict` validates the built-in kinds: each field of
// its type and within its limits, and no field the schema does not describe.
//
// The package's validators check types, enums, patterns, lengths and required
// fields, but let unknown fields pass. So each object is validated through a
// proxy that records which fields the validator reads: the validator reads
// every field its schema describes (and every key of a map), so a field it
// never read is one the schema does not know.
//
// stdin: a JSON array of objects. stdout: one line per problem,
// "Kind/name: /json/pointer: what is wrong". Exit status 1 when there is any.

import { readFileSync } from "node:fs";

const PACKAGE = "@kubernetes-models/gateway-api";
// The package's name for each API group, in its schemas' file names.
const GROUPS = {
  "gateway.networking.k8s.io": "Apis",
  "gateway.networking.x-k8s.io": "Apisx",
};

const pointer = (path, key) => `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;

async function validatorFor(apiVersion, kind) {
  const [group, version] = String(apiVersion).split("/");
  if (!(group in GROUPS) || !version || !/^[A-Za-z]+$/.test(kind)) return null;
  let model;
  try {
    model = (await import(`${PACKAGE}/${group}/${version}`))[kind];
  } catch (error) {
    if (error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw error;
  }
  // Only kinds (top-level objects) have an apiVersion of their own.
  if (model?.apiVersion !== apiVersion || model?.kind !== kind) return null;
  const schema = `IoK8sSigsGatewayApi${GROUPS[group]}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
  return (await import(`${PACKAGE}/_schemas/${schema}`)).validate;
}

// A proxy of `value` (and of everything in it) that notes, for each object,
// which of its fields were read.
function watched(value, path, objects) {
  if (value === null || typeof value !== "object") return value;
  const read = new Set();
  const children = Array.isArray(value)
    ? value.map((item, index) => watched(item, pointer(path, index), objects))
    : Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, watched(item, pointer(path, key), objects)]),
      );
  if (!Array.isArray(value)) objects.push({ path, keys: Object.keys(value), read });
  const note = (key) => typeof key === "string" && read.add(key);
  return new Proxy(children, {
    get: (target, key, receiver) => (note(key), Reflect.get(target, key, receiver)),
    has: (target, key) => (note(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (note(key), Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: (target) => (Reflect.ownKeys(target).forEach(note), Reflect.ownKeys(target)),
  });
}

const describe = ({ keyword, params }) =>
  ({
    required: `the required field ${params.missingProperty} is missing`,
    type: `must be of type ${params.type}`,
    enum: `must be one of ${JSON.stringify(params.allowedValues)}`,
    pattern: `must match ${params.pattern}`,
  })[keyword] ?? `${keyword} ${JSON.stringify(params)}`;

async function problems(object) {
  const validate = await validatorFor(object?.apiVersion, object?.kind);
  if (!validate) return [`/: no schema for ${object?.kind} of ${object?.apiVersion} in ${PACKAGE}`];
  const objects = [];
  const found = validate(watched(object, "", objects))
    ? []
    : validate.errors.map((error) => `${error.instancePath || "/"}: ${describe(error)}`);
  // Fields inside a value that is itself wrong were never read: not news.
  const wrong = (validate.errors ?? []).map((error) => error.instancePath);
  for (const { path, keys, read } of objects) {
    if (wrong.some((bad) => path === bad || path.startsWith(`${bad}/`))) continue;
    for (const key of keys.filter((key) => !read.has(key))) {
      found.push(`${pointer(path, key)}: unknown field (not in the schema)`);
    }
  }
  return [...new Set(found)];
}

let failed = false;
for (const object of JSON.parse(readFileSync(0, "utf8"))) {
  for (const problem of await problems(object)) {
    console.log(`${object?.kind}/${object?.metadata?.name}: ${problem}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
