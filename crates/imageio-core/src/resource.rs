//! Resources: where images come from and go to.
//!
//! A [`Resource`] is what the user names (a path, a URI, bytes, a stream, a sink). Opening it
//! for a [`Mode`] gives a [`Request`] that plugins receive: a [`Source`] to read from or a
//! [`Sink`] to write to, plus the extension, options and limits.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Mode, Result};
use crate::limits::Limits;
use crate::options::Options;
use crate::standard;

/// `Read + Seek`, object safe.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// `Write + Seek`, object safe.
pub trait WriteSeek: Write + Seek {}
impl<T: Write + Seek + ?Sized> WriteSeek for T {}

/// Something to read an image from or write an image to.
///
/// `&str`/`String` are parsed like imageio's URIs: `imageio:NAME` (a standard image),
/// `file://PATH`, `http(s)://…` (read only, with the `http` feature), `<bytes>` (write: return
/// the encoded bytes), `<video0>` (capture devices, for backends that support them), a path inside
/// a zip file (`archive.zip/member.png`), and otherwise a path (`~` expanded).
#[non_exhaustive]
pub enum Resource<'a> {
    /// A file system path (not parsed as a URI).
    Path(PathBuf),
    /// A URI or path in imageio's string form.
    Uri(String),
    /// Encoded data in memory (read).
    Bytes(Cow<'a, [u8]>),
    /// A seekable stream (read).
    Reader(Box<dyn ReadSeek + Send + 'a>),
    /// A byte sink (write); the encoded file is written to it when the writer closes.
    Writer(Box<dyn Write + Send + 'a>),
    /// Return the encoded bytes (write; imageio's `"<bytes>"`).
    ReturnBytes,
}

impl fmt::Debug for Resource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

impl<'a> Resource<'a> {
    /// A seekable stream to read from.
    pub fn reader(r: impl Read + Seek + Send + 'a) -> Self {
        Resource::Reader(Box::new(r))
    }
    /// A sink to write the encoded file to.
    pub fn writer(w: impl Write + Send + 'a) -> Self {
        Resource::Writer(Box::new(w))
    }
    /// How errors name this resource (`<bytes>` for data, never the data itself).
    pub fn display_name(&self) -> String {
        match self {
            Resource::Path(p) => p.display().to_string(),
            Resource::Uri(u) => u.clone(),
            Resource::Bytes(_) | Resource::ReturnBytes => "<bytes>".to_owned(),
            Resource::Reader(_) | Resource::Writer(_) => "<file>".to_owned(),
        }
    }
}

impl From<&str> for Resource<'_> {
    fn from(s: &str) -> Self {
        Resource::Uri(s.to_owned())
    }
}
impl From<String> for Resource<'_> {
    fn from(s: String) -> Self {
        Resource::Uri(s)
    }
}
impl From<&String> for Resource<'_> {
    fn from(s: &String) -> Self {
        Resource::Uri(s.clone())
    }
}
impl From<&Path> for Resource<'_> {
    fn from(p: &Path) -> Self {
        Resource::Path(p.to_owned())
    }
}
impl From<PathBuf> for Resource<'_> {
    fn from(p: PathBuf) -> Self {
        Resource::Path(p)
    }
}
impl From<&PathBuf> for Resource<'_> {
    fn from(p: &PathBuf) -> Self {
        Resource::Path(p.clone())
    }
}
impl<'a> From<&'a [u8]> for Resource<'a> {
    fn from(b: &'a [u8]) -> Self {
        Resource::Bytes(Cow::Borrowed(b))
    }
}
impl<'a, const N: usize> From<&'a [u8; N]> for Resource<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        Resource::Bytes(Cow::Borrowed(b))
    }
}
impl<'a> From<&'a Vec<u8>> for Resource<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Resource::Bytes(Cow::Borrowed(b))
    }
}
impl From<Vec<u8>> for Resource<'_> {
    fn from(b: Vec<u8>) -> Self {
        Resource::Bytes(Cow::Owned(b))
    }
}

/// Checks and normalises a user-given extension: it must start with `.`.
pub fn check_extension(ext: &str) -> Result<String> {
    if !ext.starts_with('.') || ext.len() < 2 {
        return Err(Error::invalid_argument(format!(
            "`extension` should be a file extension starting with a `.`, but is `{ext}`"
        )));
    }
    Ok(ext.to_owned())
}

fn url_extension(url: &str) -> Option<String> {
    extension_of(url.split(['?', '#']).next().unwrap_or(url))
}

fn extension_of(path: &str) -> Option<String> {
    let name = path.rsplit(['/', '\\']).next()?;
    let dot = name.rfind('.')?;
    if dot == 0 && name.len() == 1 {
        return None;
    }
    Some(name[dot..].to_ascii_lowercase()).filter(|e| e.len() > 1)
}

