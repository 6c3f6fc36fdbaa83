//! Every `unsafe` block of the crate lives here: custom AVIO over a Rust reader, opening input
//! and output format contexts, seeking, and a few fields that ffmpeg-next does not expose.
//!
//! Ownership rules:
//! - [`ReadAvio`] owns an `AVIOContext` and its boxed reader; it must outlive every format
//!   context that reads through it (callers keep it in a struct field declared *after* the
//!   format context and the decoder, so that Rust drops it last).
//! - Format contexts returned by [`open_input`] / [`open_output`] are wrapped in ffmpeg-next's
//!   owning types immediately after every C call that could fail was checked; on every error path
//!   the half-built context is freed here.

use std::ffi::{CStr, CString, c_int, c_void};
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr;

use ff::ffi as sys;
use ffmpeg_next as ff;

use imageio_core::{Error, Result};

/// The reader a custom AVIO context pulls from.
pub(crate) trait AvioRead: Read + Seek {}
impl<T: Read + Seek> AvioRead for T {}

struct Opaque<'a> {
    reader: Box<dyn AvioRead + 'a>,
    /// Staging buffer: the reader never sees FFmpeg's (possibly uninitialised) buffer.
    scratch: Vec<u8>,
    /// The first I/O error or panic message, reported instead of FFmpeg's generic EIO.
    failure: Option<String>,
}

/// An `AVIOContext` reading from a Rust `Read + Seek` (in-memory bytes, a user stream).
pub(crate) struct ReadAvio<'a> {
    ctx: *mut sys::AVIOContext,
    opaque: *mut Opaque<'a>,
}

const AVIO_BUFFER: usize = 64 << 10;

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_owned()
    }
}

unsafe extern "C" fn avio_read(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    if size <= 0 || opaque.is_null() || buf.is_null() {
        return sys::AVERROR(sys::EINVAL);
    }
    let size = size as usize;
    // SAFETY: `opaque` is the `Box<Opaque>` registered in `ReadAvio::new`; it lives until
    // `ReadAvio` drops, which happens after every format context using it is closed. FFmpeg never
    // calls the callbacks of one context concurrently, so this is the only live reference.
    let st = unsafe { &mut *(opaque as *mut Opaque<'_>) };
    let result = catch_unwind(AssertUnwindSafe(|| -> io::Result<usize> {
        if st.scratch.len() < size {
            st.scratch.resize(size, 0);
        }
        loop {
            match st.reader.read(&mut st.scratch[..size]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }));
    match result {
        Ok(Ok(0)) => sys::AVERROR_EOF,
        Ok(Ok(n)) if n <= size => {
            // SAFETY: FFmpeg passes a buffer of at least `size` writable bytes; `n <= size` and
            // the scratch buffer holds at least `n` initialised bytes; the two never overlap.
            unsafe { ptr::copy_nonoverlapping(st.scratch.as_ptr(), buf, n) };
            n as c_int
        }
        Ok(Ok(_)) => {
            st.failure
                .get_or_insert_with(|| "the reader reported more bytes than requested".into());
            sys::AVERROR(sys::EIO)
        }
        Ok(Err(e)) => {
            st.failure.get_or_insert_with(|| format!("read error: {e}"));
            sys::AVERROR(sys::EIO)
        }
        Err(p) => {
            st.failure
                .get_or_insert_with(|| format!("the reader panicked: {}", panic_message(&*p)));
            sys::AVERROR(sys::EIO)
        }
    }
}

unsafe extern "C" fn avio_seek(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    if opaque.is_null() {
        return sys::AVERROR(sys::EINVAL) as i64;
    }
    // SAFETY: as in `avio_read`.
    let st = unsafe { &mut *(opaque as *mut Opaque<'_>) };
    let whence = whence & !(sys::AVSEEK_FORCE as c_int);
    let result = catch_unwind(AssertUnwindSafe(|| -> io::Result<u64> {
        let r = &mut st.reader;
        if whence == sys::AVSEEK_SIZE as c_int {
            let cur = r.stream_position()?;
            let end = r.seek(SeekFrom::End(0))?;
            r.seek(SeekFrom::Start(cur))?;
            return Ok(end);
        }
        let pos = match whence {
            0 if offset >= 0 => SeekFrom::Start(offset as u64),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad seek")),
        };
        r.seek(pos)
    }));
    match result {
        Ok(Ok(p)) => i64::try_from(p).unwrap_or(sys::AVERROR(sys::EINVAL) as i64),
        Ok(Err(_)) => sys::AVERROR(sys::EINVAL) as i64,
        Err(p) => {
            st.failure
                .get_or_insert_with(|| format!("the reader panicked: {}", panic_message(&*p)));
            sys::AVERROR(sys::EIO) as i64
        }
    }
}

impl<'a> ReadAvio<'a> {
    pub(crate) fn new(reader: Box<dyn AvioRead + 'a>) -> Result<Self> {
        let opaque = Box::into_raw(Box::new(Opaque {
            reader,
            scratch: Vec::new(),
            failure: None,
        }));
        // SAFETY: plain allocation; checked for NULL below.
        let buffer = unsafe { sys::av_malloc(AVIO_BUFFER) } as *mut u8;
        if buffer.is_null() {
            // SAFETY: `opaque` came from `Box::into_raw` just above and was not shared.
            drop(unsafe { Box::from_raw(opaque) });
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "av_malloc failed",
            )));
        }
        // SAFETY: `buffer` is an av_malloc'd block of AVIO_BUFFER bytes whose ownership passes to
        // the context on success; the callbacks match the signatures FFmpeg expects; `opaque`
        // stays valid until `Drop`.
        let ctx = unsafe {
            sys::avio_alloc_context(
                buffer,
                AVIO_BUFFER as c_int,
                0,
                opaque as *mut c_void,
                Some(avio_read),
                None,
                Some(avio_seek),
            )
        };
        if ctx.is_null() {
            // SAFETY: on failure the context did not take the buffer or the opaque.
            unsafe {
                sys::av_free(buffer as *mut c_void);
                drop(Box::from_raw(opaque));
            }
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "avio_alloc_context failed",
            )));
        }
        Ok(ReadAvio { ctx, opaque })
    }

    /// The reader's own error, if one happened (more useful than FFmpeg's EIO).
    pub(crate) fn failure(&self) -> Option<String> {
        // SAFETY: `opaque` is valid while `self` lives; no callback runs during this call
        // because we hold `&self` and FFmpeg is only driven through `&mut` owners.
        unsafe { (*self.opaque).failure.clone() }
    }
}

