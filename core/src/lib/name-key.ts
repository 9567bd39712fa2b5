import { caseFold } from "unicode-case-folding";

/**
 * A tag or topic name as it is stored and shown: trimmed, in NFC, so "Café" typed with a
 * combining accent and with a precomposed é is the same text.
 */
export const displayName = (raw: string): string => raw.trim().normalize("NFC");

/**
 * The one key names are compared by: writes, lookups, filters and the unique indexes all use it
 * (the `name_key` columns), so nothing depends on how JavaScript's toLowerCase and Postgres's
 * lower() disagree. It is Unicode's canonical caseless match (full default case folding between
 * NFD, D145), kept in NFC: "ΟΔΟΣ", "οδος" and "οδοσ" match, as do "Straße" and "STRASSE", and
 * "İstanbul" with "i̇stanbul" (dotted I folds to i + U+0307; "istanbul" stays another name, since
 * the default folding is not Turkish). The migration that filled the column for old rows computes
 * the same key in SQL (`tcc_name_key`); a test keeps the two equal.
 */
export const nameKey = (raw: string): string => caseFold(raw.trim().normalize("NFD")).normalize("NFC");
