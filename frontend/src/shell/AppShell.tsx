// The frame around every signed-in page: a sidebar (a drawer on phones) with the inbox and its
// live count, the dashboard, one entry per agent, "+ New Agent", settings and, for admins, the
// admin panel.
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useAgents } from '../agents/AgentsContext';
import { useAuth } from '../auth/AuthContext';
import { useInbox } from '../inbox/InboxContext';
import { Button } from '../ui/controls';

const linkClass = ({ isActive }: { isActive: boolean }) =>
  `flex min-h-10 items-center gap-2 truncate rounded-lg px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-sky-300 ${
    isActive ? 'bg-sky-500/20 text-sky-200' : 'text-slate-300 hover:bg-slate-800 hover:text-white'
  }`;

function Sidebar() {
  const inboxCount = useInbox().inbox?.count ?? null;
  const { user, logout } = useAuth();
  const agents = useAgents();
  return (
    <nav aria-label="Main" className="flex h-full flex-col gap-1 overflow-y-auto p-3">
      <div className="mb-3 flex items-center gap-2 px-2">
        <img src="/favicon.svg" alt="" className="h-7 w-7" />
        <span className="text-lg font-bold text-white">AutoCode</span>
      </div>
      <NavLink to="/inbox" className={linkClass}>
        <span>Inbox</span>
        {inboxCount !== null && inboxCount > 0 && (
          <span aria-label={`${inboxCount} waiting`} className="ml-auto rounded-full bg-amber-400 px-2 text-xs font-bold text-slate-950">
            {inboxCount}
          </span>
        )}
      </NavLink>
      <NavLink to="/" end className={linkClass}>
        Dashboard
      </NavLink>
      <p className="mt-3 px-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Agents</p>
      {agents.error && <p className="px-3 text-xs text-rose-300">Could not load agents: {agents.error}</p>}
      {agents.data?.map((agent) => (
        <NavLink key={agent.id} to={`/agents/${agent.id}`} className={linkClass}>
          <span aria-hidden="true" className="text-slate-500">
            ◆
          </span>
          <span className="truncate">{agent.name}</span>
        </NavLink>
      ))}
      <NavLink to="/agents/new" end className={linkClass}>
        + New Agent
      </NavLink>
      <div className="mt-auto flex flex-col gap-1 border-t border-slate-800 pt-3">
        <NavLink to="/settings" className={linkClass}>
          Settings
        </NavLink>
        {user?.role === 'admin' && (
          <NavLink to="/admin" className={linkClass}>
            Admin Panel
          </NavLink>
        )}
        <div className="flex items-center justify-between gap-2 px-3 pt-2 text-sm text-slate-400">
          <span className="truncate">
            {user?.username}
            {user?.role === 'admin' && ' (admin)'}
          </span>
          <Button variant="ghost" className="!px-2" onClick={() => void logout()}>
            Log out
          </Button>
        </div>
      </div>
    </nav>
  );
}

export function AppShell() {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const close = (event: KeyboardEvent) => event.key === 'Escape' && setOpen(false);
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [open]);

  return (
    <div className="flex flex-1">
      <aside className="sticky top-0 hidden h-screen w-64 shrink-0 border-r border-slate-800 bg-slate-900 md:block">
        <Sidebar />
      </aside>
      {open && (
        <div className="fixed inset-0 z-40 md:hidden" role="dialog" aria-modal="true" aria-label="Menu">
          <button type="button" aria-label="Close menu" className="absolute inset-0 bg-black/60" onClick={() => setOpen(false)} />
          <div className="absolute inset-y-0 left-0 w-72 max-w-[85vw] border-r border-slate-800 bg-slate-900 shadow-2xl">
            <Sidebar />
          </div>
        </div>
      )}
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex items-center gap-3 border-b border-slate-800 bg-slate-950/95 px-3 py-2 backdrop-blur md:hidden">
          <Button variant="ghost" aria-label="Open menu" aria-expanded={open} onClick={() => setOpen(true)} className="!px-2">
            <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2">
              <path d="M4 6h16M4 12h16M4 18h16" strokeLinecap="round" />
            </svg>
          </Button>
          <span className="font-bold text-white">AutoCode</span>
        </header>
        <main className="mx-auto w-full max-w-5xl min-w-0 flex-1 px-3 py-4 sm:px-6 sm:py-6">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
