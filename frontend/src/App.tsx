// The routes. Everything but the login page needs a session; the admin panel needs an admin.
import { Navigate, Route, Routes } from 'react-router';
import { AdminPage } from './admin/AdminPage';
import { AgentBuilderPage } from './agents/AgentBuilderPage';
import { AgentPage } from './agents/AgentPage';
import { AgentsProvider } from './agents/AgentsContext';
import { LoginPage } from './auth/LoginPage';
import { RequireAuth } from './auth/RequireAuth';
import { InboxProvider } from './inbox/InboxContext';
import { InboxPage } from './inbox/InboxPage';
import { DashboardPage } from './projects/DashboardPage';
import { NewProjectPage } from './projects/NewProjectPage';
import { ProjectPage } from './projects/ProjectPage';
import { SettingsPage } from './settings/SettingsPage';
import { AppShell } from './shell/AppShell';
import { NotificationLinks } from './shell/NotificationLinks';
import { OfflineBanner } from './shell/OfflineBanner';
import { useAuth } from './auth/AuthContext';

function SignedIn() {
  const { user } = useAuth();
  // Keyed by user so a different login never sees the previous user's cached agents.
  return (
    <RequireAuth>
      <AgentsProvider key={user?.id}>
        <InboxProvider key={user?.id}>
          <AppShell />
        </InboxProvider>
      </AgentsProvider>
    </RequireAuth>
  );
}

export function App() {
  return (
    <>
      <OfflineBanner />
      <NotificationLinks />
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<SignedIn />}>
          <Route index element={<DashboardPage />} />
          <Route path="agents/new" element={<AgentBuilderPage />} />
          <Route path="agents/:id" element={<AgentPage />} />
          <Route path="agents/:id/edit" element={<AgentBuilderPage />} />
          <Route path="agents/:id/projects/new" element={<NewProjectPage />} />
          <Route path="projects/:id" element={<ProjectPage />} />
          <Route path="inbox" element={<InboxPage />} />
          <Route path="inbox/:id" element={<InboxPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route
            path="admin"
            element={
              <RequireAuth admin>
                <AdminPage />
              </RequireAuth>
            }
          />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </>
  );
}
