import { defineConfig } from "drizzle-kit";

// Migrations are generated from the schema (`npm run db:generate`) and committed; the service
// applies them at start (src/adapters/postgres/connection/database.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/adapters/postgres/schema.ts",
  out: "./migrations",
});
