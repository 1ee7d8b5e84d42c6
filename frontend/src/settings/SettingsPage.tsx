import { useAuth } from '../auth/AuthContext';
import { PageHeader } from '../ui/controls';
import { ApiKeys } from './ApiKeys';
import { ChangePassword } from './ChangePassword';
import { ClaudeAccount } from './ClaudeAccount';
import { Channels } from './Channels';
import { GitToken } from './GitToken';
import { Notifications } from './Notifications';

export function SettingsPage() {
  const { user } = useAuth();
  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Settings" subtitle={user ? `Signed in as ${user.username}` : undefined} />
      <ClaudeAccount />
      <Notifications />
      <Channels />
      <ApiKeys />
      <GitToken />
      <ChangePassword />
    </div>
  );
}
