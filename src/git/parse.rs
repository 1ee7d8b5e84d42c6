//! Git's output read into what the API returns: pure, so every shape is unit-tested.
//! The text comes from the member's own repository (commit messages and file names are
//! theirs), so nothing here trusts its shape: odd input gives odd rows, never a panic.

use serde::Serialize;

/// One commit of a project's branch, with its totals.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub author: String,
    pub time: String,
    pub subject: String,
    pub body: String,
    pub files: Vec<FileStat>,
    pub insertions: u64,
    pub deletions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileStat {
    pub path: String,
    pub insertions: u64,
    pub deletions: u64,
    pub binary: bool,
}

/// One file of a diff: its unified hunks, or a mark that it is binary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// The old path when the file was renamed.
    pub old_path: Option<String>,
    pub binary: bool,
    /// The hunks: `@@` headers and `+`/`-`/` ` lines, as git printed them.
    pub patch: String,
}

/// Reads `git log --numstat --format=%x1e%H%x1f%an%x1f%aI%x1f%s%x1f%b%x1f`.
pub fn parse_log(text: &str) -> Vec<Commit> {
    text.split('\x1e')
        .filter(|r| !r.trim().is_empty())
        .filter_map(|record| {
            let mut fields = record.split('\x1f');
            let sha = fields.next()?.trim().to_owned();
            let author = fields.next()?.to_owned();
            let time = fields.next()?.to_owned();
            let subject = fields.next()?.to_owned();
            let body = fields.next()?.trim().to_owned();
            let files: Vec<FileStat> = fields
                .next()
                .unwrap_or_default()
                .lines()
                .filter_map(numstat_line)
                .collect();
            Some(Commit {
                insertions: files.iter().map(|f| f.insertions).sum(),
                deletions: files.iter().map(|f| f.deletions).sum(),
                sha,
                author,
                time,
                subject,
                body,
                files,
            })
        })
        .collect()
}

/// `12\t3\tpath`, or `-\t-\tpath` for a binary file.
fn numstat_line(line: &str) -> Option<FileStat> {
    let mut parts = line.splitn(3, '\t');
    let (ins, del, path) = (parts.next()?, parts.next()?, parts.next()?);
    let binary = ins == "-" && del == "-";
    Some(FileStat {
        path: path.to_owned(),
        insertions: ins.parse().unwrap_or(0),
        deletions: del.parse().unwrap_or(0),
        binary,
    })
}

/// Reads `git show --format= --patch`: one entry per `diff --git` header.
pub fn parse_diff(text: &str) -> Vec<FileDiff> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut in_hunks = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            files.push(FileDiff {
                path: header_path(rest),
                old_path: None,
                binary: false,
                patch: String::new(),
            });
            in_hunks = false;
            continue;
        }
        let Some(file) = files.last_mut() else {
            continue;
        };
        if line.starts_with("@@") {
            in_hunks = true;
        }
        if in_hunks {
            file.patch.push_str(line);
            file.patch.push('\n');
        } else if let Some(from) = line.strip_prefix("rename from ") {
            file.old_path = Some(from.to_owned());
        } else if let Some(to) = line.strip_prefix("rename to ") {
            file.path = to.to_owned();
        } else if let Some(path) = line.strip_prefix("+++ b/") {
            file.path = path.to_owned();
        } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
            file.binary = true;
        }
    }
    files
}

/// `a/x b/x` → `x` (the `+++` line, when there is one, replaces this guess).
fn header_path(rest: &str) -> String {
    let half = rest.len() / 2;
    let b = rest.get(half + 1..).unwrap_or(rest);
    b.strip_prefix("b/").unwrap_or(b).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gives_commits_with_their_file_totals() {
        let text = "\x1eaaa1\x1fAutoCode\x1f2026-12-01T05:00:00+00:00\x1fStep 2: Add two\x1fIt works.\n\nCo-authored-by: Claude <noreply@anthropic.com>\n\x1f\n\n3\t1\tsrc/a.rs\n-\t-\tlogo.png\n\
                    \x1ebbb2\x1fAutoCode\x1f2026-12-01T04:00:00+00:00\x1fStep 1: Start\x1f\x1f\n";
        let log = parse_log(text);
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].sha, "aaa1");
        assert_eq!(log[0].subject, "Step 2: Add two");
        assert!(log[0].body.starts_with("It works."));
        assert_eq!((log[0].insertions, log[0].deletions), (3, 1));
        assert_eq!(log[0].files.len(), 2);
        assert!(log[0].files[1].binary);
        assert!(log[1].files.is_empty());
    }

    #[test]
    fn a_diff_gives_hunks_per_file_and_marks_binaries_and_renames() {
        let text = "diff --git a/two.txt b/two.txt\nnew file mode 100644\nindex 0000000..f719efd\n--- /dev/null\n+++ b/two.txt\n@@ -0,0 +1 @@\n+two\n\
diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1111111\nBinary files /dev/null and b/logo.png differ\n\
diff --git a/old.md b/new.md\nsimilarity index 90%\nrename from old.md\nrename to new.md\n--- a/old.md\n+++ b/new.md\n@@ -1 +1 @@\n-a\n+b\n";
        let files = parse_diff(text);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].path, "two.txt");
        assert_eq!(files[0].patch, "@@ -0,0 +1 @@\n+two\n");
        assert!(files[1].binary && files[1].patch.is_empty());
        assert_eq!(files[1].path, "logo.png");
        assert_eq!(files[2].path, "new.md");
        assert_eq!(files[2].old_path.as_deref(), Some("old.md"));
    }

    #[test]
    fn odd_text_gives_no_panic() {
        assert!(parse_log("\x1e\x1f\x1f").is_empty());
        assert!(parse_diff("+++ b/x\n@@\n").is_empty());
        assert_eq!(parse_diff("diff --git \n").len(), 1);
    }
}
