import type { CryptwebClient, RouterOutputs } from '@cryptweb/client';
import QRCode from 'qrcode';
import { CliError } from './errors.js';
import type { Output } from './output.js';

type Poll = RouterOutputs['auth']['device']['poll'];
/** The signIn success shape, which an approved poll answers with too. */
export type SignedIn = Exclude<Poll, { status: string }>;

/** RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval, for the rest of the flow. */
const SLOW_DOWN_SECONDS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The code, the link and a QR code of the link with the code in it, for a phone to scan. */
async function instructions(
  codes: RouterOutputs['auth']['device']['start'],
  out: Output,
): Promise<string> {
  const { paint } = out;
  const qr = await QRCode.toString(codes.verificationUriComplete, {
    type: 'terminal',
    small: true,
  });
  return [
    `To sign in, open ${paint.cyan(codes.verificationUri)} where you are signed in,`,
    `and enter the code ${paint.bold(codes.userCode)} (or scan this to open it with the code):`,
    '',
    qr.trimEnd(),
    '',
    `${paint.dim('code')}  ${paint.bold(codes.userCode)}`,
    `${paint.dim('link')}  ${codes.verificationUriComplete}`,
  ].join('\n');
}

/**
 * Device authorization (SPEC §11, RFC 8628): shows a code to approve in a signed-in browser and
 * polls until it is approved; the SDK keeps the tokens of the answer as it does a sign-in's. No
 * password passes through the CLI.
 */
export async function signInThroughBrowser(
  api: CryptwebClient,
  out: Output,
  clientName: string,
): Promise<SignedIn> {
  const codes = await api.auth.device.start.mutate({ clientName, device: { name: clientName } });
  out.show(await instructions(codes, out));
  out.note(
    `waiting for the approval (the code expires in ${Math.round(codes.expiresIn / 60)} min)…`,
  );
  let interval = codes.interval;
  // The server says when the code expires; the local deadline only stops a poll loop it never ends.
  const deadline = Date.now() + codes.expiresIn * 1000;
  for (;;) {
    await sleep(interval * 1000);
    const answer = await api.auth.device.poll.mutate({ deviceCode: codes.deviceCode });
    if (!('status' in answer)) return answer;
    switch (answer.status) {
      case 'pending':
        if (Date.now() < deadline) continue;
        throw expired();
      case 'slow_down':
        interval += SLOW_DOWN_SECONDS;
        continue;
      case 'denied':
        throw new CliError(
          'the sign-in was denied in the browser',
          'if that was a mistake, run `cryptweb login --browser` again for a new code',
        );
      case 'expired':
        throw expired();
    }
  }
}

function expired(): CliError {
  return new CliError(
    'the code expired before it was approved',
    'run `cryptweb login --browser` again for a new code',
  );
}
