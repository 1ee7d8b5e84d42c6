//! The configuration every git AutoCode runs is given, ahead of the repository's own.

/// Configuration given to every git command, ahead of the repository's own: whatever the
/// workspace's config says, none of these runs a program.
pub(super) const SAFE_CONFIG: &[&str] = &[
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.editor=true",
    "core.askPass=",
    "core.sshCommand=false",
    "credential.helper=",
    "diff.external=",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "protocol.allow=never",
    "init.templateDir=",
    "advice.detachedHead=false",
];

/// `-c` pairs: the safe configuration, then `extra` (which may only add to it).
pub(super) fn config_args(extra: &[String]) -> Vec<String> {
    let mut argv = Vec::new();
    for c in SAFE_CONFIG
        .iter()
        .map(|c| (*c).to_owned())
        .chain(extra.iter().cloned())
    {
        argv.push("-c".to_owned());
        argv.push(c);
    }
    argv
}

/// [`SAFE_CONFIG`] as git's `GIT_CONFIG_COUNT` environment: it holds for every git a
/// script runs, with the precedence of `-c`.
pub(super) fn config_env() -> Vec<(String, String)> {
    let mut env = vec![("GIT_CONFIG_COUNT".to_owned(), SAFE_CONFIG.len().to_string())];
    for (i, c) in SAFE_CONFIG.iter().enumerate() {
        let (key, value) = c.split_once('=').unwrap_or((c, ""));
        env.push((format!("GIT_CONFIG_KEY_{i}"), key.to_owned()));
        env.push((format!("GIT_CONFIG_VALUE_{i}"), value.to_owned()));
    }
    env
}