fn expand_home(p: &str) -> PathBuf {
    if let Some(rest) = p
        .strip_prefix("~/")
        .or(if p == "~" { Some("") } else { None })
    {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    PathBuf::from(p)
}

/// Splits `a/b.zip/c/d.png` into the zip path and the member, when the zip file exists
/// (or, for writing, when its folder exists). A `.zip` folder is a plain path (imageio #548).
fn split_zip(path: &Path, mode: Mode) -> Option<(PathBuf, String)> {
    let s = path.to_str()?;
    let lower = s.to_ascii_lowercase();
    let i = lower.find(".zip/").or_else(|| lower.find(".zip\\"))?;
    if i == 0 {
        return None;
    }
    let zip = PathBuf::from(&s[..i + 4]);
    let member = s[i + 5..].trim_start_matches(['/', '\\']).to_owned();
    if zip.is_dir() || member.is_empty() {
        return None;
    }
    (zip.is_file() || mode == Mode::Write).then_some((zip, member))
}

// ------------------------------------------------------------------------------------------------
// Source

enum SourceInner<'a> {
    File(PathBuf),
    Bytes(Cow<'a, [u8]>),
    Stream(Mutex<Box<dyn ReadSeek + Send + 'a>>),
    Device(String),
}

/// Where a reading plugin gets its data. Cheap to clone (shared).
#[derive(Clone)]
pub struct Source<'a> {
    inner: Arc<SourceInner<'a>>,
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            SourceInner::File(p) => write!(f, "Source::File({})", p.display()),
            SourceInner::Bytes(b) => write!(f, "Source::Bytes({} bytes)", b.len()),
            SourceInner::Stream(_) => f.write_str("Source::Stream"),
            SourceInner::Device(d) => write!(f, "Source::Device({d})"),
        }
    }
}

impl<'a> Source<'a> {
    fn new(inner: SourceInner<'a>) -> Self {
        Source {
            inner: Arc::new(inner),
        }
    }

    /// The file's path, when the source is a local file.
    pub fn path(&self) -> Option<&Path> {
        match &*self.inner {
            SourceInner::File(p) => Some(p),
            _ => None,
        }
    }

    /// The data, when the source is in memory (no copy).
    pub fn bytes(&self) -> Option<&[u8]> {
        match &*self.inner {
            SourceInner::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The device name for capture URIs such as `<video0>`.
    pub fn device(&self) -> Option<&str> {
        match &*self.inner {
            SourceInner::Device(d) => Some(d),
            _ => None,
        }
    }

    /// A new buffered reader positioned at the start. Readers are independent of each other.
    pub fn reader(&self) -> Result<SourceReader<'a>> {
        Ok(match &*self.inner {
            SourceInner::File(p) => {
                SourceReader::File(BufReader::with_capacity(64 << 10, File::open(p)?))
            }
            SourceInner::Bytes(_) => {
                SourceReader::Bytes(Cursor::new(SharedBytes(self.inner.clone())))
            }
            SourceInner::Stream(_) => SourceReader::Stream(BufReader::with_capacity(
                64 << 10,
                StreamReader {
                    inner: self.inner.clone(),
                    pos: 0,
                },
            )),
            SourceInner::Device(d) => {
                return Err(Error::unsupported(format!(
                    "`{d}` is a capture device, not a byte stream"
                )));
            }
        })
    }

    /// All the data: borrowed when in memory, else read (one read of the whole file).
    pub fn read_all(&self) -> Result<Cow<'_, [u8]>> {
        match &*self.inner {
            SourceInner::Bytes(b) => Ok(Cow::Borrowed(b)),
            SourceInner::File(p) => Ok(Cow::Owned(std::fs::read(p)?)),
            _ => {
                let mut v = Vec::new();
                self.reader()?.read_to_end(&mut v)?;
                Ok(Cow::Owned(v))
            }
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> Result<u64> {
        Ok(match &*self.inner {
            SourceInner::File(p) => std::fs::metadata(p)?.len(),
            SourceInner::Bytes(b) => b.len() as u64,
            SourceInner::Stream(s) => {
                let mut s = s
                    .lock()
                    .map_err(|_| Error::invalid_argument("stream poisoned"))?;
                s.seek(SeekFrom::End(0))?
            }
            SourceInner::Device(_) => 0,
        })
    }

    /// True when the source has no data.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Up to `n` leading bytes (for sniffing).
    pub fn first_bytes(&self, n: usize) -> Result<Vec<u8>> {
        if let SourceInner::Device(_) = &*self.inner {
            return Ok(Vec::new());
        }
        if let Some(b) = self.bytes() {
            return Ok(b[..n.min(b.len())].to_vec());
        }
        let mut buf = Vec::with_capacity(n);
        self.reader()?.take(n as u64).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// A local file holding the data, for backends that need a path (C libraries). For in-memory
    /// data this is a temporary file with `extension`, removed when the returned value drops.
    pub fn local_path(&self, extension: Option<&str>) -> Result<LocalPath> {
        match &*self.inner {
            SourceInner::File(p) => Ok(LocalPath {
                path: p.clone(),
                _temp: None,
            }),
            SourceInner::Device(d) => Ok(LocalPath {
                path: PathBuf::from(d),
                _temp: None,
            }),
            _ => {
                let mut tmp = tempfile::Builder::new()
                    .prefix("imageio_")
                    .suffix(extension.unwrap_or(""))
                    .tempfile()?;
                io::copy(&mut self.reader()?, tmp.as_file_mut())?;
                tmp.as_file_mut().flush()?;
                let temp = tmp.into_temp_path();
                Ok(LocalPath {
                    path: temp.to_path_buf(),
                    _temp: Some(temp),
                })
            }
        }
    }
}

/// A path to a local copy of the source; a temporary copy is deleted on drop.
#[derive(Debug)]
pub struct LocalPath {
    path: PathBuf,
    _temp: Option<tempfile::TempPath>,
}

impl std::ops::Deref for LocalPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for LocalPath {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// In-memory data shared with the [`Source`].
#[derive(Clone)]
pub struct SharedBytes<'a>(Arc<SourceInner<'a>>);

impl AsRef<[u8]> for SharedBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        match &*self.0 {
            SourceInner::Bytes(b) => b,
            _ => &[],
        }
    }
}

/// A stream shared by several readers: each keeps its own position.
pub struct StreamReader<'a> {
    inner: Arc<SourceInner<'a>>,
    pos: u64,
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let SourceInner::Stream(s) = &*self.inner else {
            return Ok(0);
        };
        let mut s = s.lock().map_err(|_| io::Error::other("stream poisoned"))?;
        s.seek(SeekFrom::Start(self.pos))?;
        let n = s.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for StreamReader<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let SourceInner::Stream(s) = &*self.inner else {
            return Ok(0);
        };
        let new = match pos {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(d) => {
                let mut s = s.lock().map_err(|_| io::Error::other("stream poisoned"))?;
                s.seek(SeekFrom::End(0))? as i128 + d as i128
            }
        };
        if new < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = new as u64;
        Ok(self.pos)
    }
}

