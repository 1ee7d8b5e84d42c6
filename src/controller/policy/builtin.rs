//! Denials that apply whatever an agent's policy says: recursive deletes outside the
//! workspace, force pushes, privilege escalation, piping downloads into a shell, and
//! touching AutoCode's data dir outside the project's own workspace (other users' files,
//! the database, the master key). Paths are judged lexically: a symlink inside the
//! workspace that points elsewhere is not seen here.

use std::path::{Component, Path, PathBuf};

use super::shell::{SimpleCommand, basename, parse};

/// Shells and interpreters that run a script given on stdin or with `-c`.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby", "node",
];
const ESCALATORS: &[&str] = &["sudo", "doas", "su", "pkexec", "run0"];
const DOWNLOADERS: &[&str] = &["curl", "wget"];
/// Nested `sh -c` deeper than this is refused rather than followed.
const MAX_DEPTH: usize = 4;

pub(super) struct Paths {
    pub workspace: PathBuf,
    pub data_dir: PathBuf,
    pub home: Option<PathBuf>,
}

impl Paths {
    /// Where `word` points if it is used as a path from `cwd`; `None` when unknowable.
    fn resolve(&self, word: &str, cwd: Option<&Path>) -> Option<PathBuf> {
        let word = word.strip_prefix("file://").unwrap_or(word);
        let home_relative = ["~", "$HOME", "${HOME}"].iter().find_map(|prefix| {
            word.strip_prefix(prefix)
                .filter(|r| r.is_empty() || r.starts_with('/'))
        });
        let joined = if let Some(rest) = home_relative {
            self.home.as_ref()?.join(rest.trim_start_matches('/'))
        } else if word.starts_with('/') {
            PathBuf::from(word)
        } else {
            cwd?.join(word)
        };
        Some(normalize(&joined))
    }

    fn is_other_data(&self, path: &Path) -> bool {
        path.starts_with(&self.data_dir) && !path.starts_with(&self.workspace)
    }

    fn strictly_inside_workspace(&self, path: &Path) -> bool {
        path.starts_with(&self.workspace) && path != self.workspace
    }
}

/// `a/./b/../c` is `a/c`; `..` above the root stays at the root.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn looks_like_path(word: &str) -> bool {
    word.contains('/') || word == "." || word == ".." || word.starts_with('~')
}

/// Why a non-shell tool's subject (a path, a glob, a URL) must be denied, if it must.
pub(super) fn path_denial(subject: &str, paths: &Paths) -> Option<String> {
    let path = paths.resolve(subject.trim(), Some(&paths.workspace))?;
    paths.is_other_data(&path).then(|| data_dir_reason(subject))
}

fn data_dir_reason(word: &str) -> String {
    format!(
        "{word} is in AutoCode's data directory outside this project's workspace \
         (other users' files and the daemon's own); it may not be read or written"
    )
}

/// Why a shell command line must be denied, if it must.
pub(super) fn shell_denial(commands: &[SimpleCommand], paths: &Paths) -> Option<String> {
    check_list(commands, paths, 0)
}

fn check_list(commands: &[SimpleCommand], paths: &Paths, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return Some("shell commands nested this deeply are not accepted".to_owned());
    }
    let mut cwd = Some(paths.workspace.clone());
    let mut pipeline_fetches = false;
    for cmd in commands {
        if !cmd.piped {
            pipeline_fetches = false;
        }
        let words = cmd.command_words();
        let program = cmd.program().unwrap_or("");
        if program.contains(['$', '`']) {
            return Some(format!(
                "{program} is a computed command name; run the command by its name"
            ));
        }
        if ESCALATORS.contains(&program) {
            return Some(format!(
                "{program} is never allowed: the agent runs without privileges"
            ));
        }
        if cmd.piped && INTERPRETERS.contains(&program) && pipeline_fetches {
            return Some("piping a download into a shell (curl ... | sh) is never allowed".into());
        }
        let mentions_download = cmd
            .words
            .iter()
            .any(|w| DOWNLOADERS.iter().any(|d| w.contains(d)));
        pipeline_fetches |= mentions_download;
        if INTERPRETERS.contains(&program) && mentions_download {
            return Some("running a downloaded script is never allowed".into());
        }
        for word in cmd.words.iter().chain(&cmd.inputs).chain(&cmd.outputs) {
            let value = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
            for candidate in [word.as_str(), value] {
                if looks_like_path(candidate)
                    && let Some(path) = paths.resolve(candidate, cwd.as_deref())
                    && paths.is_other_data(&path)
                {
                    return Some(data_dir_reason(candidate));
                }
            }
        }
        if let Some(reason) = recursive_delete(cmd, program, words, cwd.as_deref(), paths) {
            return Some(reason);
        }
        if is_force_push(program, words) {
            return Some("force pushes (git push --force, -f, --force-with-lease, +refspec) are never allowed".into());
        }
        if let Some(script) = inner_script(program, words) {
            let inner = parse(&script);
            if let Some(reason) = check_list(&inner, paths, depth + 1) {
                return Some(reason);
            }
        }
        if program == "cd" || program == "pushd" {
            let target = words[1..].iter().find(|w| !w.starts_with('-'));
            cwd = match target {
                Some(t) => paths.resolve(t, cwd.as_deref()),
                None => paths.home.clone(),
            };
        }
    }
    None
}

