// Warns the admin when members' coding CLIs are not walled off from each other: the
// sandbox is switched off in autocode.toml, or this host cannot create one.
import { api } from '../api';
import { ErrorMessage } from '../ui/controls';
import { useResource } from '../ui/useResource';

export function SandboxBanner() {
  const system = useResource(() => api.getSystem(), []);
  const sandbox = system.data?.sandbox;
  if (!sandbox) return null;
  if (!sandbox.enabled) {
    return (
      <ErrorMessage>
        The sandbox is off (sandbox = false in autocode.toml): every member&apos;s Claude Code can read
        the other members&apos; files. Fine for a one-person install only.
      </ErrorMessage>
    );
  }
  if (!sandbox.available) {
    return <ErrorMessage>{sandbox.problem ?? 'The sandbox cannot start.'} Projects cannot start until this is fixed.</ErrorMessage>;
  }
  return null;
}