/// A buffered reader over a [`Source`]: `Read + BufRead + Seek`, owned, independent.
pub enum SourceReader<'a> {
    /// A file.
    File(BufReader<File>),
    /// In-memory data.
    Bytes(Cursor<SharedBytes<'a>>),
    /// A user stream.
    Stream(BufReader<StreamReader<'a>>),
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SourceReader::File(r) => r.read(buf),
            SourceReader::Bytes(r) => r.read(buf),
            SourceReader::Stream(r) => r.read(buf),
        }
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match self {
            SourceReader::File(r) => r.read_exact(buf),
            SourceReader::Bytes(r) => r.read_exact(buf),
            SourceReader::Stream(r) => r.read_exact(buf),
        }
    }
}

impl BufRead for SourceReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            SourceReader::File(r) => r.fill_buf(),
            SourceReader::Bytes(r) => r.fill_buf(),
            SourceReader::Stream(r) => r.fill_buf(),
        }
    }
    fn consume(&mut self, n: usize) {
        match self {
            SourceReader::File(r) => r.consume(n),
            SourceReader::Bytes(r) => r.consume(n),
            SourceReader::Stream(r) => r.consume(n),
        }
    }
}

impl Seek for SourceReader<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            SourceReader::File(r) => r.seek(pos),
            SourceReader::Bytes(r) => r.seek(pos),
            SourceReader::Stream(r) => r.seek(pos),
        }
    }
    fn stream_position(&mut self) -> io::Result<u64> {
        match self {
            SourceReader::File(r) => r.stream_position(),
            SourceReader::Bytes(r) => r.stream_position(),
            SourceReader::Stream(r) => r.stream_position(),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sink

enum Target<'a> {
    /// Write to a temp file beside `path`, rename over it on commit.
    File(PathBuf),
    /// Return the bytes.
    Bytes,
    /// Copy the bytes into a user writer on commit.
    Writer(Box<dyn Write + Send + 'a>),
    /// Add as a member of a zip file on commit.
    ZipMember(PathBuf, String),
}

struct SinkState<'a> {
    target: Option<Target<'a>>,
    extension: Option<String>,
    /// The temporary file (file targets, or any target once a plugin asked for a local path).
    temp: Option<tempfile::NamedTempFile>,
    memory: Option<Arc<Mutex<Cursor<Vec<u8>>>>>,
}

/// Where a writing plugin puts the encoded file. Nothing reaches the final destination until
/// the core commits the sink after a successful close: a failed write leaves an existing file
/// untouched (writes to a path go to a temporary file in the same folder, then a rename).
#[derive(Clone)]
pub struct Sink<'a> {
    state: Arc<Mutex<SinkState<'a>>>,
}

impl fmt::Debug for Sink<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sink")
    }
}

/// A writer into a [`Sink`]: `Write + Seek`, owned (`'static`), cheap.
pub enum SinkWriter {
    /// The temporary file.
    File(File),
    /// A shared memory buffer.
    Memory(Arc<Mutex<Cursor<Vec<u8>>>>),
}

