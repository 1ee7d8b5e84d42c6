//! A project's remote: the URL it is cloned from and its branch pushed to, and the member's
//! token handed to git for it.
//!
//! The token reaches git inside the member's sandbox only, through the environment of that
//! one git process and a credential helper scoped to the remote's own origin (so a redirect
//! or a rewritten URL never receives it); never through a command line, a URL, `.git/config`
//! or a log line. A push runs from a fresh, empty git directory in the sandbox's private
//! `/tmp` that borrows the workspace's objects: the workspace's own config (which the
//! member's agent can write, e.g. a proxy or a URL rewrite) plays no part in it.

use std::time::Duration;

use super::{GitError, Output, Repo};

/// The environment variable the credential helper reads the token from.
const TOKEN_ENV: &str = "AUTOCODE_GIT_TOKEN";
/// Git's credential protocol, answered from [`TOKEN_ENV`]; the text holds no secret.
/// GitHub, GitLab and Gitea all take a token as the password with any user name.
const HELPER: &str = "!f() { test \"$1\" = get || exit 0; \
     printf 'username=x-access-token\\npassword=%s\\n' \"$AUTOCODE_GIT_TOKEN\"; }; f";
/// Cloning and pushing a big repository takes longer than the other commands.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(300);

/// A checked remote URL: `https://host/path`, or `http://` on a loopback address (a local
/// test server). Never a local path, `file://`, `ssh` or `git://`: a member must not clone
/// another member's or the daemon's directory, and nothing else runs a program to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    url: reqwest::Url,
}

impl RemoteUrl {
    /// Checks `text`; the error says what is wrong, in words for the member.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("must not contain spaces or control characters");
        }
        let url = crate::web_url::parse(text)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user name or token: store the token in Settings");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not have a query or a fragment");
        }
        if url.path().trim_matches('/').is_empty() {
            return Err("must name a repository (https://host/owner/repo)");
        }
        Ok(Self { url })
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// `host` or `host:port`, as `github_hosts` lists them.
    pub fn host_port(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// `scheme://host[:port]`: what the credential helper is scoped to.
    fn origin(&self) -> String {
        format!("{}://{}", self.url.scheme(), self.host_port())
    }

    /// `(owner, repo)` when the path is `/owner/repo` or `/owner/repo.git` of plain names.
    pub fn owner_repo(&self) -> Option<(String, String)> {
        let path = self.url.path().trim_matches('/');
        let (owner, repo) = path.split_once('/')?;
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        let plain = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        (plain(owner) && plain(repo)).then(|| (owner.to_owned(), repo.to_owned()))
    }

    /// Extra `-c` settings and environment for one git command reaching this remote.
    fn access(&self, token: Option<&str>) -> (Vec<String>, Vec<(String, String)>) {
        // Only this remote's protocol is opened (the safe config closes every one).
        let mut config = vec![format!("protocol.{}.allow=always", self.url.scheme())];
        let mut env = Vec::new();
        if let Some(token) = token {
            config.push(format!("credential.{}.helper={HELPER}", self.origin()));
            env.push((TOKEN_ENV.to_owned(), token.to_owned()));
        }
        (config, env)
    }
}

/// Git's own words when a remote command fails, without the token should it ever echo it;
/// a refused login is said plainly, since git's words for it name a terminal prompt.
fn failure(command: &str, out: &Output, token: Option<&str>) -> GitError {
    let stderr = &out.stderr;
    let auth = stderr.contains("could not read Username")
        || stderr.contains("could not read Password")
        || stderr.contains("Authentication failed");
    let mut text = if auth && token.is_some() {
        "the remote refused the git token from Settings".to_owned()
    } else if auth {
        "the remote asks for a login: add a git token in Settings".to_owned()
    } else {
        stderr
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches("fatal: ")
                    .trim_start_matches("error: ")
            })
            .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        text = text.replace(token, "***");
    }
    GitError::Failed {
        command: command.to_owned(),
        stderr: text.chars().take(500).collect(),
    }
}

