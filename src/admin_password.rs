//! The first admin's password may come in `AUTOCODE_ADMIN_PASSWORD` (systemd's environment
//! file). It must not stay in the daemon's environment: `/proc/<pid>/environ` keeps the
//! environment the process was started with, whatever it later removes, and anything it
//! starts with an inherited environment would get it. So `serve` re-executes itself once
//! without the variable and hands the password over on a pipe as standard input.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;

pub const VAR: &str = "AUTOCODE_ADMIN_PASSWORD";
/// Set (to "1") on the re-executed daemon: its standard input holds the password.
const HANDED_OVER: &str = "AUTOCODE_ADMIN_PASSWORD_ON_STDIN";

/// Run first, before any thread exists. Returns `Ok` when the variable is not set (nothing to
/// do); otherwise only returns on failure, since the process is replaced.
pub fn reexec_without_it() -> io::Result<()> {
    let Some(password) = std::env::var_os(VAR) else {
        return Ok(());
    };
    let (reader, mut writer) = io::pipe()?;
    // A password is far below a pipe's buffer, so this never blocks.
    writer.write_all(password.as_encoded_bytes())?;
    drop(writer);
    let err = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env_remove(VAR)
        .env(HANDED_OVER, "1")
        .stdin(reader)
        .exec();
    Err(err)
}

/// In the re-executed daemon: the password its parent handed over, if it did.
pub fn take_handed_over() -> io::Result<Option<String>> {
    if std::env::var_os(HANDED_OVER).is_none() {
        return Ok(None);
    }
    let mut password = String::new();
    io::stdin().lock().read_to_string(&mut password)?;
    Ok(Some(password).filter(|p| !p.is_empty()))
}