fn poisoned() -> io::Error {
    io::Error::other("sink buffer poisoned by a panic")
}

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            SinkWriter::File(f) => f.write(buf),
            SinkWriter::Memory(m) => m.lock().map_err(|_| poisoned())?.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            SinkWriter::File(f) => f.write_all(buf),
            SinkWriter::Memory(m) => m.lock().map_err(|_| poisoned())?.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            SinkWriter::File(f) => f.flush(),
            SinkWriter::Memory(_) => Ok(()),
        }
    }
}

impl SinkWriter {
    /// Truncates (or extends) the output to `len` bytes, e.g. after rewriting it shorter.
    pub fn set_len(&mut self, len: u64) -> io::Result<()> {
        match self {
            SinkWriter::File(f) => f.set_len(len),
            SinkWriter::Memory(m) => {
                let mut c = m.lock().map_err(|_| poisoned())?;
                let len = usize::try_from(len).map_err(io::Error::other)?;
                c.get_mut().resize(len, 0);
                Ok(())
            }
        }
    }
}

impl Seek for SinkWriter {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            SinkWriter::File(f) => f.seek(pos),
            SinkWriter::Memory(m) => m.lock().map_err(|_| poisoned())?.seek(pos),
        }
    }
}

impl Read for SinkWriter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SinkWriter::File(f) => f.read(buf),
            SinkWriter::Memory(m) => m.lock().map_err(|_| poisoned())?.read(buf),
        }
    }
}

impl<'a> Sink<'a> {
    fn new(target: Target<'a>, extension: Option<String>) -> Result<Self> {
        let mut state = SinkState {
            target: None,
            extension,
            temp: None,
            memory: None,
        };
        if let Target::File(path) = &target {
            state.temp = Some(temp_beside(path, state.extension.as_deref())?);
        }
        state.target = Some(target);
        Ok(Sink {
            state: Arc::new(Mutex::new(state)),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, SinkState<'a>>> {
        self.state.lock().map_err(|_| Error::io(poisoned()))
    }

    /// A writer positioned at the start of the output. All writers share one output.
    pub fn writer(&self) -> Result<SinkWriter> {
        let mut st = self.lock()?;
        if let Some(t) = &st.temp {
            return Ok(SinkWriter::File(t.reopen()?));
        }
        let m = st
            .memory
            .get_or_insert_with(|| Arc::new(Mutex::new(Cursor::new(Vec::new()))))
            .clone();
        // in memory all writers share one cursor: a new writer starts at the beginning too
        m.lock().map_err(|_| Error::io(poisoned()))?.set_position(0);
        Ok(SinkWriter::Memory(m))
    }

    /// A local path to write the output to, for backends that need one (C libraries). The file
    /// has the request's extension; it is moved or read back on commit.
    pub fn local_path(&self) -> Result<PathBuf> {
        let mut st = self.lock()?;
        if st.memory.is_some() {
            return Err(Error::invalid_argument(
                "this sink is already written through `writer()`",
            ));
        }
        if st.temp.is_none() {
            let t = tempfile::Builder::new()
                .prefix("imageio_")
                .suffix(st.extension.as_deref().unwrap_or(""))
                .tempfile()?;
            st.temp = Some(t);
        }
        Ok(st
            .temp
            .as_ref()
            .map(|t| t.path().to_path_buf())
            .unwrap_or_default())
    }

    fn set_extension(&self, ext: &str) {
        if let Ok(mut st) = self.lock() {
            if st.extension.is_none() {
                st.extension = Some(ext.to_owned());
            }
        }
    }

    /// True when the destination already holds data that [`copy_existing`](Sink::copy_existing)
    /// can start from: an existing file, or an existing member of an existing zip file.
    /// `<bytes>` and user writers never do.
    pub fn destination_exists(&self) -> bool {
        let Ok(st) = self.lock() else { return false };
        match &st.target {
            Some(Target::File(p)) => p.exists(),
            Some(Target::ZipMember(zip, member)) => zip_has_member(zip, member),
            _ => false,
        }
    }

    /// Starts the output as a copy of what the destination holds now, for append modes (TIFF
    /// `r+`): the plugin then reads and extends it through [`writer`](Sink::writer). The
    /// destination itself is still replaced atomically on commit, so a failed append leaves it
    /// untouched. Returns the number of bytes copied, or `None` when there is nothing to start
    /// from (see [`destination_exists`](Sink::destination_exists)). Call it before writing.
    pub fn copy_existing(&self) -> Result<Option<u64>> {
        let mut st = self.lock()?;
        let existing: Option<Vec<u8>> = match &st.target {
            Some(Target::File(p)) if p.exists() => {
                let t = st.temp.as_ref().ok_or_else(|| Error::io(poisoned()))?;
                let mut out = t.reopen()?;
                out.set_len(0)?;
                let n = io::copy(&mut File::open(p)?, &mut out)?;
                return Ok(Some(n));
            }
            Some(Target::ZipMember(zip, member)) if zip_has_member(zip, member) => {
                Some(read_zip_member(zip, member, &Limits::default())?)
            }
            _ => None,
        };
        let Some(bytes) = existing else {
            return Ok(None);
        };
        let n = bytes.len() as u64;
        if let Some(t) = &st.temp {
            let mut out = t.reopen()?;
            out.set_len(0)?;
            out.write_all(&bytes)?;
        } else {
            st.memory = Some(Arc::new(Mutex::new(Cursor::new(bytes))));
        }
        Ok(Some(n))
    }

    /// True when the output goes to memory (`<bytes>`, a writer) rather than a path.
    pub fn is_memory(&self) -> bool {
        self.lock()
            .map(|s| !matches!(s.target, Some(Target::File(_))))
            .unwrap_or(false)
    }

    /// Moves the finished output to its destination; returns the bytes for `<bytes>` targets.
    pub(crate) fn commit(&self) -> Result<Option<Vec<u8>>> {
        let mut st = self.lock()?;
        let Some(target) = st.target.take() else {
            return Ok(None);
        };
        let take_bytes = |st: &mut SinkState<'_>| -> Result<Vec<u8>> {
            if let Some(t) = st.temp.take() {
                return Ok(std::fs::read(t.path())?);
            }
            Ok(match st.memory.take() {
                Some(m) => match Arc::try_unwrap(m) {
                    Ok(m) => m
                        .into_inner()
                        .map_err(|_| Error::io(poisoned()))?
                        .into_inner(),
                    Err(m) => m
                        .lock()
                        .map_err(|_| Error::io(poisoned()))?
                        .get_ref()
                        .clone(),
                },
                None => Vec::new(),
            })
        };
        match target {
            Target::File(path) => {
                let temp = st.temp.take().ok_or_else(|| Error::io(poisoned()))?;
                let perms = std::fs::metadata(&path).map(|m| m.permissions()).ok();
                let temp_path = temp.into_temp_path();
                match perms {
                    Some(p) => std::fs::set_permissions(&temp_path, p)?,
                    None => set_default_permissions(&temp_path)?,
                }
                temp_path.persist(&path).map_err(|e| Error::io(e.error))?;
                Ok(None)
            }
            Target::Bytes => Ok(Some(take_bytes(&mut st)?)),
            Target::Writer(mut w) => {
                let bytes = take_bytes(&mut st)?;
                w.write_all(&bytes)?;
                w.flush()?;
                Ok(None)
            }
            Target::ZipMember(zip, member) => {
                let bytes = take_bytes(&mut st)?;
                write_zip_member(&zip, &member, &bytes)?;
                Ok(None)
            }
        }
    }
}

#[cfg(unix)]
fn set_default_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::set_permissions(
        path,
        std::fs::Permissions::from_mode(0o644),
    )?)
}

