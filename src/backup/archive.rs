//! The tar writing of a backup (blocking I/O; run it off the async runtime).
//!
//! Workspaces change while a project runs, so each file's size is read from the open file and
//! exactly that many bytes are stored (zero-padded if it shrank meanwhile): a file that grows
//! or shrinks mid-copy can never corrupt the archive, it is merely caught mid-write, as a
//! crash would have left it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use tar::{Builder, EntryType, Header, HeaderMode};

use super::{Manifest, Summary};

pub(super) fn write(
    out: &Path,
    manifest: &Manifest,
    snapshot: &Path,
    database_name: &str,
    data_dir: &Path,
    copied: &[&str],
) -> io::Result<Summary> {
    let file = File::create(out)?;
    let mut tar = Builder::new(BufWriter::new(file));
    tar.follow_symlinks(false);
    let mut summary = Summary::default();

    let json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
    let mut header = Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_entry_type(EntryType::Regular);
    tar.append_data(&mut header, super::MANIFEST, json.as_slice())?;

    add_file(&mut tar, snapshot, Path::new(database_name), &mut summary)?;
    for name in copied {
        add(
            &mut tar,
            &data_dir.join(name),
            Path::new(name),
            &mut summary,
        )?;
    }
    let mut out = tar.into_inner()?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(summary)
}

/// Adds `path` (any kind) as `name`; a missing path is simply not there to back up.
fn add<W: Write>(
    tar: &mut Builder<W>,
    path: &Path,
    name: &Path,
    summary: &mut Summary,
) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&meta, HeaderMode::Complete);
        tar.append_data(&mut header, name, io::empty())?;
        let mut children: Vec<_> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.file_name()).collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        children.sort();
        for child in children {
            add(tar, &path.join(&child), &name.join(&child), summary)?;
        }
    } else if kind.is_symlink() {
        let target = match std::fs::read_link(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return skip(summary),
            Err(e) => return Err(e),
        };
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&meta, HeaderMode::Complete);
        header.set_entry_type(EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, name, target)?;
    } else if kind.is_file() {
        add_file(tar, path, name, summary)?;
    } else if kind.is_socket() || kind.is_fifo() || kind.is_block_device() || kind.is_char_device()
    {
        skip(summary)?;
    }
    Ok(())
}

fn skip(summary: &mut Summary) -> io::Result<()> {
    summary.skipped += 1;
    Ok(())
}

fn add_file<W: Write>(
    tar: &mut Builder<W>,
    path: &Path,
    name: &Path,
    summary: &mut Summary,
) -> io::Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        // Removed between listing and opening: a file being replaced by its writer.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return skip(summary),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    let size = meta.len();
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(&meta, HeaderMode::Complete);
    header.set_size(size);
    let body = file.take(size).chain(io::repeat(0)).take(size);
    tar.append_data(&mut header, name, body)?;
    summary.files += 1;
    summary.bytes += size;
    Ok(())
}
