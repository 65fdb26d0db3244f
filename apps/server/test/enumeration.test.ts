import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, verifiedAccount } from './support/accounts.js';
import { errorData } from './support/errors.js';
import { readMailbox, waitForMail } from './support/mailbox.js';
import { startTestServer, type TestServer, uniqueEmail } from './support/server.js';

// SPEC §6.1 Codes and Mail bombing: an unknown email answers verifyEmail exactly as a real
// unverified account does; wrong codes are capped per email across resends; one IP cannot make
// the server mail every address.
let ipCounter = 0;
function nextIp(): string {
  ipCounter += 1;
  return `10.99.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}
const from = (ip: string) => ({ 'x-forwarded-for': ip });

/** A 6-digit code that is certainly not `code`. */
const wrongCode = (code: string | undefined) => (code === '000000' ? '111111' : '000000');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      TRUST_PROXY: 'true',
      // A resend every few seconds is what the cap across resends is about.
      RATE_LIMITS: JSON.stringify({ 'resendVerification.email': { max: 100, windowSeconds: 60 } }),
    },
  });
});
afterAll(() => server.stop());

/** What `verifyEmail` answers, as a reason, for each of `tries` wrong codes. */
async function answers(email: string, tries: number, code = '000000'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < tries; i++) {
    const data = await errorData(
      server.client(from(nextIp())).auth.verifyEmail.mutate({ email, code }),
    );
    out.push(data.reason ?? data.code);
  }
  return out;
}

async function unverified() {
  const email = uniqueEmail('real');
  await server
    .client(from(nextIp()))
    .auth.signUp.mutate({ name: 'Real', email, password: PASSWORD });
  const mail = await waitForMail(server.dataDir, email, 'verify-email');
  return { email, code: mail.code };
}

const resend = (email: string) =>
  server.client(from(nextIp())).auth.resendVerification.mutate({ email });

describe('verifyEmail answers an unknown email as a real unverified one (SPEC §6.1)', () => {
  it('after a code is mailed: five wrong codes, then CODE_ATTEMPTS_EXCEEDED, twice over resends; the same for an unknown and a verified email', async () => {
    const real = await unverified();
    const verified = await verifiedAccount(server, 'Verified');
    const unknown = uniqueEmail('nobody');
    const rounds = async (email: string, code: string) => {
      const first = await answers(email, 6, code);
      await resend(email);
      return [...first, 'resend', ...(await answers(email, 6, code))];
    };
    const expected = [
      ...Array(5).fill('CODE_INVALID'),
      'CODE_ATTEMPTS_EXCEEDED',
      'resend',
      ...Array(5).fill('CODE_INVALID'),
      'CODE_ATTEMPTS_EXCEEDED',
    ];
    // The account was just mailed its code by signUp; the others ask for one first.
    expect(await rounds(real.email, wrongCode(real.code))).toEqual(expected);
    await resend(unknown);
    expect(await rounds(unknown, '000000')).toEqual(expected);
    await resend(verified.email);
    expect(await rounds(verified.email, '000000')).toEqual(expected);
  });

  it('an email no code was mailed to lately answers CODE_EXPIRED, unknown or verified alike', async () => {
    const verified = await verifiedAccount(server, 'Verified');
    expect(await answers(uniqueEmail('nobody'), 3)).toEqual(Array(3).fill('CODE_EXPIRED'));
    expect(await answers(verified.email, 3)).toEqual(Array(3).fill('CODE_EXPIRED'));
  });

  it('at most 15 wrong codes per email in 24 h across resends, then TOO_MANY_REQUESTS for both', async () => {
    const real = await unverified();
    const unknown = uniqueEmail('nobody');
    for (const [email, code] of [
      [real.email, wrongCode(real.code)],
      [unknown, '000000'],
    ] as const) {
      const seen: string[] = [];
      for (let round = 0; round < 3; round++) {
        await resend(email);
        seen.push(...(await answers(email, 5, code)));
      }
      expect(seen).toEqual(Array(15).fill('CODE_INVALID'));
      await resend(email);
      expect(await answers(email, 1, code)).toEqual(['RATE_LIMITED']);
    }
    // The cap holds for the right code too: a code mailed now waits for the window.
    const latest = await waitForMail(server.dataDir, real.email, 'verify-email', 5);
    const data = await errorData(
      server.client(from(nextIp())).auth.verifyEmail.mutate({
        email: real.email,
        code: latest.code ?? '',
      }),
    );
    expect(data.code).toBe('TOO_MANY_REQUESTS');
  });

  it('a right code still verifies after wrong ones, and gives its guess back', async () => {
    const real = await unverified();
    expect(await answers(real.email, 4, wrongCode(real.code))).toEqual(
      Array(4).fill('CODE_INVALID'),
    );
    await expect(
      server.client(from(nextIp())).auth.verifyEmail.mutate({
        email: real.email,
        code: real.code ?? '',
      }),
    ).resolves.toEqual({ verified: true, alreadyVerified: false });
  });
});

describe('mail bombing (SPEC §6.1)', () => {
  it('forgotPassword.ip: one address gets 10 reset mails sent per hour, to any accounts', async () => {
    const accounts: { email: string }[] = [];
    for (let i = 0; i < 11; i++) accounts.push(await verifiedAccount(server, `Bombed${i}`));
    const ip = nextIp();
    const outcomes: string[] = [];
    for (const account of accounts) {
      outcomes.push(
        await server
          .client(from(ip))
          .auth.forgotPassword.mutate({ email: account.email })
          .then(
            () => 'ok',
            async (error: unknown) => (await errorData(Promise.reject(error))).code,
          ),
      );
    }
    expect(outcomes).toEqual([...Array(10).fill('ok'), 'TOO_MANY_REQUESTS']);
    await waitForMail(server.dataDir, accounts[9]?.email ?? '', 'reset-password');
    const resetMails = (await readMailbox(server.dataDir)).filter(
      (mail) => mail.kind === 'reset-password' && accounts.some((a) => a.email === mail.to),
    );
    expect(resetMails).toHaveLength(10);
    expect(resetMails.some((mail) => mail.to === accounts[10]?.email)).toBe(false);
  });

  it('resendVerification.ip: one address gets 10 resends per hour', async () => {
    const ip = nextIp();
    const outcomes: string[] = [];
    for (let i = 0; i < 11; i++) {
      outcomes.push(
        await server
          .client(from(ip))
          .auth.resendVerification.mutate({ email: uniqueEmail('resend') })
          .then(
            () => 'ok',
            async (error: unknown) => (await errorData(Promise.reject(error))).code,
          ),
      );
    }
    expect(outcomes).toEqual([...Array(10).fill('ok'), 'TOO_MANY_REQUESTS']);
  });
});

describe('an unknown email’s code expires as a real one does', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({
      env: {
        EMAIL_CODE_TTL_SECONDS: '1',
        RATE_LIMITS: JSON.stringify({
          'resendVerification.email': { max: 100, windowSeconds: 60 },
        }),
      },
    });
  });
  afterAll(() => short.stop());

  it('CODE_EXPIRED after EMAIL_CODE_TTL_SECONDS for both, and a resend brings CODE_INVALID back', async () => {
    const real = uniqueEmail('real');
    await short.client().auth.signUp.mutate({ name: 'Real', email: real, password: PASSWORD });
    const unknown = uniqueEmail('nobody');
    await short.client().auth.resendVerification.mutate({ email: unknown });
    const reason = async (email: string) =>
      (await errorData(short.client().auth.verifyEmail.mutate({ email, code: '000000' }))).reason;
    expect(await reason(real)).toBe('CODE_INVALID');
    expect(await reason(unknown)).toBe('CODE_INVALID');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await reason(real)).toBe('CODE_EXPIRED');
    expect(await reason(unknown)).toBe('CODE_EXPIRED');
    await short.client().auth.resendVerification.mutate({ email: unknown });
    expect(await reason(unknown)).toBe('CODE_INVALID');
  });
});