impl Drop for ReadAvio<'_> {
    fn drop(&mut self) {
        // SAFETY: the context and its (possibly reallocated) buffer are owned by us; format
        // contexts using them were closed before (field order in the owners); `opaque` came
        // from `Box::into_raw`.
        unsafe {
            if !self.ctx.is_null() {
                sys::av_freep(&raw mut (*self.ctx).buffer as *mut c_void);
                sys::avio_context_free(&mut self.ctx);
            }
            drop(Box::from_raw(self.opaque));
        }
    }
}

/// Where an input comes from.
pub(crate) enum InputFrom<'r, 'a> {
    /// A URL or path handed to FFmpeg (files, devices).
    Url(&'r str),
    /// A custom AVIO context, with a file name whose extension helps probing.
    Avio(&'r mut ReadAvio<'a>, Option<&'r str>),
}

fn av_err(e: c_int) -> ff::Error {
    ff::Error::from(e)
}

/// Opens an input and reads the stream info. `format`: an FFmpeg input format short name
/// (e.g. `video4linux2`), else probed.
pub(crate) fn open_input(
    from: InputFrom<'_, '_>,
    format: Option<&str>,
    options: ff::Dictionary,
) -> std::result::Result<ff::format::context::Input, ff::Error> {
    let fmt_ptr = match format {
        Some(name) => {
            let c = CString::new(name).map_err(|_| ff::Error::InvalidData)?;
            // SAFETY: `c` is a valid NUL-terminated string; the result is a static or NULL.
            let p = unsafe { sys::av_find_input_format(c.as_ptr()) };
            if p.is_null() {
                return Err(ff::Error::DemuxerNotFound);
            }
            p
        }
        None => ptr::null(),
    };
    let (url, pb) = match from {
        InputFrom::Url(u) => (
            Some(CString::new(u).map_err(|_| ff::Error::InvalidData)?),
            ptr::null_mut(),
        ),
        InputFrom::Avio(a, hint) => (
            hint.map(CString::new)
                .transpose()
                .map_err(|_| ff::Error::InvalidData)?,
            a.ctx,
        ),
    };
    // SAFETY: allocation; checked for NULL.
    let mut ps = unsafe { sys::avformat_alloc_context() };
    if ps.is_null() {
        return Err(ff::Error::Other { errno: sys::ENOMEM });
    }
    if !pb.is_null() {
        // SAFETY: `ps` is a fresh context; a custom pb must be set before opening and flagged so
        // that closing the context leaves it to its owner.
        unsafe {
            (*ps).pb = pb;
            (*ps).flags |= sys::AVFMT_FLAG_CUSTOM_IO as c_int;
        }
    }
    // SAFETY: hands the dictionary's ownership to us as a raw pointer; it is taken back with
    // `Dictionary::own` right after `avformat_open_input`.
    let mut opts = unsafe { options.disown() };
    let url_ptr = url.as_ref().map_or(ptr::null(), |c| c.as_ptr());
    // SAFETY: `ps` is a valid context (freed by FFmpeg on failure), the URL and the format are
    // valid or NULL, `opts` is an owned dictionary pointer that we take back right after.
    let r = unsafe { sys::avformat_open_input(&mut ps, url_ptr, fmt_ptr as *mut _, &mut opts) };
    // SAFETY: `opts` is the (possibly modified) dictionary FFmpeg hands back; we own it again.
    drop(unsafe { ff::Dictionary::own(opts) });
    if r < 0 {
        return Err(av_err(r));
    }
    // SAFETY: `ps` was opened successfully above.
    let r = unsafe { sys::avformat_find_stream_info(ps, ptr::null_mut()) };
    if r < 0 {
        // SAFETY: `ps` is open; this frees it (and leaves a custom pb alone).
        unsafe { sys::avformat_close_input(&mut ps) };
        return Err(av_err(r));
    }
    // SAFETY: `ps` is a fully opened input context; ownership moves into the wrapper, whose drop
    // calls `avformat_close_input`.
    Ok(unsafe { ff::format::context::Input::wrap(ps) })
}

/// Registers capture devices (idempotent).
#[cfg(feature = "device")]
pub(crate) fn register_devices() {
    ff::device::register_all();
}

/// Opens an output context writing to `path` with muxer `format` (else guessed from the name).
pub(crate) fn open_output(
    path: &Path,
    format: Option<&str>,
) -> Result<ff::format::context::Output> {
    let p = path.to_str().ok_or_else(|| {
        Error::invalid_argument(format!("output path {} is not UTF-8", path.display()))
    })?;
    let cpath = CString::new(p).map_err(|_| Error::invalid_argument("output path contains NUL"))?;
    let cfmt = format
        .map(CString::new)
        .transpose()
        .map_err(|_| Error::invalid_argument("format name contains NUL"))?;
    let mut ps: *mut sys::AVFormatContext = ptr::null_mut();
    // SAFETY: all pointers are valid NUL-terminated strings or NULL; `ps` receives a new context.
    let r = unsafe {
        sys::avformat_alloc_output_context2(
            &mut ps,
            ptr::null_mut(),
            cfmt.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
            cpath.as_ptr(),
        )
    };
    if r < 0 || ps.is_null() {
        return Err(Error::unsupported(format!(
            "FFmpeg has no muxer for {}: {}",
            format
                .map(|f| format!("format `{f}`"))
                .unwrap_or_else(|| format!("`{p}`")),
            av_err(r)
        )));
    }
    // SAFETY: `ps` is a valid output context; its `oformat` is set by the allocation.
    let nofile = unsafe { (*(*ps).oformat).flags } & sys::AVFMT_NOFILE as c_int != 0;
    if !nofile {
        // SAFETY: `(*ps).pb` is NULL and receives the opened context; `cpath` is valid.
        let r =
            unsafe { sys::avio_open(&mut (*ps).pb, cpath.as_ptr(), sys::AVIO_FLAG_WRITE as c_int) };
        if r < 0 {
            // SAFETY: `ps` was allocated above and has no open pb.
            unsafe { sys::avformat_free_context(ps) };
            return Err(Error::io(io::Error::other(format!(
                "cannot open {p} for writing: {}",
                av_err(r)
            ))));
        }
    }
    // SAFETY: fully set up output context; the wrapper closes pb and frees the context on drop.
    Ok(unsafe { ff::format::context::Output::wrap(ps) })
}

/// `av_seek_frame(stream, ts, BACKWARD)`: to the keyframe at or before `ts` (stream time base).
pub(crate) fn seek_backward(
    input: &mut ff::format::context::Input,
    stream: usize,
    ts: i64,
) -> Result<()> {
    // SAFETY: the input context is open; the stream index is one of its streams.
    let r = unsafe {
        sys::av_seek_frame(
            input.as_mut_ptr(),
            stream as c_int,
            ts,
            sys::AVSEEK_FLAG_BACKWARD as c_int,
        )
    };
    if r < 0 {
        return Err(Error::decoding(format!("seek failed: {}", av_err(r))));
    }
    Ok(())
}

/// True when the demuxer marked the packet to be dropped after decoding (edit lists).
pub(crate) fn packet_discarded(p: &ff::Packet) -> bool {
    use ff::packet::Ref;
    // SAFETY: reading a plain field of a valid packet.
    let flags = unsafe { (*p.as_ptr()).flags };
    flags & sys::AV_PKT_FLAG_DISCARD as c_int != 0
}

/// Sets the decoder threads (`count` 0 = auto) and the threading type bit set.
pub(crate) fn set_threads(ctx: &mut ff::codec::Context, count: i32, frame: bool, slice: bool) {
    let mut t = 0;
    if frame {
        t |= sys::FF_THREAD_FRAME as c_int;
    }
    if slice {
        t |= sys::FF_THREAD_SLICE as c_int;
    }
    // SAFETY: writing plain fields of an unopened codec context (read by avcodec_open2).
    unsafe {
        let p = ctx.as_mut_ptr();
        (*p).thread_count = count;
        (*p).thread_type = t;
    }
}

/// `avcodec_profile_name`.
pub(crate) fn profile_name(id: ff::codec::Id, profile: c_int) -> Option<String> {
    // SAFETY: returns a static string or NULL.
    let p = unsafe { sys::avcodec_profile_name(id.into(), profile) };
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL static NUL-terminated string.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The raw profile and bit rate of a stream's codec parameters.
pub(crate) fn stream_codecpar(stream: &ff::format::stream::Stream<'_>) -> (c_int, i64) {
    // SAFETY: a valid stream of an open context always has codecpar.
    unsafe {
        let par = (*stream.as_ptr()).codecpar;
        ((*par).profile, (*par).bit_rate)
    }
}

/// Sets the sws options (`flags=bicubic`) used by scalers that the graph inserts automatically.
pub(crate) fn set_graph_sws_opts(graph: &mut ff::filter::Graph, opts: &str) -> Result<()> {
    let c = CString::new(opts).map_err(|_| Error::invalid_argument("NUL in sws options"))?;
    // SAFETY: `av_strdup` copies the string; the graph owns and frees `scale_sws_opts`.
    unsafe {
        let g = graph.as_mut_ptr();
        sys::av_freep(&raw mut (*g).scale_sws_opts as *mut c_void);
        let dup = sys::av_strdup(c.as_ptr());
        if dup.is_null() {
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "av_strdup failed",
            )));
        }
        (*g).scale_sws_opts = dup;
    }
    Ok(())
}

