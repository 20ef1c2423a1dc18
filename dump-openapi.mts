import { writeFileSync } from "node:fs";
import { bootApp } from "./test/support/app.js";
const app = await bootApp({ database: "pglite" });
const res = await app.request({ method: "GET", url: "/openapi.json" });
writeFileSync(process.argv[2]!, JSON.stringify(JSON.parse(res.body), null, 2));
await app.close();
process.exit(0);
