import { z } from "zod";

export type EnvSource = Record<string, string | undefined>;

/** Parses the environment with `schema`. Empty strings mean "unset": shells and compose files produce them freely. */
export function parseEnvWith<S extends z.ZodType>(schema: S, source: EnvSource): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  return schema.parse(cleaned);
}

/** Reads the environment once at start-up; a wrong variable names itself and the process exits. */
export function loadEnvOrExit<T>(parse: (source: EnvSource) => T, source: EnvSource = process.env): T {
  try {
    return parse(source);
  } catch (err) {
    if (err instanceof z.ZodError) {
      for (const issue of err.issues) console.error(`config error: ${issue.path.join(".")}: ${issue.message}`);
      process.exit(1);
    }
    throw err;
  }
}
