//! Why a spool operation failed.

use std::io;
use std::path::PathBuf;

/// Why a spool operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Another process, or another `Spool` in this one, holds the directory.
    #[error(
        "spool directory {} is in use{} (lock file {}/LOCK); give each process its own spool \
         directory, or stop the other one first",
        dir.display(),
        holder.map(|pid| format!(" by process {pid}")).unwrap_or_default(),
        dir.display()
    )]
    Locked {
        /// The spool directory.
        dir: PathBuf,
        /// The process id recorded by the holder, when it could be read.
        holder: Option<u32>,
    },

    /// Appending would take the spool over its size cap.
    #[error(
        "spool is full: {used} of {max} bytes used and the record needs {needed}; acknowledge \
         delivered records or raise `SpoolOptions::max_bytes`"
    )]
    Full {
        /// Bytes the spool files take now.
        used: u64,
        /// The cap, `SpoolOptions::max_bytes`.
        max: u64,
        /// Bytes the refused record needs.
        needed: u64,
    },

    /// The record could never fit, even into an empty spool.
    #[error("a record of {len} bytes can never fit into a spool capped at {max} bytes")]
    RecordTooLarge {
        /// Bytes the record needs on disk.
        len: u64,
        /// The cap, `SpoolOptions::max_bytes`.
        max: u64,
    },

    /// A file system operation failed.
    #[error("spool I/O error: cannot {action} {}: {source}", path.display())]
    Io {
        /// What the spool was doing, such as `"fsync"`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl SpoolError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| SpoolError::Io {
            action,
            path,
            source,
        }
    }
}
