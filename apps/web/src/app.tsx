import { useEffect } from 'preact/hooks';
import { useIsAdmin } from './admin-access.js';
import { AuthProvider, useAuth } from './auth.js';
import { Page } from './components/page.js';
import { AccountPage } from './pages/account.js';
import { AdminPage } from './pages/admin.js';
import { DevicePage } from './pages/device.js';
import { DevicesPage } from './pages/devices.js';
import { ForgotPasswordPage } from './pages/forgot-password.js';
import { HistoryPage } from './pages/history.js';
import { HomePage } from './pages/home.js';
import { NotMePage } from './pages/not-me.js';
import { ResetPasswordPage } from './pages/reset-password.js';
import { SecurityPage } from './pages/security.js';
import { SignInPage } from './pages/sign-in.js';
import { SignUpPage } from './pages/sign-up.js';
import { VerifyPage } from './pages/verify.js';
import { Link, navigate, PUBLIC_ROUTES, type Route, useLocation } from './router.js';
import { TransfersProvider } from './transfers.js';

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}

const NAV: { route: Route; label: string }[] = [
  { route: 'home', label: 'Send' },
  { route: 'history', label: 'History' },
  { route: 'devices', label: 'Devices' },
  { route: 'account', label: 'Account' },
  { route: 'security', label: 'Security' },
];
/** Shown only to admins; the server refuses everyone else's admin calls anyway. */
const ADMIN_NAV = { route: 'admin', label: 'Admin' } as const;

/** Routes a signed-in person has no use for: they go home instead. */
const SIGNED_OUT_ONLY = new Set<Route>(['sign-in', 'sign-up', 'verify', 'forgot-password']);

function Shell() {
  const auth = useAuth();
  const { route } = useLocation();
  const signedIn = auth.status === 'signed-in';
  const nav = useIsAdmin() ? [...NAV, ADMIN_NAV] : NAV;

  useEffect(() => {
    if (signedIn && SIGNED_OUT_ONLY.has(route)) navigate('home', {}, { replace: true });
  }, [signedIn, route]);

  let page = null;
  if (auth.status === 'loading') {
    page = (
      <p role="status" class="muted">
        Loading…
      </p>
    );
  } else if (auth.status === 'unreachable') {
    page = (
      <Page title="Cannot reach CryptWeb">
        <p role="alert">The server did not answer. Check your connection, then try again.</p>
        <button type="button" class="primary" onClick={() => void auth.resume()}>
          Try again
        </button>
      </Page>
    );
  } else if (!signedIn && !PUBLIC_ROUTES.has(route)) {
    // Any private page shows the sign-in form in place, and is there once signed in.
    page = <SignInPage key="sign-in" />;
  } else {
    page = <PageFor key={route} route={route} />;
  }

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="bar">
          <Link to="home" class="brand">
            CryptWeb
          </Link>
          {signedIn && auth.me && (
            <div class="who">
              <span class="muted" title={auth.me.user.email}>
                {auth.me.user.name}
              </span>
              <button type="button" onClick={() => void auth.signOut()}>
                Sign out
              </button>
            </div>
          )}
        </div>
        {signedIn && (
          <nav aria-label="Main">
            <ul>
              {nav.map((item) => (
                <li key={item.route}>
                  <Link to={item.route} aria-current={route === item.route ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {signedIn ? <TransfersProvider>{page}</TransfersProvider> : page}
      </main>
    </>
  );
}

function PageFor({ route }: { route: Route }) {
  switch (route) {
    case 'home':
      return <HomePage />;
    case 'history':
      return <HistoryPage />;
    case 'devices':
      return <DevicesPage />;
    case 'account':
      return <AccountPage />;
    case 'security':
      return <SecurityPage />;
    case 'device':
      return <DevicePage />;
    case 'admin':
      return <AdminPage />;
    case 'sign-in':
      return <SignInPage />;
    case 'sign-up':
      return <SignUpPage />;
    case 'verify':
      return <VerifyPage />;
    case 'forgot-password':
      return <ForgotPasswordPage />;
    case 'reset-password':
      return <ResetPasswordPage />;
    case 'not-me':
      return <NotMePage />;
    case 'not-found':
      return (
        <Page title="Page not found">
          <p>
            There is nothing here. <Link to="home">Go to the start page</Link>.
          </p>
        </Page>
      );
  }
}
