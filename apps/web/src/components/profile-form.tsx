import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { fieldError } from '../errors.js';
import { useAction, useCountdown } from '../hooks.js';
import { Field } from './field.js';
import { Notice, ProblemAlert, SubmitButton } from './messages.js';

/** The display name others see when you send them files. */
export function ProfileForm() {
  const { client, me, verifySession } = useAuth();
  const [name, setName] = useState(me?.user.name ?? '');
  const [saved, setSaved] = useState(false);
  const { busy, problem, run } = useAction();
  const wait = useCountdown(problem);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    setSaved(false);
    void run(async () => {
      const { user } = await client.account.updateProfile.mutate({ name });
      setName(user.name);
      setSaved(true);
      // The header shows the name from `auth.me`: read it again rather than patch a copy.
      await verifySession();
    });
  };

  return (
    <section class="panel" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your name</h2>
      {saved && <Notice tone="success">Name saved.</Notice>}
      <ProblemAlert problem={problem} />
      <form onSubmit={onSubmit} class="stack">
        <Field
          label="Display name"
          hint="Up to 30 characters, shown to the people you send files to."
          autoComplete="name"
          required
          maxLength={30}
          value={name}
          onValue={setName}
          error={fieldError(problem, 'name')}
        />
        <SubmitButton busy={busy} wait={wait} busyLabel="Saving…">
          Save name
        </SubmitButton>
      </form>
    </section>
  );
}
