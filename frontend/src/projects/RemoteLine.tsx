// Where a cloned project's branch goes: its repository, when AutoCode pushes there, and the pull
// request opened at completion, as a link.
import type { ProjectRemote } from '../types';

const PUSH_WORDS = { off: 'not pushed', each_step: 'pushed after each step', at_completion: 'pushed at completion' } as const;

/** Only web addresses become links: a stored value never runs script when clicked. */
function webLink(url: string | null): string | null {
  return url && /^https?:\/\//.test(url) ? url : null;
}

export function RemoteLine({ remote, branch }: { remote: ProjectRemote; branch: string }) {
  const pr = webLink(remote.pull_request_url);
  return (
    <p className="min-w-0 break-all text-sm text-slate-400" data-testid="remote">
      <span className="text-slate-300">{remote.url}</span> · {branch} {PUSH_WORDS[remote.push]}
      {pr && (
        <>
          {' · '}
          <a className="font-semibold text-sky-300 hover:underline" href={pr} target="_blank" rel="noreferrer">
            Pull request
          </a>
        </>
      )}
    </p>
  );
}
