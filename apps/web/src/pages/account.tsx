import { useAuth } from '../auth.js';
import { DataExport, DeleteAccount } from '../components/account-data.js';
import { EmailChange } from '../components/email-change.js';
import { Page } from '../components/page.js';
import { PasswordChange } from '../components/password-change.js';
import { ProfileForm } from '../components/profile-form.js';
import { formatDate } from '../format.js';

/** The account itself (SPEC §10): name, email, password, its data, and deleting it. */
export function AccountPage() {
  const { me } = useAuth();
  return (
    <Page title="Account">
      {me && (
        <dl class="totals">
          <div>
            <dt>Name</dt>
            <dd>{me.user.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{me.user.email}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>{formatDate(me.user.createdAt)}</dd>
          </div>
        </dl>
      )}
      <ProfileForm />
      <EmailChange />
      <PasswordChange />
      <DataExport />
      <DeleteAccount />
    </Page>
  );
}
