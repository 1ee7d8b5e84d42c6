// A project's git history as `/api/projects/{id}/history` speaks it: its commits, a commit's
// diff, and undoing a step. Imported through ../types like every API shape.

/** One file a commit changed, with its line counts (a binary file counts none). */
export interface FileStat {
  path: string;
  insertions: number;
  deletions: number;
  binary: boolean;
}

/** A commit of a project's branch; `step` (1-based) when it is a step's commit. */
export interface Commit {
  sha: string;
  step: number | null;
  title: string;
  summary: string;
  author: string;
  time: string;
  files: FileStat[];
  insertions: number;
  deletions: number;
  /** The commit that undid this step, if it was undone. */
  reverted_by: string | null;
}

export interface FileDiff {
  path: string;
  old_path: string | null;
  binary: boolean;
  /** Unified hunks as git prints them (`@@` headers, `+`/`-`/` ` lines). */
  patch: string;
  truncated: boolean;
}

export interface CommitDiff {
  sha: string;
  files: FileDiff[];
  truncated: boolean;
}

export interface RevertResult {
  step: number;
  reverted: string;
  commit: string | null;
}