impl Repo {
    /// Clones `remote` into the (empty) workspace and starts the branch `autocode/<slug>`
    /// there. Returns the remote's default branch (none for an empty repository).
    pub async fn clone_from(
        &self,
        remote: &RemoteUrl,
        token: Option<&str>,
        slug: &str,
    ) -> Result<Option<String>, GitError> {
        let (config, env) = remote.access(token);
        let args = ["clone", "--quiet", "--", remote.as_str(), "."];
        let out = self.git(&config, &args, env, NETWORK_TIMEOUT).await?;
        if !out.success {
            return Err(failure("clone", &out, token));
        }
        let head = self
            .run(&[
                "symbolic-ref",
                "--quiet",
                "--short",
                "refs/remotes/origin/HEAD",
            ])
            .await?;
        let base = head
            .success
            .then(|| head.stdout.trim().trim_start_matches("origin/").to_owned())
            .filter(|b| !b.is_empty());
        let branch = Self::branch(slug);
        self.ok(&["checkout", "--quiet", "-b", &branch]).await?;
        Ok(base)
    }

    /// Pushes the current commit to `remote` as `refs/heads/<branch>` (never forced: a
    /// branch changed there meanwhile is refused). Returns the commit pushed.
    pub async fn push_to(
        &self,
        remote: &RemoteUrl,
        token: Option<&str>,
        branch: &str,
    ) -> Result<String, GitError> {
        let sha = self.head().await?;
        let objects = self.workdir.join(".git").join("objects");
        let (config, env) = remote.access(token);
        let refspec = format!("{sha}:refs/heads/{branch}");
        // A fresh git directory borrowing the workspace's objects: its config is ours.
        let script = r#"set -eu
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
git init --quiet --bare --template= "$t"
printf '%s\n' "$1" > "$t/objects/info/alternates"
shift
GIT_DIR="$t" git "$@""#;
        let mut argv = vec![
            "-c".to_owned(),
            script.to_owned(),
            "sh".to_owned(),
            objects.to_string_lossy().into_owned(),
        ];
        argv.extend(super::config_args(&config));
        argv.extend(
            ["push", "--quiet", "--", remote.as_str(), &refspec]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        let out = self.spawn("sh", &argv, env, NETWORK_TIMEOUT).await?;
        if out.success {
            Ok(sha)
        } else {
            Err(failure("push", &out, token))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_urls_pass() {
        for good in [
            "https://github.com/alice/app",
            "https://github.com/alice/app.git",
            "https://git.example.org:8443/team/sub/app.git",
            "http://127.0.0.1:9418/alice/app.git",
            "http://[::1]:80/a/b",
        ] {
            assert!(RemoteUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "/data/users/bob/projects/x",
            "file:///data/users/bob/projects/x",
            "../bob/projects/x",
            "ssh://git@github.com/a/b",
            "git@github.com:a/b.git",
            "git://github.com/a/b",
            "ext::sh -c touch% /tmp/x",
            "http://github.com/a/b",
            "http://10.0.0.1/a/b",
            "https://alice:tok@github.com/a/b",
            "https://tok@github.com/a/b",
            "https://github.com/",
            "https://github.com/a/b?x=1",
            "https://github.com/a/b c",
            "",
        ] {
            assert!(RemoteUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(RemoteUrl::parse(&format!("https://h/{}", "a".repeat(3000))).is_err());
    }

    #[test]
    fn owner_and_repo_come_from_a_two_part_path() {
        let r = RemoteUrl::parse("https://github.com/alice/app.git").expect("url");
        assert_eq!(r.owner_repo(), Some(("alice".into(), "app".into())));
        assert_eq!(r.host_port(), "github.com");
        let r = RemoteUrl::parse("http://127.0.0.1:4000/o/r").expect("url");
        assert_eq!(r.host_port(), "127.0.0.1:4000");
        for none in ["https://h/a/b/c", "https://h/a", "https://h/a/..git"] {
            let r = RemoteUrl::parse(none).expect("url");
            assert_eq!(r.owner_repo(), None, "{none}");
        }
    }

    #[test]
    fn the_token_goes_to_the_environment_and_never_into_the_config() {
        let r = RemoteUrl::parse("https://github.com/alice/app").expect("url");
        let (config, env) = r.access(Some("ghp_secret"));
        assert!(
            config.iter().all(|c| !c.contains("ghp_secret")),
            "{config:?}"
        );
        assert!(
            config
                .iter()
                .any(|c| c.starts_with("credential.https://github.com.helper=!"))
        );
        assert_eq!(env, [(TOKEN_ENV.to_owned(), "ghp_secret".to_owned())]);
        let (config, env) = r.access(None);
        assert_eq!(config, ["protocol.https.allow=always"]);
        assert!(env.is_empty());
    }
}