/// The script a command runs as text: `sh -c SCRIPT`, `eval WORDS`, `find -exec CMD ;`,
/// `xargs CMD` (its arguments come from stdin, so they are unknown: `{}`).
fn inner_script(program: &str, words: &[String]) -> Option<String> {
    if INTERPRETERS.contains(&program) {
        let at = words
            .iter()
            .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))?;
        return words.get(at + 1).cloned();
    }
    if program == "eval" {
        return Some(words[1..].join(" "));
    }
    if program == "find" {
        let at = words
            .iter()
            .position(|w| matches!(w.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir"))?;
        let inner: Vec<&str> = words[at + 1..]
            .iter()
            .take_while(|w| *w != ";" && *w != "+")
            .map(String::as_str)
            .collect();
        return Some(inner.join(" "));
    }
    None
}

fn recursive_delete(
    cmd: &SimpleCommand,
    program: &str,
    words: &[String],
    cwd: Option<&Path>,
    paths: &Paths,
) -> Option<String> {
    if program == "find" {
        // `find DIR -delete` is a recursive delete of everything it walks.
        if words.iter().any(|w| w == "-delete") {
            let roots: Vec<&String> = words[1..]
                .iter()
                .take_while(|w| !w.starts_with('-'))
                .collect();
            let safe = if roots.is_empty() {
                cwd.is_some_and(|c| c.starts_with(&paths.workspace))
            } else {
                roots.iter().all(|r| within_workspace(r, cwd, paths))
            };
            if !safe {
                return Some("find -delete outside the workspace is never allowed".into());
            }
        }
        return None;
    }
    if program != "rm" {
        return None;
    }
    let (mut recursive, mut options_done) = (false, false);
    let mut targets = Vec::new();
    for word in &words[1..] {
        if options_done || !word.starts_with('-') || word == "-" {
            targets.push(word);
        } else if word == "--" {
            options_done = true;
        } else if word == "--no-preserve-root" {
            return Some("rm --no-preserve-root is never allowed".into());
        } else if word == "--recursive" || (!word.starts_with("--") && word.contains(['r', 'R'])) {
            recursive = true;
        }
    }
    if !recursive {
        return None;
    }
    // Under xargs the real targets arrive on stdin: unknown, so never safe.
    let stdin_targets = String::from("{stdin}");
    if cmd.words.iter().any(|w| basename(w) == "xargs") {
        targets.push(&stdin_targets);
    }
    targets
        .iter()
        .find(|t| !target_is_safe(t, cwd, paths))
        .map(|t| {
            format!(
                "rm -r of {t} is never allowed: recursive deletes must name paths inside the \
                 project's workspace, without globs or variables"
            )
        })
}

fn is_unknowable(target: &str) -> bool {
    target.is_empty() || target.contains(['*', '?', '[', '$', '`', '{']) || target.starts_with('~')
}

/// A recursive delete may only name something strictly inside the workspace.
fn target_is_safe(target: &str, cwd: Option<&Path>, paths: &Paths) -> bool {
    !is_unknowable(target)
        && paths
            .resolve(target, cwd)
            .is_some_and(|p| paths.strictly_inside_workspace(&p))
}

fn within_workspace(target: &str, cwd: Option<&Path>, paths: &Paths) -> bool {
    !is_unknowable(target)
        && paths
            .resolve(target, cwd)
            .is_some_and(|p| p.starts_with(&paths.workspace))
}

fn is_force_push(program: &str, words: &[String]) -> bool {
    if program != "git" {
        return false;
    }
    let mut rest = words[1..].iter();
    // Global options before the subcommand; some take a separate value.
    let subcommand = loop {
        match rest.next() {
            None => return false,
            Some(w)
                if matches!(
                    w.as_str(),
                    "-C" | "-c" | "--git-dir" | "--work-tree" | "--namespace"
                ) =>
            {
                rest.next();
            }
            Some(w) if w.starts_with('-') => {}
            Some(w) => break w,
        }
    };
    if subcommand != "push" {
        return false;
    }
    rest.any(|w| {
        w == "--force"
            || w.starts_with("--force-with-lease")
            || w == "--mirror"
            || w.starts_with('+')
            || (w.starts_with('-') && !w.starts_with("--") && w.contains('f'))
    })
}
