//! The permission policy: what to do when the coding CLI asks to use a tool. Pure
//! functions, no I/O. Built-in denials come first and no policy can lift them; then the
//! agent's deny patterns, then its allow patterns, then its default. A shell command line
//! is judged part by part: one denied part denies the whole line, and the line is approved
//! only if every part (substitutions included) is approved.

mod builtin;
mod shell;

use std::path::Path;

use crate::agent_config::{PermissionPolicy, PolicyDefault};
use builtin::Paths;
use shell::SimpleCommand;

/// Where the project lives, to tell its own files from everyone else's.
#[derive(Debug, Clone, Copy)]
pub struct PolicyContext<'a> {
    /// The project's workspace: the CLI's working directory.
    pub workspace: &'a Path,
    /// AutoCode's data dir: every user's files, the database, the master key.
    pub data_dir: &'a Path,
    /// The home directory of the account the CLI runs as, to resolve `~`; paths under an
    /// unknown home are not resolved.
    pub home: Option<&'a Path>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    /// Refuse, and tell the CLI this reason.
    Deny(String),
    /// The supervising LLM decides with the project's context.
    AskLlm,
    /// The project's owner decides (needs_help).
    AskHuman,
}

/// Judges one permission request: `tool` as the CLI names it (`Bash`, `Write`...), and
/// `subject`, the command line for shell tools or the path (or URL) for the others.
pub fn evaluate(
    policy: &PermissionPolicy,
    tool: &str,
    subject: &str,
    ctx: &PolicyContext<'_>,
) -> Verdict {
    let paths = Paths {
        workspace: builtin::normalize(ctx.workspace),
        data_dir: builtin::normalize(ctx.data_dir),
        home: ctx.home.map(builtin::normalize),
    };
    let commands = is_shell(tool).then(|| shell::parse(subject));
    let denial = match &commands {
        Some(commands) => builtin::shell_denial(commands, &paths),
        None => builtin::path_denial(subject, &paths),
    };
    if let Some(reason) = denial {
        return Verdict::Deny(reason);
    }
    let texts = texts(subject, commands.as_deref(), &paths);
    for pattern in &policy.deny {
        let pat = Pattern::parse(pattern);
        let mut candidates = texts.iter().flatten().map(String::as_str);
        if pat.tool_matches(tool)
            && (pat.subject_matches(subject) || candidates.any(|t| pat.subject_matches(t)))
        {
            return Verdict::Deny(format!("the agent's policy denies {pattern}"));
        }
    }
    let allowed = |t: &String| {
        policy.allow.iter().any(|p| {
            let pat = Pattern::parse(p);
            pat.tool_matches(tool) && pat.subject_matches(t)
        })
    };
    // Every part must be allowed on its own, so `Bash(ls *)` never approves `ls; rm x`.
    let approve = !texts.is_empty() && texts.iter().all(|alts| alts.iter().any(allowed));
    if approve && !writes_outside(commands.as_deref(), &paths) {
        return Verdict::Approve;
    }
    match policy.default {
        PolicyDefault::Llm => Verdict::AskLlm,
        PolicyDefault::Ask => Verdict::AskHuman,
        PolicyDefault::Approve => Verdict::Approve,
    }
}

fn is_shell(tool: &str) -> bool {
    matches!(tool.to_ascii_lowercase().as_str(), "bash" | "shell")
}

/// The parts a pattern is tried on, each with its alternative spellings: for a shell line
/// one entry per simple command (as written, and without wrappers such as `env X=1`); for
/// other tools the subject as given and relative to the workspace.
fn texts(subject: &str, commands: Option<&[SimpleCommand]>, paths: &Paths) -> Vec<Vec<String>> {
    match commands {
        Some(commands) => commands
            .iter()
            .map(|c| vec![c.words.join(" "), c.command_words().join(" ")])
            .collect(),
        None => {
            let mut alts = vec![subject.to_owned()];
            if let Ok(rel) = Path::new(subject).strip_prefix(&paths.workspace) {
                alts.push(rel.to_string_lossy().into_owned());
            }
            vec![alts]
        }
    }
}

/// Redirections that write outside the workspace are never approved by a pattern alone:
/// `Bash(echo *)` must not approve `echo x > ~/.bashrc`.
fn writes_outside(commands: Option<&[SimpleCommand]>, paths: &Paths) -> bool {
    commands
        .unwrap_or_default()
        .iter()
        .flat_map(|c| &c.outputs)
        .any(|target| {
            target != "/dev/null"
                && (target.contains(['$', '`', '~', '*'])
                    || !builtin::normalize(&paths.workspace.join(target))
                        .starts_with(&paths.workspace))
        })
}

/// `Tool` or `Tool(glob)`; the tool name is matched case-insensitively and may be `*`.
struct Pattern<'a> {
    tool: &'a str,
    glob: Option<&'a str>,
}

impl<'a> Pattern<'a> {
    fn parse(text: &'a str) -> Self {
        let text = text.trim();
        match text.split_once('(') {
            Some((tool, rest)) if rest.ends_with(')') => Pattern {
                tool: tool.trim(),
                glob: Some(&rest[..rest.len() - 1]),
            },
            _ => Pattern {
                tool: text,
                glob: None,
            },
        }
    }

    fn tool_matches(&self, tool: &str) -> bool {
        self.tool == "*" || self.tool.eq_ignore_ascii_case(tool)
    }

    fn subject_matches(&self, subject: &str) -> bool {
        let subject = subject.trim();
        match self.glob {
            None => true,
            // Claude Code's `Bash(npm run test:*)`: the command, alone or with arguments.
            Some(glob) if glob.ends_with(":*") && !glob[..glob.len() - 2].contains('*') => {
                let prefix = &glob[..glob.len() - 2];
                subject == prefix
                    || subject
                        .strip_prefix(prefix)
                        .is_some_and(|r| r.starts_with(' '))
            }
            Some(glob) => glob_match(glob, subject),
        }
    }
}

/// `*` matches any run of characters (slashes and spaces too); everything else is literal.
fn glob_match(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut gi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && g[gi] == '*' {
            backtrack = Some((gi, ti));
            gi += 1;
        } else if gi < g.len() && g[gi] == t[ti] {
            gi += 1;
            ti += 1;
        } else if let Some((star, matched)) = backtrack {
            gi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests;
