//! Pre-seeding a CLI's JSON config files before launch, so that no first-run dialog blocks the
//! start (onboarding, folder trust, API-key approval, auto-mode nudge).
//!
//! Keys are merged into whatever the file already holds: objects merge recursively, arrays gain
//! the missing elements, other values are replaced. Files are written atomically (temp file +
//! rename) with mode 0600, only beneath the member's own directory (`MemberDir`): a link
//! planted at a file or on the way to it never makes the daemon read or write someone
//! else's file. Blocking I/O: call it from `spawn_blocking` in async code.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::launch::{SessionContext, expand};
use crate::workspace::{MemberDir, PathError};

/// One `[[preseed]]` entry: a JSON file and the keys to put in it. In paths, keys and string
/// values `{name}` stands for a session value; a key or array element whose template names a
/// value the session lacks (e.g. `{api_key_tail}` without a key) is left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreseedFile {
    pub path: String,
    /// Keys merged in every case.
    #[serde(default)]
    pub merge: toml::Table,
    /// Keys merged when the session does not use auto mode, and removed when it does.
    #[serde(default)]
    pub unless_auto_mode: toml::Table,
}

#[derive(Debug, thiserror::Error)]
pub enum PreseedError {
    #[error("pre-seed path template {0:?} names a value this session lacks")]
    Path(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a JSON object; refusing to overwrite it")]
    NotAnObject { path: PathBuf },
    #[error("{path} holds invalid JSON; refusing to overwrite it: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: PathError,
    },
    #[error("refusing to pre-seed {path}: {source}")]
    Outside {
        path: PathBuf,
        #[source]
        source: PathError,
    },
}

