// Regenerates the typed client's types (test/interfaces/generated/virtual-care-api.ts) from the
// OpenAPI document the service serves. Run after changing a route: npm run api:client
import { writeFileSync } from "node:fs";
import { CLIENT_TYPES_FILE, clientTypesFor, servedOpenApi } from "../test/support/api-client-types.js";

writeFileSync(CLIENT_TYPES_FILE, await clientTypesFor(await servedOpenApi()));
console.log(`wrote ${CLIENT_TYPES_FILE}`);
process.exit(0);