#[cfg(not(unix))]
fn set_default_permissions(_path: &Path) -> Result<()> {
    Ok(())
}

pub(crate) fn temp_beside(path: &Path, extension: Option<&str>) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::io(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the directory does not exist: {}", dir.display()),
        )));
    }
    Ok(tempfile::Builder::new()
        .prefix(".imageio-")
        .suffix(extension.unwrap_or(".tmp"))
        .tempfile_in(dir)?)
}

/// Adds or replaces `member` in the zip file at `zip_path`. An existing archive is rewritten into
/// a temporary file beside it (every other entry copied without recompression) that replaces it
/// only when complete, so a failure leaves the original archive untouched.
fn write_zip_member(zip_path: &Path, member: &str, bytes: &[u8]) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let zerr = |e: zip::result::ZipError| Error::io(io::Error::other(e.to_string()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    if !zip_path.is_file() {
        let mut writer = zip::ZipWriter::new(File::create(zip_path)?);
        writer.start_file(member, options).map_err(zerr)?;
        writer.write_all(bytes)?;
        writer.finish().map_err(zerr)?;
        return Ok(());
    }
    let mut archive = zip::ZipArchive::new(File::open(zip_path)?)
        .map_err(|e| Error::decoding(format!("zip file {}: {e}", zip_path.display())))?;
    let temp = temp_beside(zip_path, Some(".zip"))?;
    let mut writer = zip::ZipWriter::new(temp.reopen()?);
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(zerr)?;
        if entry.name() != member {
            writer.raw_copy_file(entry).map_err(zerr)?;
        }
    }
    writer.start_file(member, options).map_err(zerr)?;
    writer.write_all(bytes)?;
    writer.finish().map_err(zerr)?;
    let perms = std::fs::metadata(zip_path)?.permissions();
    let temp_path = temp.into_temp_path();
    std::fs::set_permissions(&temp_path, perms)?;
    temp_path
        .persist(zip_path)
        .map_err(|e| Error::io(e.error))?;
    Ok(())
}

fn zip_has_member(zip_path: &Path, member: &str) -> bool {
    File::open(zip_path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|mut a| a.by_name(member).is_ok())
}

