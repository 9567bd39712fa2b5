import type { Drizzle } from "@tcc/db";

/**
 * A query built once per database handle instead of on every call. Drizzle builds a query's SQL
 * text from its objects each time it runs (about 40–100 µs of CPU for an entry read here, more
 * than postgres.js then spends sending it); a prepared query keeps the text and takes its values
 * as `sql.placeholder(...)`s. One per handle (primary, each replica, a transaction), held
 * weakly, so a transaction's copy goes with it.
 */
export function preparedPerHandle<Q>(prepare: (db: Drizzle) => Q): (db: Drizzle) => Q {
  const byHandle = new WeakMap<Drizzle, Q>();
  return (db) => {
    let query = byHandle.get(db);
    if (query === undefined) {
      query = prepare(db);
      byHandle.set(db, query);
    }
    return query;
  };
}