/// Facts about a pixel format from its descriptor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PixDesc {
    pub nb_components: u8,
    pub planar: bool,
    pub big_endian: bool,
    pub float: bool,
    pub palette: bool,
    pub hwaccel: bool,
    pub bitstream: bool,
    pub subsampled: bool,
    pub bits_per_pixel: i32,
    pub max_depth: i32,
}

pub(crate) fn pix_desc(fmt: ff::format::Pixel) -> Option<PixDesc> {
    // SAFETY: returns a static descriptor or NULL.
    let d = unsafe { sys::av_pix_fmt_desc_get(fmt.into()) };
    if d.is_null() {
        return None;
    }
    // SAFETY: `d` is a valid static descriptor.
    unsafe {
        let flags = (*d).flags;
        let n = (*d).nb_components;
        let max_depth = (0..n as usize)
            .map(|i| (*d).comp[i].depth)
            .max()
            .unwrap_or(0);
        Some(PixDesc {
            nb_components: n,
            planar: flags & sys::AV_PIX_FMT_FLAG_PLANAR as u64 != 0,
            big_endian: flags & sys::AV_PIX_FMT_FLAG_BE as u64 != 0,
            float: flags & sys::AV_PIX_FMT_FLAG_FLOAT as u64 != 0,
            palette: flags & sys::AV_PIX_FMT_FLAG_PAL as u64 != 0,
            hwaccel: flags & sys::AV_PIX_FMT_FLAG_HWACCEL as u64 != 0,
            bitstream: flags & sys::AV_PIX_FMT_FLAG_BITSTREAM as u64 != 0,
            subsampled: (*d).log2_chroma_w != 0 || (*d).log2_chroma_h != 0,
            bits_per_pixel: sys::av_get_bits_per_pixel(d),
            max_depth,
        })
    }
}

/// Silences FFmpeg's own log output (errors are reported through our `Error`s).
pub(crate) fn quiet_logs() {
    ff::util::log::set_level(ff::util::log::Level::Fatal);
}

/// Sets `AVFrame.quality` (quantiser codecs with `AV_CODEC_FLAG_QSCALE` read it per frame).
pub(crate) fn set_frame_quality(frame: &mut ff::frame::Video, quality: i32) {
    // SAFETY: writing a plain field of a valid, owned frame.
    unsafe { (*frame.as_mut_ptr()).quality = quality };
}
