//! The exclusive lock that keeps two writers out of one spool directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::SpoolError;

/// The lock file's name inside the spool directory.
pub(crate) const LOCK_FILE: &str = "LOCK";

/// Holds the directory lock until dropped (closing the file releases it, also when the process
/// dies, so a crash never leaves a stale lock behind).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, recording this process id in the lock file for error messages.
    pub fn acquire(dir: &Path) -> Result<DirLock, SpoolError> {
        let path = dir.join(LOCK_FILE);
        // No truncation before the lock is ours: the file names the current holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(SpoolError::io("open", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(SpoolError::Locked {
                    dir: dir.to_path_buf(),
                    holder: read_pid(&mut file),
                })
            }
            Err(TryLockError::Error(source)) => {
                return Err(SpoolError::Io {
                    action: "lock",
                    path,
                    source,
                })
            }
        }
        let record_pid = |file: &mut File| {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())
        };
        record_pid(&mut file).map_err(SpoolError::io("write", &path))?;
        Ok(DirLock { _file: file })
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut contents = String::new();
    file.read_to_string(&mut contents).ok()?;
    contents.trim().parse().ok()
}
