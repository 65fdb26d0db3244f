import { ok, passkeyCreationOptions, passkeyListOutput, passkeyView } from '../contract.js';
import {
  passkeyRegistrationOptionsInput,
  registerPasskeyInput,
  removePasskeyInput,
  renamePasskeyInput,
} from '../schemas.js';
import {
  listPasskeys,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
} from '../services/passkeys.js';
import { authedProcedure, rest, router } from '../trpc.js';

/** The signed-in account's passkeys (SPEC §9); a caller only ever sees and touches its own. */
export const passkeysRouter = router({
  registrationOptions: authedProcedure
    .meta(rest('POST', '/passkeys/options', 'WebAuthn creation options for a new passkey'))
    .input(passkeyRegistrationOptionsInput)
    .output(passkeyCreationOptions)
    .mutation(({ ctx, input }) => passkeyRegistrationOptions(ctx, ctx.session, input)),

  register: authedProcedure
    .meta(rest('POST', '/passkeys', 'Add the passkey the authenticator just created'))
    .input(registerPasskeyInput)
    .output(passkeyView)
    .mutation(({ ctx, input }) => registerPasskey(ctx, ctx.session, input)),

  list: authedProcedure
    .meta(rest('GET', '/passkeys', 'This account’s passkeys'))
    .output(passkeyListOutput)
    .query(({ ctx }) => listPasskeys(ctx.db, ctx.session)),

  rename: authedProcedure
    .meta(rest('POST', '/passkeys/{id}/rename', 'Rename a passkey'))
    .input(renamePasskeyInput)
    .output(passkeyView)
    .mutation(({ ctx, input }) => renamePasskey(ctx.db, ctx.session, input)),

  remove: authedProcedure
    .meta(rest('POST', '/passkeys/{id}/remove', 'Remove a passkey (current password required)'))
    .input(removePasskeyInput)
    .output(ok)
    .mutation(({ ctx, input }) => removePasskey(ctx, ctx.session, input)),
});
