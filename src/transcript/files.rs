//! Finding and reading a project's transcript files, confined to the member's directory.
//!
//! The directory is computed from the member's config home and the project's workspace
//! (both the daemon's records) and checked with [`MemberDir::check`], so a link planted
//! on the way cannot lead out of the member's tree. Files are listed without following
//! links (a link where a session file should be is skipped) and opened with `O_NOFOLLOW`
//! and `O_NONBLOCK` (a planted FIFO cannot hang the reader), then must be regular files.
//! Lines longer than [`MAX_LINE_BYTES`] are skipped whole, a page stops after
//! [`PAGE_BYTES`] or [`PAGE_ENTRIES`], and nothing past [`MAX_FILE_BYTES`] is read.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::parse::parse_line;
use super::{Cursor, Entry, Item};
use crate::workspace::MemberDir;

/// Longest line parsed; longer ones (a huge tool input) are skipped.
pub const MAX_LINE_BYTES: u64 = 4 * 1024 * 1024;
/// Bytes consumed per page at most (a page may end earlier, never mid-line).
pub const PAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Entries per page at most.
pub const PAGE_ENTRIES: usize = 500;
/// A session file is not read past this offset.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// Session files considered per project at most.
const MAX_SESSIONS: usize = 10_000;
/// How far back from the end the last reply is looked for.
const TAIL_BYTES: u64 = 2 * 1024 * 1024;

/// Whose transcripts, for which workspace: all from the daemon's own records.
#[derive(Debug, Clone)]
pub struct Source {
    /// `DATA/users/<name>`: nothing outside it is read.
    pub member_dir: PathBuf,
    /// The project's workspace, as the CLI's working directory.
    pub workspace: PathBuf,
    /// Sessions last written before this (the project's creation) belong to an earlier
    /// project that had the same workspace path, and are left out.
    pub not_before: Option<SystemTime>,
}

/// What one read gives: the entries after the cursor, and where to go on from.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub cursor: Cursor,
    /// True when the page stopped at a limit: more can be read at once.
    pub more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the cursor names a session this project does not have")]
    UnknownSession,
    #[error("reading the transcript: {0}")]
    Io(#[from] io::Error),
}

impl Source {
    /// A project's transcripts: its owner's directory and its workspace, both the daemon's
    /// records. Sessions older than the project belong to an earlier one at the same path.
    pub fn for_project(member_dir: PathBuf, project: &crate::db::projects::Project) -> Self {
        let not_before = chrono::DateTime::parse_from_rfc3339(&project.created_at)
            .ok()
            .map(SystemTime::from);
        Self {
            member_dir,
            workspace: project.workspace_path.clone().into(),
            not_before,
        }
    }

    /// The CLI's config home (`CLAUDE_CONFIG_DIR`) in the member's tree.
    pub fn config_dir(&self) -> PathBuf {
        crate::controller::session::user_cli_paths(&self.member_dir, "").0
    }

