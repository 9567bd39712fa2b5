// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded store.
import { openMigratedDatabase } from "../bootstrap";
import { loadEnv } from "../env";

const env = loadEnv();
const db = await openMigratedDatabase(env);
await db.close();
console.log(`migrations applied (${env.DATABASE_URL ? "PostgreSQL" : `${env.DATA_DIR}/pg`})`);
