// One commit's diff, readable on a phone: long lines wrap instead of scrolling sideways, each file
// folds on its own, added, removed and hunk-header lines have their own colours, and code is
// coloured by the small highlighter in `highlight.ts`.
import type { FileDiff } from '../types';
import { highlight, languageOf, type TokenKind } from './highlight';

const TOKEN_CLASS: Record<TokenKind, string> = {
  plain: '',
  keyword: 'text-violet-300',
  string: 'text-amber-200',
  comment: 'italic text-slate-400',
  number: 'text-cyan-300',
};

/** A patch line: its +/-/space marker as it is, then the code in colours. */
function Code({ line, lang }: { line: string; lang: string | null }) {
  if (!line) return <> </>;
  if (line.startsWith('@@') || line.startsWith('\\')) return <>{line}</>;
  return (
    <>
      {line[0]}
      {highlight(line.slice(1), lang).map((t, i) =>
        t.kind === 'plain' ? (
          t.text
        ) : (
          <span key={i} className={TOKEN_CLASS[t.kind]} data-token={t.kind}>
            {t.text}
          </span>
        ),
      )}
    </>
  );
}

function lineClass(line: string): string {
  if (line.startsWith('@@')) return 'bg-sky-950/60 text-sky-300';
  if (line.startsWith('+')) return 'bg-emerald-950/70 text-emerald-200';
  if (line.startsWith('-')) return 'bg-rose-950/70 text-rose-200';
  if (line.startsWith('\\')) return 'text-slate-500 italic';
  return 'text-slate-300';
}

function FilePatch({ file }: { file: FileDiff }) {
  const lines = file.patch.replace(/\n$/, '').split('\n');
  const lang = languageOf(file.path);
  return (
    <details open className="min-w-0 rounded-lg border border-slate-800">
      <summary className="cursor-pointer break-all px-3 py-2 text-sm font-semibold text-slate-100">
        {file.old_path ? `${file.old_path} → ${file.path}` : file.path}
      </summary>
      {file.binary ? (
        <p className="px-3 pb-2 text-sm text-slate-400">Binary file: its contents are not shown.</p>
      ) : !file.patch ? (
        <p className="px-3 pb-2 text-sm text-slate-400">No line changes (a mode change or an empty file).</p>
      ) : (
        <pre className="overflow-x-hidden text-xs leading-5" data-testid="patch">
          {lines.map((line, i) => (
            <div key={i} className={`whitespace-pre-wrap break-all px-3 ${lineClass(line)}`}>
              <Code line={line} lang={lang} />
            </div>
          ))}
        </pre>
      )}
      {file.truncated && <p className="px-3 pb-2 text-sm text-amber-300">This file's changes are too long to show in full.</p>}
    </details>
  );
}

export function DiffView({ files, truncated }: { files: FileDiff[]; truncated: boolean }) {
  if (!files.length) return <p className="text-sm text-slate-400">This step changed no file.</p>;
  return (
    <div className="flex min-w-0 flex-col gap-2">
      {files.map((f) => (
        <FilePatch key={f.path} file={f} />
      ))}
      {truncated && <p className="text-sm text-amber-300">The changes are too long to show in full; some files are missing.</p>}
    </div>
  );
}