/// Applies every entry; returns the files written.
pub(crate) fn apply(
    files: &[PreseedFile],
    ctx: &SessionContext,
) -> Result<Vec<PathBuf>, PreseedError> {
    let mut ctx = ctx.clone();
    // The CLI keys its per-project settings by the real path of its working directory.
    if let Ok(real) = ctx.workspace.canonicalize() {
        ctx.workspace = real;
    }
    let vars = ctx.vars(None);
    let member = MemberDir::at(&ctx.member_dir).map_err(|source| PreseedError::Outside {
        path: ctx.member_dir.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for file in files {
        let path = PathBuf::from(
            expand(&file.path, &vars).map_err(|_| PreseedError::Path(file.path.clone()))?,
        );
        let mut doc = read_object(&member, &path)?;
        merge(&mut doc, &template_object(&file.merge, &vars));
        let conditional = template_object(&file.unless_auto_mode, &vars);
        if ctx.auto_mode {
            remove(&mut doc, &conditional);
        } else {
            merge(&mut doc, &conditional);
        }
        write_atomic(&member, &path, &Value::Object(doc))?;
        written.push(path);
    }
    Ok(written)
}

fn read_object(member: &MemberDir, path: &Path) -> Result<Map<String, Value>, PreseedError> {
    let text = match member.read_regular(path) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Map::new()),
        Err(PathError::Io(source)) => {
            return Err(PreseedError::Read {
                path: path.to_owned(),
                source,
            });
        }
        Err(source) => {
            return Err(PreseedError::Outside {
                path: path.to_owned(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PreseedError::NotAnObject {
            path: path.to_owned(),
        }),
        Err(source) => Err(PreseedError::Parse {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Converts a TOML table to JSON, expanding templates and dropping entries that cannot be filled.
fn template_object(
    table: &toml::Table,
    vars: &std::collections::BTreeMap<&str, String>,
) -> Map<String, Value> {
    table
        .iter()
        .filter_map(|(k, v)| Some((expand(k, vars).ok()?, template_value(v, vars)?)))
        .collect()
}

fn template_value(
    value: &toml::Value,
    vars: &std::collections::BTreeMap<&str, String>,
) -> Option<Value> {
    Some(match value {
        toml::Value::String(s) => Value::String(expand(s, vars).ok()?),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .filter_map(|i| template_value(i, vars))
                .collect(),
        ),
        toml::Value::Table(t) => Value::Object(template_object(t, vars)),
    })
}

fn merge(doc: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, new) in patch {
        match (doc.get_mut(key), new) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            (Some(Value::Array(old)), Value::Array(new)) => {
                for item in new {
                    if !old.contains(item) {
                        old.push(item.clone());
                    }
                }
            }
            _ => {
                doc.insert(key.clone(), new.clone());
            }
        }
    }
}

/// Removes the leaves of `patch` from `doc` (the inverse of a scalar merge).
fn remove(doc: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, new) in patch {
        match (doc.get_mut(key), new) {
            (Some(Value::Object(old)), Value::Object(new)) if !new.is_empty() => remove(old, new),
            (Some(_), _) => {
                doc.remove(key);
            }
            (None, _) => {}
        }
    }
}

fn write_atomic(member: &MemberDir, path: &Path, value: &Value) -> Result<(), PreseedError> {
    let fail = |source| PreseedError::Write {
        path: path.to_owned(),
        source,
    };
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| fail(PathError::Io(std::io::Error::other(e))))?;
    text.push('\n');
    member
        .write_atomic(path, text.as_bytes(), 0o600)
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    fn entry(toml_text: &str) -> PreseedFile {
        toml::from_str(toml_text).expect("valid JSON/TOML")
    }

    #[test]
    fn merges_into_existing_files_keeping_other_keys() {
        let dir = tempfile::tempdir().expect("valid JSON/TOML");
        let path = dir.path().join("c.json");
        fs::write(&path, r#"{"keep": 1, "list": ["a"], "nested": {"x": 1}}"#)
            .expect("file written");
        let file = entry(&format!(
            "path = {:?}\n[merge]\nlist = [\"a\", \"{{api_key_tail}}\", \"b\"]\nnested = {{ y = 2 }}\nflag = true\n",
            path.display().to_string()
        ));
        let ctx = SessionContext {
            member_dir: dir.path().to_owned(),
            ..SessionContext::default()
        };
        apply(&[file], &ctx).expect("pre-seed succeeds");
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("fixture file is readable"))
                .expect("valid JSON/TOML");
        assert_eq!(
            doc,
            json!({"keep": 1, "list": ["a", "b"], "nested": {"x": 1, "y": 2}, "flag": true}),
            "the element needing a missing key tail is left out"
        );
    }

    #[test]
    fn auto_mode_removes_what_it_would_otherwise_add() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/settings.json");
        let file = entry(&format!(
            "path = {:?}\n[unless_auto_mode.permissions]\ndefaultMode = \"default\"\n",
            path.display().to_string()
        ));
        let mut ctx = SessionContext {
            member_dir: dir.path().to_owned(),
            ..SessionContext::default()
        };
        apply(std::slice::from_ref(&file), &ctx).expect("pre-seed succeeds");
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("fixture file is readable"))
                .expect("valid JSON/TOML");
        assert_eq!(doc, json!({"permissions": {"defaultMode": "default"}}));
        ctx.auto_mode = true;
        apply(&[file], &ctx).expect("valid JSON/TOML");
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("fixture file is readable"))
                .expect("valid JSON/TOML");
        assert_eq!(doc, json!({"permissions": {}}));
    }

    #[test]
    fn refuses_to_clobber_a_broken_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("c.json");
        fs::write(&path, "{ not json").expect("file written");
        let file = entry(&format!(
            "path = {:?}\n[merge]\na = 1\n",
            path.display().to_string()
        ));
        let ctx = SessionContext {
            member_dir: dir.path().to_owned(),
            ..SessionContext::default()
        };
        let err = apply(&[file], &ctx).expect_err("must fail");
        assert!(matches!(err, PreseedError::Parse { .. }));
        assert_eq!(
            fs::read_to_string(&path).expect("fixture file is readable"),
            "{ not json"
        );
    }

    #[test]
    fn a_planted_link_never_makes_it_touch_another_members_file() {
        let data = tempfile::tempdir().expect("temp dir");
        let a_file = data.path().join("a/config/claude/.claude.json");
        fs::create_dir_all(a_file.parent().expect("dir")).expect("mkdir");
        fs::write(&a_file, r#"{"a": "secret"}"#).expect("file written");
        let b = data.path().join("b");
        fs::create_dir_all(b.join("config/claude")).expect("mkdir");
        let ctx = SessionContext {
            member_dir: b.clone(),
            ..SessionContext::default()
        };
        let entry_for = |path: &Path| {
            entry(&format!(
                "path = {:?}\n[merge]\nb = 1\n",
                path.display().to_string()
            ))
        };
        // The file itself is a link to A's: replaced by B's own file, A's not read.
        let b_file = b.join("config/claude/.claude.json");
        std::os::unix::fs::symlink(&a_file, &b_file).expect("symlink");
        apply(&[entry_for(&b_file)], &ctx).expect("pre-seed succeeds");
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(&b_file).expect("B's file")).expect("JSON");
        assert_eq!(doc, json!({"b": 1}), "nothing of A's file was read");
        // A directory on the way is a link into A's tree: refused.
        fs::remove_dir_all(b.join("config")).expect("rm");
        std::os::unix::fs::symlink(data.path().join("a/config"), b.join("config"))
            .expect("symlink");
        let err = apply(&[entry_for(&b_file)], &ctx).expect_err("refused");
        assert!(matches!(err, PreseedError::Outside { .. }), "{err}");
        // And a path outside B's directory altogether.
        assert!(apply(&[entry_for(&a_file)], &ctx).is_err());
        assert_eq!(
            fs::read_to_string(&a_file).expect("A's file still exists"),
            r#"{"a": "secret"}"#
        );
    }
}
