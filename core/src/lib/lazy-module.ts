/**
 * A library loaded on first use instead of at start-up: `const zip = lazyModule(() => import("fflate"))`,
 * then `(await zip()).unzipSync(...)`. Libraries only rare routes need (OIDC sign-in, MFA, export
 * and import archives, image jobs) would otherwise sit in every API process's memory; a test
 * (core/src/lazy-loading.test.ts) checks that building the app loads none of them. A failed load
 * is not remembered, so the next call tries again. Any promise built on first use can take it
 * (the AI client does).
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!loading) {
      loading = load();
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  };
}
