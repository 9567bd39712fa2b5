// `npm run users:promote -- someone@example.com`: makes an account an admin. This is how the
// first admin comes to be (after that, admins can use PATCH /v1/admin/users/{id}).
import { schema } from "@tcc/db";
import { and, isNull, sql } from "drizzle-orm";
import { openMigratedDatabase } from "../bootstrap";
import { loadEnv } from "../env";

const email = process.argv[2]?.trim().toLowerCase();
if (!email || process.argv.length > 3) {
  console.error("usage: npm run users:promote -- <email>");
  process.exit(2);
}
const env = loadEnv();
const db = await openMigratedDatabase(env);
try {
  const [user] = await db.primary
    .update(schema.users)
    .set({ role: "admin", updatedAt: new Date() })
    .where(and(sql`lower(${schema.users.email}) = ${email}`, isNull(schema.users.deletedAt)))
    .returning({ id: schema.users.id, email: schema.users.email });
  if (!user) {
    console.error(`no account with the email ${email}`);
    process.exitCode = 1;
  } else {
    await db.primary.insert(schema.auditLog).values({
      userId: user.id,
      action: "admin.role_changed",
      targetType: "user",
      targetId: user.id,
      metadata: { to: "admin", via: "cli" },
    });
    console.log(`${user.email} is now an admin`);
  }
} finally {
  await db.close();
}
