// A real OpenID Connect provider for the tests (npm `oidc-provider` 9.x), on the loopback.
//
//   node tests/oidc/provider.mjs '<json>'
//
// The JSON: {"port": 0, "clients": [{"client_id", "client_secret", "redirect_uris", "fault"?}],
//            "clock_offset_seconds"?: 0}
// port 0 picks a free port. When the provider listens it prints one line to stdout,
// `READY http://127.0.0.1:<port>`, and the issuer is that URL.
//
// Without an argument it serves the portal of `make run` on port 9090, with two clients:
// portal-staff (secret portal-staff-dev-secret, callback /log-ind/staff/callback) and
// portal-citizen (secret portal-citizen-dev-secret, callback /log-ind/mitid/callback).
//
// Login and consent are the library's development pages (features.devInteractions): any
// password is accepted for an account below. Each account authenticates at a fixed assurance
// level (`acr`), the way a MitID broker reports the level the person logged in with.
//
// Faults a correct provider never produces are injected per client ("fault"), on the real
// token endpoint's response, with the provider's own signing key where a signature is needed:
//   wrong-audience  the ID token is re-signed with aud = another client
//   wrong-issuer    the ID token is re-signed with iss = another issuer
//   bad-signature   one byte of the ID token's signature is changed
//   unsigned        the ID token is re-issued with alg "none" and no signature
// `clock_offset_seconds` runs the whole provider with a clock that far off (negative: behind),
// so its tokens are genuinely expired for a relying party with the right time.

import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const DEVELOPMENT = {
  port: 9090,
  clients: [
    ['portal-staff', 'staff'],
    ['portal-citizen', 'mitid'],
  ].map(([id, name]) => ({
    client_id: id,
    client_secret: `${id}-dev-secret`,
    redirect_uris: [`http://127.0.0.1:5000/log-ind/${name}/callback`],
  })),
};
const settings = process.argv[2] ? JSON.parse(process.argv[2]) : DEVELOPMENT;

const offsetMs = Number(settings.clock_offset_seconds ?? 0) * 1000;
if (offsetMs) {
  const realNow = Date.now;
  Date.now = () => realNow() + offsetMs;
}

const NSIS = 'https://data.gov.dk/concept/core/nsis/loa';
const ACCOUNTS = {
  'staff-ost': { email: 'caseworker.ost@example.org', name: 'Sagsbehandler Øst', acr: `${NSIS}/Substantial` },
  'staff-reviewer': { email: 'reviewer@example.org', name: 'Bedømmer', acr: `${NSIS}/Substantial` },
  'staff-inactive': { email: 'inactive@example.org', name: 'Deaktiveret Ansat', acr: `${NSIS}/Substantial` },
  'unknown-staff': { email: 'unknown.staff@example.org', name: 'Ukendt Ansat', acr: `${NSIS}/Substantial` },
  'citizen-1': { email: 'frida@example.org', name: 'Frida Frivillig', acr: `${NSIS}/Substantial` },
  'citizen-volunteer': { email: 'volunteer@example.org', name: 'Demo Frivillig', acr: `${NSIS}/High` },
  'citizen-low': { email: 'lav@example.org', name: 'Lars Lavniveau', acr: `${NSIS}/Low` },
};

const ACR_VALUES = [`${NSIS}/Low`, `${NSIS}/Substantial`, `${NSIS}/High`];

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

const faults = Object.fromEntries(
  (settings.clients ?? []).filter((c) => c.fault).map((c) => [c.client_id, c.fault]),
);
const clients = (settings.clients ?? []).map(({ fault: _fault, ...client }) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  // Asking for acr by default makes the provider put it in every ID token, as a broker does.
  default_acr_values: ACR_VALUES,
  ...client,
}));

const configuration = {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-key-not-a-secret'] },
  pkce: { required: () => true },
  acrValues: ACR_VALUES,
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: { devInteractions: { enabled: true } },
  // Long enough that a provider running hours behind still hands out cookies that are valid.
  ttl: { Interaction: 6 * 3600, Session: 24 * 3600, Grant: 24 * 3600 },
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email, email_verified: true, name: account.name };
      },
    };
  },
};

const listening = await new Promise((resolve, reject) => {
  const httpServer = createServer();
  httpServer.once('error', reject);
  httpServer.listen(Number(settings.port ?? 0), '127.0.0.1', () => resolve(httpServer));
});
const issuer = `http://127.0.0.1:${listening.address().port}`;
const provider = new Provider(issuer, configuration);

// The account's assurance level goes into the login result, so the ID token carries it as acr.
const interactionFinished = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  const account = result?.login && ACCOUNTS[result.login.accountId];
  if (account) result.login.acr = account.acr;
  return interactionFinished(req, res, result, options);
};

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parse = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

function resign(idToken, change) {
  const [header, payload] = idToken.split('.').slice(0, 2).map(parse);
  const input = `${b64(header)}.${b64({ ...payload, ...change(payload) })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const inject = {
  'wrong-audience': (token) => resign(token, () => ({ aud: 'another-client', azp: 'another-client' })),
  'wrong-issuer': (token) => resign(token, () => ({ iss: `${issuer}/another-issuer` })),
  'bad-signature': (token) => {
    const [header, payload, signature] = token.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] ^= 0x01;
    return `${header}.${payload}.${bytes.toString('base64url')}`;
  },
  unsigned: (token) => `${b64({ alg: 'none', typ: 'JWT' })}.${token.split('.')[1]}.`,
};

provider.use(async (ctx, next) => {
  await next();
  if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
  const fault = faults[ctx.oidc?.client?.clientId];
  if (fault && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: inject[fault](ctx.body.id_token) };
  }
});

listening.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

const stop = () => listening.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
