use std::io::Write;
use std::os::unix::fs::symlink;

use serde_json::json;

use super::*;

const S1: &str = "1c0a4037-f67a-4bfe-88a7-0161850ed2dd";
const S2: &str = "4520bb87-cd17-44e5-9360-4bc40c8e7cb6";

/// A data dir with members `a` and `b`, `b`'s project workspace and its transcript folder.
struct Setup {
    _tmp: tempfile::TempDir,
    source: Source,
    folder: PathBuf,
    other_member: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("canonical");
    let member_dir = root.join("users/b");
    let workspace = member_dir.join("projects/my.app");
    fs::create_dir_all(&workspace).expect("workspace");
    let source = Source {
        member_dir: member_dir.clone(),
        workspace: workspace.clone(),
        not_before: None,
    };
    let folder = source
        .config_dir()
        .join("projects")
        .join(folder_name(&workspace));
    fs::create_dir_all(&folder).expect("folder");
    let other_member = root.join("users/a");
    fs::create_dir_all(&other_member).expect("a");
    Setup {
        _tmp: tmp,
        source,
        folder,
        other_member,
    }
}

fn line(uuid: &str, role: &str, text: &str) -> String {
    let kind = if role == "user" { "user" } else { "assistant" };
    format!(
        "{}\n",
        serde_json::json!({"type": kind, "uuid": uuid, "timestamp": "2026-12-01T07:00:00Z",
            "message": {"role": role, "content": text}})
    )
}

fn append(path: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("write");
}

