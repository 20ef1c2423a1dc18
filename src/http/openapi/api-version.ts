/**
 * The version of the HTTP API: `info.version` of GET /openapi.json and the version of the client
 * package generated from it (clients/typescript/package.json; a test holds the two equal). Semver
 * by what the document promises (clients/typescript/README.md, "Versioning"): a change a client
 * written against the old document could break on is a new major; anything added is a minor.
 */
export const API_VERSION = "1.3.0";