fn read_zip_member(zip_path: &Path, member: &str, limits: &Limits) -> Result<Vec<u8>> {
    let zerr =
        |e: zip::result::ZipError| Error::decoding(format!("zip file {}: {e}", zip_path.display()));
    let mut archive = zip::ZipArchive::new(File::open(zip_path)?).map_err(zerr)?;
    let mut f = archive.by_name(member).map_err(zerr)?;
    limits.check_bytes(f.size())?;
    let mut out = Vec::with_capacity(f.size() as usize);
    f.read_to_end(&mut out)?;
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Request

/// Everything a plugin is given to open a resource.
#[derive(Clone)]
pub struct Request<'a> {
    mode: Mode,
    name: String,
    extension: Option<String>,
    source: Option<Source<'a>>,
    sink: Option<Sink<'a>>,
    first_bytes: Vec<u8>,
    /// Plugin options, validated against the plugin's specs before `open` is called.
    pub options: Options,
    /// Size limits.
    pub limits: Limits,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("mode", &self.mode)
            .field("name", &self.name)
            .field("extension", &self.extension)
            .finish_non_exhaustive()
    }
}

/// How many leading bytes are read for sniffing.
pub const SNIFF_LEN: usize = 256;

impl<'a> Request<'a> {
    /// Resolves a resource for reading or writing. `extension` (which must start with `.`)
    /// overrides the one derived from the name.
    pub fn new(
        resource: Resource<'a>,
        mode: Mode,
        extension: Option<&str>,
        limits: Limits,
    ) -> Result<Self> {
        let explicit = extension.map(check_extension).transpose()?;
        let name = resource.display_name();
        let mut derived_ext = None;
        let (source, sink) = match (resource, mode) {
            (Resource::Path(p), m) => {
                derived_ext = p.to_str().and_then(extension_of);
                Self::path_io(p, m, explicit.as_ref().or(derived_ext.as_ref()), &limits)?
            }
            (Resource::Uri(u), m) => {
                let (io, ext) = Self::parse_uri(&u, m, explicit.as_ref(), &limits)?;
                derived_ext = ext;
                io
            }
            (Resource::Bytes(b), Mode::Read) => (Some(Source::new(SourceInner::Bytes(b))), None),
            (Resource::Reader(r), Mode::Read) => {
                (Some(Source::new(SourceInner::Stream(Mutex::new(r)))), None)
            }
            (Resource::Writer(w), Mode::Write) => {
                (None, Some(Sink::new(Target::Writer(w), explicit.clone())?))
            }
            (Resource::ReturnBytes, Mode::Write) => {
                (None, Some(Sink::new(Target::Bytes, explicit.clone())?))
            }
            (r, m) => {
                return Err(Error::invalid_argument(format!(
                    "cannot {m} {}: it is a {} resource",
                    r.display_name(),
                    if m == Mode::Read {
                        "write-only"
                    } else {
                        "read-only"
                    }
                )));
            }
        };
        let first_bytes = match &source {
            Some(s) => s
                .first_bytes(SNIFF_LEN)
                .map_err(|e| e.with_context(Some(&name), None))?,
            None => Vec::new(),
        };
        Ok(Request {
            mode,
            name,
            extension: explicit.or(derived_ext),
            source,
            sink,
            first_bytes,
            options: Options::new(),
            limits,
        })
    }