fn texts(page: &Page) -> Vec<String> {
    page.entries
        .iter()
        .map(|e| match &e.item {
            Item::Prompt { text } | Item::Text { text } => text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_folder_name_is_the_path_with_every_other_character_dashed() {
    assert_eq!(
        folder_name(Path::new("/tmp/conv-capture/2.1.197/ws")),
        "-tmp-conv-capture-2-1-197-ws"
    );
}

#[test]
fn a_captured_transcript_reads_whole_and_the_cursor_resumes_without_gap_or_duplicate() {
    let s = setup();
    let fixture = format!(
        "{}/tests/fixtures/transcripts/claude-code-2.1.330.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = s.folder.join(format!("{S1}.jsonl"));
    fs::copy(fixture, &file).expect("copy");
    let first = read_page(&s.source, &Cursor::Start).expect("read");
    assert_eq!(first.entries.len(), 24);
    assert!(!first.more);
    let len = fs::metadata(&file).expect("meta").len();
    assert_eq!(
        first.cursor,
        Cursor::At {
            session: S1.into(),
            offset: len
        }
    );
    // Nothing new: nothing again.
    let again = read_page(&s.source, &first.cursor).expect("read");
    assert!(again.entries.is_empty());
    assert_eq!(again.cursor, first.cursor);
    // Half a line is left for later; once complete it comes exactly once.
    let next = line("u-1", "user", "one more");
    append(&file, &next[..10]);
    let partial = read_page(&s.source, &first.cursor).expect("read");
    assert!(partial.entries.is_empty());
    assert_eq!(partial.cursor, first.cursor, "not past a partial line");
    append(&file, &next[10..]);
    let done = read_page(&s.source, &partial.cursor).expect("read");
    assert_eq!(texts(&done), ["one more"]);
}

#[test]
fn a_new_session_file_continues_the_conversation() {
    let s = setup();
    let old = s.folder.join(format!("{S1}.jsonl"));
    append(&old, &line("u1", "user", "first"));
    let page = read_page(&s.source, &Cursor::Start).expect("read");
    assert_eq!(texts(&page), ["first"]);
    // A fresh start after a restart: a second file, created later.
    std::thread::sleep(std::time::Duration::from_millis(20));
    append(
        &s.folder.join(format!("{S2}.jsonl")),
        &line("u2", "user", "second"),
    );
    append(
        &old,
        &line("u3", "assistant", "late reply in the old session"),
    );
    let next = read_page(&s.source, &page.cursor).expect("read");
    assert_eq!(texts(&next), ["late reply in the old session", "second"]);
    assert!(matches!(&next.cursor, Cursor::At { session, .. } if session == S2));
    let whole = read_page(&s.source, &Cursor::Start).expect("read");
    assert_eq!(whole.entries.len(), 3);
    let gone = Cursor::At {
        session: "00000000-0000-0000-0000-000000000000".into(),
        offset: 0,
    };
    assert!(matches!(
        read_page(&s.source, &gone),
        Err(ReadError::UnknownSession)
    ));
}

#[test]
fn links_and_fifos_planted_in_the_member_tree_are_never_read() {
    let s = setup();
    let secret = s.other_member.join("secret.jsonl");
    fs::write(&secret, line("x", "user", "A's secret")).expect("secret");
    symlink(&secret, s.folder.join(format!("{S1}.jsonl"))).expect("symlink");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        s.folder.join(format!("{S2}.jsonl")),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("fifo");
    let page = read_page(&s.source, &Cursor::Start).expect("read");
    assert!(page.entries.is_empty(), "{page:?}");
    assert_eq!(s.source.sessions().expect("list"), Vec::<String>::new());
    // Even a file found some other way is opened without following the link.
    assert!(
        open_plain(&s.folder.join(format!("{S1}.jsonl")))
            .expect("open")
            .is_none()
    );
    // The whole folder a link into A's tree: refused.
    fs::remove_dir_all(&s.folder).expect("rm");
    let a_folder = s.other_member.join("folder");
    fs::create_dir_all(&a_folder).expect("mkdir");
    fs::write(
        a_folder.join(format!("{S1}.jsonl")),
        line("x", "user", "A's secret"),
    )
    .expect("write");
    symlink(&a_folder, &s.folder).expect("symlink");
    let page = read_page(&s.source, &Cursor::Start).expect("read");
    assert!(page.entries.is_empty(), "{page:?}");
    assert_eq!(last_reply(&s.source), None);
}

#[test]
fn an_overlong_line_is_skipped_and_reading_goes_on() {
    let s = setup();
    let file = s.folder.join(format!("{S1}.jsonl"));
    append(&file, &line("u1", "user", "before"));
    let huge = "y".repeat(MAX_LINE_BYTES as usize + 100);
    append(&file, &line("u2", "assistant", &huge));
    append(&file, &line("u3", "assistant", "after"));
    let page = read_page(&s.source, &Cursor::Start).expect("read");
    assert_eq!(texts(&page), ["before", "after"]);
    assert_eq!(
        page.cursor,
        Cursor::At {
            session: S1.into(),
            offset: fs::metadata(&file).expect("meta").len()
        }
    );
}

#[test]
fn old_sessions_of_an_earlier_project_at_the_same_path_are_left_out() {
    let mut s = setup();
    append(
        &s.folder.join(format!("{S1}.jsonl")),
        &line("u1", "user", "old project"),
    );
    s.source.not_before = Some(SystemTime::now() + std::time::Duration::from_secs(60));
    assert!(
        read_page(&s.source, &Cursor::Start)
            .expect("read")
            .entries
            .is_empty()
    );
}

#[test]
fn the_last_reply_is_the_current_turns_last_text() {
    let s = setup();
    let file = s.folder.join(format!("{S1}.jsonl"));
    assert_eq!(last_reply(&s.source), None, "no transcript yet");
    append(&file, &line("u1", "user", "do it"));
    append(&file, &line("u2", "assistant", "Working on it."));
    append(&file, &line("u3", "assistant", "Done: **all** tests pass."));
    assert_eq!(
        last_reply(&s.source).as_deref(),
        Some("Done: **all** tests pass.")
    );
    append(&file, &line("u4", "user", "next step"));
    assert_eq!(last_reply(&s.source), None, "the new turn has no reply yet");
    // Text before a tool call is not the turn's reply: the final text is still to come.
    append(&file, &line("u5", "assistant", "I'll write the file."));
    append(
        &file,
        &tool_line(
            "u6",
            "assistant",
            json!({"type": "tool_use", "id": "t1", "name": "Write", "input": {"file_path": "a.txt", "content": "a"}}),
        ),
    );
    assert_eq!(last_reply(&s.source), None, "a tool call is pending");
    append(
        &file,
        &tool_line(
            "u7",
            "user",
            json!({"type": "tool_result", "tool_use_id": "t1", "content": "written"}),
        ),
    );
    assert_eq!(
        last_reply(&s.source),
        None,
        "a tool result awaits Claude's words"
    );
    append(&file, &line("u8", "assistant", "Wrote a.txt."));
    assert_eq!(last_reply(&s.source).as_deref(), Some("Wrote a.txt."));
}

/// A line whose message content is one block (a tool call or its result).
fn tool_line(uuid: &str, role: &str, block: serde_json::Value) -> String {
    format!(
        "{}\n",
        json!({"type": role, "uuid": uuid, "timestamp": "2026-12-01T07:00:00Z",
            "message": {"role": role, "content": [block]}})
    )
}
