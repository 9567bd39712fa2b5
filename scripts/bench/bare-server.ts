// The baseline every benchmark is a ratio of: the cheapest possible Bun HTTP response.
const port = Number(process.argv[2] ?? 18080);
Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response("hello") });
console.log(`bare listening on ${port}`);
