//! Reading one migration file: only regular files (a symlink is followed to
//! its target), at most [`MAX_FILE_BYTES`]. A FIFO would block the build
//! forever, a device such as `/dev/zero` would be read until memory runs out,
//! and a directory named like a migration would otherwise be skipped silently:
//! each is refused with a message that names what the path is.

use std::io::Read;
use std::path::Path;

/// The largest migration file that is checked, in bytes (16 MiB).
///
/// The check reads a file in windows of statements and holds the file's
/// text, its line index and what it learned (BENCHMARKS.md, "Memory of
/// checking one file"); a statement read whole is limited on its own (see
/// `docs/large-files.md`). Data loads larger than this belong in `COPY` from
/// a file on the server, or in several migrations.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a migration file was not read: the message, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError {
    pub message: String,
    pub help: Option<String>,
}

/// The bytes of the regular file at `path` (following symlinks), or why not;
/// `limit` is the largest accepted size.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let metadata = std::fs::metadata(path).map_err(|error| ReadError {
        message: format!("cannot read the file: {error}"),
        help: None,
    })?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        let what = kind_name(&metadata);
        return Err(ReadError {
            message: format!("the path is {what}, not a regular file"),
            help: Some(if kind.is_dir() {
                "a migration is a file: rename the directory or move it out of the migrations directory".to_string()
            } else {
                "replace it with a regular file (a symbolic link to a regular file is fine)"
                    .to_string()
            }),
        });
    }
    if metadata.len() > limit {
        return Err(too_large(metadata.len(), limit));
    }
    let file = std::fs::File::open(path).map_err(|error| ReadError {
        message: format!("cannot read the file: {error}"),
        help: None,
    })?;
    // The size may change between the stat and the read: never read more
    // than the limit plus one byte (which tells that it grew beyond).
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError {
            message: format!("cannot read the file: {error}"),
            help: None,
        })?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(too_large(read, limit));
    }
    Ok(bytes)
}

fn too_large(size: u64, limit: u64) -> ReadError {
    ReadError {
        message: format!(
            "the file has {} bytes, more than the {} bytes a migration may have",
            size, limit
        ),
        help: Some(
            "split the file into several migrations, or load bulk data with `COPY ... FROM` a file on the server"
                .to_string(),
        ),
    }
}

/// What a non-regular path is, in words.
fn kind_name(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("migrate-build-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn regular_files_and_symlinks_to_them_are_read() {
        let dir = scratch("regular");
        let file = dir.join("0001_a.up.sql");
        std::fs::write(&file, b"SELECT 1;").unwrap();
        assert_eq!(read_regular_file(&file, 100).unwrap(), b"SELECT 1;");
        #[cfg(unix)]
        {
            let link = dir.join("0002_b.up.sql");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert_eq!(read_regular_file(&link, 100).unwrap(), b"SELECT 1;");
        }
        let error = read_regular_file(&file, 4).unwrap_err();
        assert!(
            error.message.contains("9 bytes, more than the 4"),
            "{error:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn directories_are_refused_by_kind() {
        let dir = scratch("dir");
        let error = read_regular_file(&dir, 100).unwrap_err();
        assert_eq!(error.message, "the path is a directory, not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_reading() {
        let dir = scratch("special");
        let zero = dir.join("0001_zero.up.sql");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let error = read_regular_file(&zero, MAX_FILE_BYTES).unwrap_err();
        assert_eq!(
            error.message,
            "the path is a character device, not a regular file"
        );
        let fifo = dir.join("0002_fifo.up.sql");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening a FIFO without a writer would block: it must not be opened.
            let error = read_regular_file(&fifo, MAX_FILE_BYTES).unwrap_err();
            assert_eq!(
                error.message,
                "the path is a named pipe (FIFO), not a regular file"
            );
        }
        let dangling = dir.join("0003_gone.up.sql");
        std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
        let error = read_regular_file(&dangling, 100).unwrap_err();
        assert!(
            error.message.starts_with("cannot read the file"),
            "{error:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
