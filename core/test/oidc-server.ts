import type { Server } from "node:http";
import Provider from "oidc-provider";

export interface OidcAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OidcServer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the provider next (the provider's own login step). */
  accounts: Map<string, OidcAccount>;
  /**
   * Plays the browser: opens the authorization URL, signs in at the provider as `sub`, and
   * returns the URL the provider redirects back to (with `code` and `state`).
   */
  authorize(authorizationUrl: string, sub: string): Promise<URL>;
  close(): Promise<void>;
}

/** A real OpenID Connect provider (the oidc-provider package) on a loopback port. */
export async function startOidcServer(redirectUris: string[]): Promise<OidcServer> {
  const accounts = new Map<string, OidcAccount>();
  const clientId = "tcc-test-client";
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const server: Server = (await import("node:http")).createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["test-cookie-key"] },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
    // No consent screen: the test client is first-party.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId, accountId: ctx.oidc.session?.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  provider.on("server_error", (_ctx, err) => console.error("oidc-provider server_error", err));
  server.on("request", provider.callback());

  async function authorize(authorizationUrl: string, sub: string): Promise<URL> {
    const jar = new Map<string, string>();
    const remember = (res: Response) => {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const [name, ...value] = (pair as string).split("=");
        jar.set(name as string, value.join("="));
      }
    };
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 10; hop++) {
      if (!url.href.startsWith(issuer)) return url; // back at the client
      let res = await fetch(url, { redirect: "manual", headers: { cookie: cookie() } });
      remember(res);
      if (res.status === 200 && url.pathname.startsWith("/interaction/")) {
        // The provider's sign-in page: submit it as `sub`.
        res = await fetch(url, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ prompt: "login", login: sub, password: "any" }),
        });
        remember(res);
      }
      const location = res.headers.get("location");
      if (!location) throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
      url = new URL(location, url);
    }
    throw new Error("too many redirects at the provider");
  }

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    authorize,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