    #[allow(clippy::type_complexity)]
    fn path_io(
        path: PathBuf,
        mode: Mode,
        ext: Option<&String>,
        limits: &Limits,
    ) -> Result<(Option<Source<'a>>, Option<Sink<'a>>)> {
        let name = path.display().to_string();
        if let Some((zip, member)) = split_zip(&path, mode) {
            return Ok(match mode {
                Mode::Read => {
                    let bytes = read_zip_member(&zip, &member, limits)?;
                    (
                        Some(Source::new(SourceInner::Bytes(Cow::Owned(bytes)))),
                        None,
                    )
                }
                Mode::Write => (
                    None,
                    Some(Sink::new(Target::ZipMember(zip, member), ext.cloned())?),
                ),
            });
        }
        match mode {
            Mode::Read => {
                if path.is_dir() {
                    return Err(Error::invalid_argument(format!(
                        "`{name}` is a folder; imageio-rs reads files: give the path of one file"
                    )));
                }
                if !path.exists() {
                    let hint = standard::lookup(&name)
                        .map(|_| format!(". `{name}` is a standard image: use `imageio:{name}`"))
                        .unwrap_or_default();
                    return Err(Error::io(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("no such file: `{name}`{hint}"),
                    )));
                }
                Ok((Some(Source::new(SourceInner::File(path))), None))
            }
            Mode::Write => Ok((None, Some(Sink::new(Target::File(path), ext.cloned())?))),
        }
    }

    #[allow(clippy::type_complexity)]
    fn parse_uri(
        uri: &str,
        mode: Mode,
        explicit: Option<&String>,
        limits: &Limits,
    ) -> Result<((Option<Source<'a>>, Option<Sink<'a>>), Option<String>)> {
        let lower = uri.to_ascii_lowercase();
        if let Some(name) = uri.strip_prefix("imageio:") {
            if mode == Mode::Write {
                return Err(Error::invalid_argument(
                    "cannot write to the standard images (`imageio:`)",
                ));
            }
            let (file, member) = match name.to_ascii_lowercase().find(".zip/") {
                Some(i) => (&name[..i + 4], Some(&name[i + 5..])),
                None => (name, None),
            };
            let path = standard::resolve(file)?;
            return match member {
                Some(m) => {
                    let bytes = read_zip_member(&path, m, limits)?;
                    Ok((
                        (
                            Some(Source::new(SourceInner::Bytes(Cow::Owned(bytes)))),
                            None,
                        ),
                        extension_of(m),
                    ))
                }
                None => Ok((
                    (Some(Source::new(SourceInner::File(path))), None),
                    extension_of(file),
                )),
            };
        }
        if lower.starts_with("http://") || lower.starts_with("https://") {
            if mode == Mode::Write {
                return Err(Error::invalid_argument(
                    "imageio-rs does not write to http(s) URLs",
                ));
            }
            let bytes = standard::http_get(uri, limits)?;
            return Ok((
                (
                    Some(Source::new(SourceInner::Bytes(Cow::Owned(bytes)))),
                    None,
                ),
                url_extension(uri),
            ));
        }
        if lower.starts_with("ftp://") || lower.starts_with("ftps://") {
            return Err(Error::unsupported("ftp resources are not supported"));
        }
        if let Some(p) = uri.strip_prefix("file://") {
            let path = PathBuf::from(p);
            let ext = extension_of(p);
            return Ok((
                Self::path_io(path, mode, explicit.or(ext.as_ref()), limits)?,
                ext,
            ));
        }
        if uri == "<bytes>" {
            return match mode {
                Mode::Write => Ok((
                    (None, Some(Sink::new(Target::Bytes, explicit.cloned())?)),
                    None,
                )),
                Mode::Read => Err(Error::invalid_argument(
                    "`<bytes>` is a write target; pass the data to read",
                )),
            };
        }
        if uri.starts_with("<video") || uri == "<screen>" || uri == "<clipboard>" {
            return match mode {
                Mode::Read => Ok((
                    (Some(Source::new(SourceInner::Device(uri.to_owned()))), None),
                    None,
                )),
                Mode::Write => Err(Error::invalid_argument(format!("`{uri}` is read-only"))),
            };
        }
        let path = expand_home(uri);
        let ext = extension_of(uri);
        Ok((
            Self::path_io(path, mode, explicit.or(ext.as_ref()), limits)?,
            ext,
        ))
    }

    /// Applies a format hint: an extension (must start with `.`) used only when the resource
    /// has none of its own.
    pub fn with_format_hint(mut self, hint: Option<&str>) -> Result<Self> {
        if let Some(h) = hint {
            let h = check_extension(h).map_err(|_| {
                Error::invalid_argument(format!(
                    "`format_hint` should be a file extension starting with a `.`, but is `{h}`"
                ))
            })?;
            if self.extension.is_none() {
                if let Some(sink) = &self.sink {
                    sink.set_extension(&h);
                }
                self.extension = Some(h);
            }
        }
        Ok(self)
    }

    /// Read or write.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The resource as errors name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The extension (lower-cased when derived from a name; verbatim when given explicitly).
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// The first bytes of the data (up to [`SNIFF_LEN`]); empty when writing.
    pub fn first_bytes(&self) -> &[u8] {
        &self.first_bytes
    }

    /// The data source (read mode).
    pub fn source(&self) -> Result<&Source<'a>> {
        self.source
            .as_ref()
            .ok_or_else(|| Error::invalid_argument("the request was opened for writing"))
    }

    /// The output sink (write mode).
    pub fn sink(&self) -> Result<&Sink<'a>> {
        self.sink
            .as_ref()
            .ok_or_else(|| Error::invalid_argument("the request was opened for reading"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(extension_of("a/b.PNG").as_deref(), Some(".png"));
        assert_eq!(
            url_extension("https://x.org/a/b.PNG?x=1.jpg").as_deref(),
            Some(".png")
        );
        assert_eq!(extension_of("/x.tar.gz").as_deref(), Some(".gz"));
        assert_eq!(
            extension_of("#!~:@$%^&`-+{};',.()? []_=.jpg").as_deref(),
            Some(".jpg")
        );
        assert_eq!(extension_of("noext"), None);
        assert!(check_extension("png").is_err());
        assert!(check_extension(".png").is_ok());
    }

    #[test]
    fn reader_over_bytes_and_stream_agree() {
        let data: Vec<u8> = (0..=255u8).collect();
        let r1 = Request::new(Resource::from(&data), Mode::Read, None, Limits::default()).unwrap();
        let r2 = Request::new(
            Resource::reader(Cursor::new(data.clone())),
            Mode::Read,
            None,
            Limits::default(),
        )
        .unwrap();
        for r in [&r1, &r2] {
            assert_eq!(r.first_bytes(), &data[..]);
            let mut rd = r.source().unwrap().reader().unwrap();
            rd.seek(SeekFrom::Start(250)).unwrap();
            let mut b = Vec::new();
            rd.read_to_end(&mut b).unwrap();
            assert_eq!(b, &data[250..]);
        }
    }

    #[test]
    fn copy_existing_starts_from_the_destination_and_commits_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        let r = Request::new(Resource::from(&path), Mode::Write, None, Limits::default()).unwrap();
        assert!(!r.sink().unwrap().destination_exists());
        assert_eq!(r.sink().unwrap().copy_existing().unwrap(), None);
        drop(r);

        std::fs::write(&path, b"old").unwrap();
        let r = Request::new(Resource::from(&path), Mode::Write, None, Limits::default()).unwrap();
        let sink = r.sink().unwrap();
        assert!(sink.destination_exists());
        assert_eq!(sink.copy_existing().unwrap(), Some(3));
        let mut w = sink.writer().unwrap();
        let mut head = Vec::new();
        w.read_to_end(&mut head).unwrap();
        assert_eq!(head, b"old");
        w.write_all(b"+new").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"old",
            "untouched before commit"
        );
        sink.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"old+new");

        // a zip member is copied too; <bytes> has nothing to start from
        let zip = dir.path().join("a.zip");
        write_zip_member(&zip, "m.bin", b"zipped").unwrap();
        let member = Resource::from(format!("{}/m.bin", zip.display()).as_str());
        let r = Request::new(member, Mode::Write, None, Limits::default()).unwrap();
        assert!(r.sink().unwrap().destination_exists());
        assert_eq!(r.sink().unwrap().copy_existing().unwrap(), Some(6));
        let mut got = Vec::new();
        r.sink()
            .unwrap()
            .writer()
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"zipped");
        // replacing the member keeps the other entries and leaves no temp file
        write_zip_member(&zip, "other.txt", b"keep me").unwrap();
        r.sink().unwrap().writer().unwrap().write_all(b"!").unwrap();
        r.sink().unwrap().commit().unwrap();
        let mut a = zip::ZipArchive::new(File::open(&zip).unwrap()).unwrap();
        assert_eq!(a.len(), 2);
        let mut got = Vec::new();
        a.by_name("m.bin").unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(got, b"!ipped", "the copy was overwritten from its start");
        got.clear();
        a.by_name("other.txt")
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"keep me");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "x.bin and a.zip, no temp file"
        );
        let r = Request::new(
            Resource::ReturnBytes,
            Mode::Write,
            Some(".x"),
            Limits::default(),
        )
        .unwrap();
        assert!(!r.sink().unwrap().destination_exists());
        assert_eq!(r.sink().unwrap().copy_existing().unwrap(), None);
    }

    #[test]
    fn write_is_atomic_and_bytes_are_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(&path, b"old").unwrap();
        {
            let r =
                Request::new(Resource::from(&path), Mode::Write, None, Limits::default()).unwrap();
            r.sink()
                .unwrap()
                .writer()
                .unwrap()
                .write_all(b"half")
                .unwrap();
            // dropped without commit
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let r = Request::new(Resource::from(&path), Mode::Write, None, Limits::default()).unwrap();
        r.sink()
            .unwrap()
            .writer()
            .unwrap()
            .write_all(b"new")
            .unwrap();
        r.sink().unwrap().commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );

        let r = Request::new(
            Resource::ReturnBytes,
            Mode::Write,
            Some(".png"),
            Limits::default(),
        )
        .unwrap();
        r.sink()
            .unwrap()
            .writer()
            .unwrap()
            .write_all(b"abc")
            .unwrap();
        assert_eq!(r.sink().unwrap().commit().unwrap(), Some(b"abc".to_vec()));
    }

    #[test]
    fn zip_members_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let member = dir.path().join("a.zip/sub/x.bin");
        for (m, data) in [("sub/x.bin", b"one".as_slice()), ("y.bin", b"two")] {
            let p = dir.path().join("a.zip").join(m);
            let r = Request::new(Resource::from(&p), Mode::Write, None, Limits::default()).unwrap();
            r.sink().unwrap().writer().unwrap().write_all(data).unwrap();
            r.sink().unwrap().commit().unwrap();
        }
        let r = Request::new(Resource::from(&member), Mode::Read, None, Limits::default()).unwrap();
        assert_eq!(r.source().unwrap().bytes().unwrap(), b"one");
        assert_eq!(r.extension(), Some(".bin"));
    }

    #[test]
    fn bad_targets() {
        let e = Request::new(
            Resource::from("imageio:chelsea.png"),
            Mode::Write,
            None,
            Limits::default(),
        );
        assert!(e.unwrap_err().to_string().contains("standard images"));
        let e = Request::new(
            Resource::from("/definitely/not/here.png"),
            Mode::Read,
            None,
            Limits::default(),
        );
        assert!(matches!(e, Err(Error::Io { .. })));
        let e = Request::new(
            Resource::from("/definitely/not/here.png"),
            Mode::Write,
            None,
            Limits::default(),
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("directory does not exist")
        );
    }
}
