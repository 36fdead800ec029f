import { useEffect, useState } from 'preact/hooks';
import { configureApi } from './api';
import { JobDetail } from './views/job-detail';
import { JobTypes } from './views/job-types';
import { Jobs } from './views/jobs';
import { Overview } from './views/overview';
import { Queues } from './views/queues';
import { ScheduleDetail } from './views/schedule-detail';
import { Schedules } from './views/schedules';
import { SignIn } from './views/sign-in';
import { WorkflowDetail } from './views/workflow-detail';
import { Workflows } from './views/workflows';
import { go, useRoute } from './route';
import { loadSession, saveSession, takeSignInLink, type Session } from './session';

const NAV = [
  ['/', 'Overview'],
  ['/jobs', 'Jobs'],
  ['/types', 'Job types'],
  ['/workflows', 'Workflows'],
  ['/schedules', 'Schedules'],
  ['/queues', 'Queues & workers'],
] as const;

function View({ route, session }: { route: string; session: Session }) {
  const [path = '', qs = ''] = route.split('?');
  const [, section, id] = path.split('/');
  if (section === 'jobs' && id) return <JobDetail id={id} session={session} />;
  if (section === 'jobs') return <Jobs session={session} query={new URLSearchParams(qs)} />;
  if (section === 'workflows' && id) return <WorkflowDetail id={id} />;
  if (section === 'workflows')
    return <Workflows session={session} query={new URLSearchParams(qs)} />;
  if (section === 'schedules' && id) return <ScheduleDetail id={id} />;
  if (section === 'schedules') return <Schedules />;
  if (section === 'queues') return <Queues session={session} />;
  if (section === 'types') return <JobTypes session={session} />;
  return <Overview />;
}

/** The dashboard: sign-in until a token is given, then the views under one header. */
export function App() {
  const [session, setSession] = useState<Session | null>(() => takeSignInLink() ?? loadSession());
  const [expired, setExpired] = useState(false);
  const route = useRoute();
  configureApi(session?.token ?? null, () => {
    saveSession(null);
    setExpired(true);
    setSession(null);
  });

  useEffect(() => {
    const section = route.split('?')[0]?.split('/')[1] ?? '';
    const title = NAV.find(([r]) => r === `/${section}`)?.[1] ?? 'Overview';
    document.title = session ? `${title} · Conveyor` : 'Sign in · Conveyor';
  }, [route, session]);

  if (!session)
    return (
      <SignIn
        expired={expired}
        onSignIn={(s) => {
          saveSession(s);
          setExpired(false);
          setSession(s);
        }}
      />
    );

  const active = `/${route.split('?')[0]?.split('/')[1] ?? ''}`;
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Conveyor</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([r, label]) => (
              <li key={r}>
                <a href={`#${r}`} aria-current={active === r ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="who">
          {session.sub}
          {session.admin ? ' (admin)' : ''}
        </span>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            saveSession(null);
            setSession(null);
            go('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} session={session} />
      </main>
    </>
  );
}