    /// The folder holding this workspace's session files, checked to stay inside the
    /// member's directory; `None` when there is none (yet) or it leads out.
    fn folder(&self) -> io::Result<Option<PathBuf>> {
        let projects = self.config_dir().join("projects");
        let member = MemberDir::at(&self.member_dir).map_err(io::Error::other)?;
        if let Err(e) = member.check(&projects) {
            tracing::warn!(dir = %projects.display(), "transcript folder refused: {e}");
            return Ok(None);
        }
        let name = folder_name(&self.workspace);
        let dir = if name.len() <= 200 {
            projects.join(&name)
        } else {
            // Claude Code cuts long names at 200 and adds a hash of its own making.
            let prefix = format!("{}-", &name[..200]);
            match fs::read_dir(&projects) {
                Ok(list) => match list
                    .filter_map(Result::ok)
                    .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                {
                    Some(e) => e.path(),
                    None => return Ok(None),
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        if let Err(e) = member.check(&dir) {
            tracing::warn!(dir = %dir.display(), "transcript folder refused: {e}");
            return Ok(None);
        }
        Ok(fs::symlink_metadata(&dir)
            .is_ok_and(|m| m.is_dir() || m.file_type().is_symlink())
            .then_some(dir))
    }

    /// The session ids that have a file, oldest first.
    pub fn sessions(&self) -> io::Result<Vec<String>> {
        Ok(self.listing()?.map(|l| l.sessions).unwrap_or_default())
    }

    /// The checked folder and its session ids, oldest first: worked out once per read.
    fn listing(&self) -> io::Result<Option<Listing>> {
        let Some(dir) = self.folder()? else {
            return Ok(None);
        };
        let mut found = Vec::new();
        for entry in fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .take(MAX_SESSIONS)
        {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            // `DirEntry` neither follows links for its type nor its metadata.
            let Ok(meta) = entry.metadata() else { continue };
            if !crate::hooks::is_uuid(id) || !meta.file_type().is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if self.not_before.is_some_and(|t| modified < t) {
                continue;
            }
            // Birth time keeps the order stable while old files are still appended to;
            // where the filesystem has none, the name does (stable, if arbitrary).
            found.push((
                meta.created().unwrap_or(SystemTime::UNIX_EPOCH),
                id.to_owned(),
            ));
        }
        found.sort();
        Ok(Some(Listing {
            dir,
            sessions: found.into_iter().map(|(_, id)| id).collect(),
        }))
    }
}

/// A transcript folder and the sessions in it.
struct Listing {
    dir: PathBuf,
    sessions: Vec<String>,
}

impl Listing {
    fn path_of(&self, session: &str) -> PathBuf {
        self.dir.join(format!("{session}.jsonl"))
    }
}

/// Claude Code's folder name for a working directory: every character that is not an
/// ASCII letter or digit becomes `-`.
pub fn folder_name(workspace: &Path) -> String {
    workspace
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Opens a session file without following a link or blocking on a FIFO; only a regular
/// file is read.
fn open_plain(path: &Path) -> io::Result<Option<File>> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            tracing::warn!(path = %path.display(), "transcript file refused: {e}");
            return Ok(None);
        }
    };
    if !file.metadata()?.is_file() {
        tracing::warn!(path = %path.display(), "transcript is not a regular file; not read");
        return Ok(None);
    }
    Ok(Some(file))
}

/// Reads the entries after `cursor`, crossing into later sessions, up to one page.
pub fn read_page(source: &Source, cursor: &Cursor) -> Result<Page, ReadError> {
    let listing = source.listing()?;
    let sessions = listing.as_ref().map_or(&[][..], |l| &l.sessions[..]);
    let (mut index, mut offset) = match cursor {
        Cursor::Start => (0, 0),
        Cursor::At { session, offset } => (
            sessions
                .iter()
                .position(|s| s == session)
                .ok_or(ReadError::UnknownSession)?,
            *offset,
        ),
    };
    let mut entries = Vec::new();
    let mut budget = PAGE_BYTES;
    let mut more = false;
    while let Some(session) = sessions.get(index) {
        let path = listing.as_ref().map(|l| l.path_of(session));
        let read = read_lines(path.as_deref(), session, offset, budget, &mut entries)?;
        offset = read.offset;
        budget = budget.saturating_sub(read.consumed);
        if read.stopped_at_limit || budget == 0 || entries.len() >= PAGE_ENTRIES {
            more = true;
            break;
        }
        if index + 1 == sessions.len() {
            break;
        }
        index += 1;
        offset = 0;
    }
    let cursor = match sessions.get(index) {
        Some(session) => Cursor::At {
            session: session.clone(),
            offset,
        },
        None => cursor.clone(),
    };
    Ok(Page {
        entries,
        cursor,
        more,
    })
}

struct Progress {
    offset: u64,
    consumed: u64,
    stopped_at_limit: bool,
}

/// Reads complete lines of one session from `offset`, within `budget` bytes and the
/// page's entry limit.
fn read_lines(
    path: Option<&Path>,
    session: &str,
    offset: u64,
    budget: u64,
    entries: &mut Vec<Entry>,
) -> io::Result<Progress> {
    let mut read = Progress {
        offset,
        consumed: 0,
        stopped_at_limit: false,
    };
    let Some(path) = path else {
        return Ok(read);
    };
    let Some(mut file) = open_plain(path)? else {
        return Ok(read);
    };
    if offset >= MAX_FILE_BYTES {
        return Ok(read);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file.take(MAX_FILE_BYTES - offset));
    let mut line = Vec::new();
    loop {
        if read.consumed >= budget || entries.len() >= PAGE_ENTRIES {
            read.stopped_at_limit = true;
            return Ok(read);
        }
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)? as u64;
        if n == 0 {
            return Ok(read);
        }
        if line.last() == Some(&b'\n') {
            let id = format!("{session}:{}", read.offset);
            if let Ok(text) = std::str::from_utf8(&line) {
                entries.extend(parse_line(text, &id));
            }
            read.offset += n;
            read.consumed += n;
        } else if n > MAX_LINE_BYTES {
            // Too long to parse: skip to its end. Should the writer not have finished
            // it, the rest will not parse either and is skipped the same way.
            let skipped = skip_line(&mut reader)?;
            read.offset += n + skipped;
            read.consumed += n + skipped;
        } else {
            // An incomplete last line: the CLI is still writing it.
            return Ok(read);
        }
    }
}

fn skip_line(reader: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(skipped);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(skipped + i as u64 + 1);
            }
            None => {
                let len = buf.len();
                reader.consume(len);
                skipped += len as u64;
            }
        }
    }
}

/// The last reply text of the current session's last turn, read from the file's tail.
/// None while the turn has none yet: its last entry is the prompt or a tool call or result,
/// after which Claude always writes more (an earlier text of the same turn is not its reply).
pub fn last_reply(source: &Source) -> Option<String> {
    let listing = source.listing().ok()??;
    let path = listing.path_of(listing.sessions.last()?);
    let mut file = open_plain(&path).ok()??;
    let len = file.metadata().ok()?.len().min(MAX_FILE_BYTES);
    let start = len.saturating_sub(TAIL_BYTES);
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(start)).ok()?;
    file.take(len - start).read_to_end(&mut tail).ok()?;
    let text = String::from_utf8_lossy(&tail);
    // Starting mid-file, the first piece is part of a line: it does not parse and is skipped.
    let last = text
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .flat_map(|line| parse_line(line, ""))
        .last()?;
    match last.item {
        Item::Text { text } => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
