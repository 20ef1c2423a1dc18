// Regenerates the TypeScript client's types (clients/typescript/src/generated/virtual-care-api.ts)
// from the OpenAPI document the service serves; the web app compiles against them too. Run after
// changing a route: npm run api:client
import { writeFileSync } from "node:fs";
import { CLIENT_TYPES_FILE, clientTypesFor, servedOpenApi } from "../test/support/api-client-types.js";

writeFileSync(CLIENT_TYPES_FILE, await clientTypesFor(await servedOpenApi()));
console.log(`wrote ${CLIENT_TYPES_FILE}`);
process.exit(0);
