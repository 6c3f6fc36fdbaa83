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

/// libavdevice's V4L2 capture input format.
#[cfg(feature = "device")]
pub(crate) const V4L2_INPUT: &str = "video4linux2";

/// The names of libavdevice's video input formats (`av_input_video_device_next`).
#[cfg(all(feature = "device", test))]
pub(crate) fn input_video_devices() -> Vec<String> {
    register_devices();
    let mut names = Vec::new();
    let mut d: *const sys::AVInputFormat = ptr::null();
    loop {
        // SAFETY: `d` is NULL or the previous (static) format returned by this iterator.
        d = unsafe { sys::av_input_video_device_next(d as *mut _) } as *const _;
        if d.is_null() {
            break;
        }
        // SAFETY: a registered input format has a static NUL-terminated name.
        let name = unsafe { (*d).name };
        if !name.is_null() {
            // SAFETY: non-NULL static string.
            names.push(
                unsafe { CStr::from_ptr(name) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    names
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

/// What a demuxer's seek index says about one stream (for mp4/mov: the whole sample table).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IndexSummary {
    /// Index entries (samples).
    pub entries: usize,
    /// Entries flagged `AVINDEX_DISCARD_FRAME` (decoded but dropped: edit lists).
    pub discarded: usize,
    /// The largest `pos + size` of an entry (bytes); every sample's data ends there or before.
    pub data_end: i64,
}

/// Summarises the stream's index entries (`avformat_index_get_entry`).
pub(crate) fn index_summary(input: &ff::format::context::Input, stream: usize) -> IndexSummary {
    let mut s = IndexSummary::default();
    let Some(st) = input.stream(stream) else {
        return s;
    };
    // SAFETY: `st` is a stream of the open input context, valid while `input` is borrowed; the
    // index functions only read it.
    let st = unsafe { st.as_ptr() } as *mut sys::AVStream;
    // SAFETY: as above.
    let n = unsafe { sys::avformat_index_get_entries_count(st) };
    for i in 0..n.max(0) {
        // SAFETY: `i` is below the entry count; the returned pointer is valid until the index
        // changes, which cannot happen while we hold `&input` (no demuxing in between).
        let e = unsafe { sys::avformat_index_get_entry(st, i) };
        if e.is_null() {
            continue;
        }
        // SAFETY: `e` points to a valid entry (checked for NULL).
        let (pos, size, flags) = unsafe { ((*e).pos, (*e).size(), (*e).flags()) };
        s.entries += 1;
        if flags as c_int & sys::AVINDEX_DISCARD_FRAME != 0 {
            s.discarded += 1;
        }
        s.data_end = s.data_end.max(pos.saturating_add(i64::from(size)));
    }
    s
}

/// The size in bytes of the input (`avio_size`), if known.
pub(crate) fn input_size(input: &mut ff::format::context::Input) -> Option<i64> {
    // SAFETY: reading the `pb` field of an open context; `avio_size` only queries its I/O
    // context (our seek callback answers AVSEEK_SIZE for custom I/O).
    let size = unsafe {
        let pb = (*input.as_mut_ptr()).pb;
        if pb.is_null() {
            return None;
        }
        sys::avio_size(pb)
    };
    (size >= 0).then_some(size)
}

/// What a direct scaler depends on: frame size, formats, colour matrix and range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScaleKey {
    w: c_int,
    h: c_int,
    src: c_int,
    dst: c_int,
    space: c_int,
    range: c_int,
}

impl ScaleKey {
    pub(crate) fn of(frame: &ff::frame::Video, dst: ff::format::Pixel) -> Self {
        // SAFETY: reading plain fields of a valid frame.
        let (w, h, src, space, range) = unsafe {
            let f = frame.as_ptr();
            (
                (*f).width,
                (*f).height,
                (*f).format,
                (*f).colorspace as c_int,
                (*f).color_range as c_int,
            )
        };
        ScaleKey {
            w,
            h,
            src,
            dst: sys::AVPixelFormat::from(dst) as c_int,
            space,
            range,
        }
    }
}

/// A libswscale context converting whole frames (same size, another pixel format) straight
/// into caller memory, set up the way libavfilter's `scale` filter sets up the scaler the
/// `ffmpeg` command line inserts for a format conversion: `flags=bicubic`, automatic slice
/// threads, and per frame the input's colour matrix (`in_color_matrix=auto`) and range. The
/// reader only uses it after checking its output against the filter graph's (see `read.rs`).
pub(crate) struct Scaler {
    ctx: *mut sys::SwsContext,
    pub(crate) key: ScaleKey,
}

unsafe extern "C" fn borrowed_buffer_free(_opaque: *mut c_void, _data: *mut u8) {}

fn set_int(ctx: *mut sys::SwsContext, name: &CStr, v: i64) -> c_int {
    // SAFETY: `ctx` is a live SwsContext (an AVClass-enabled object); `name` is NUL-terminated.
    unsafe { sys::av_opt_set_int(ctx.cast(), name.as_ptr(), v, 0) }
}

impl Scaler {
    pub(crate) fn new(frame: &ff::frame::Video, dst: ff::format::Pixel) -> Result<Self> {
        let key = ScaleKey::of(frame, dst);
        let fail = |what: &str, r: c_int| Error::decoding(format!("{what}: {}", av_err(r)));
        // SAFETY: allocation; checked for NULL; owned by `Scaler` (freed in Drop) from here on.
        let ctx = unsafe { sys::sws_alloc_context() };
        if ctx.is_null() {
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "sws_alloc_context failed",
            )));
        }
        let s = Scaler { ctx, key };
        for (name, v) in [
            (c"srcw", i64::from(key.w)),
            (c"srch", i64::from(key.h)),
            (c"src_format", i64::from(key.src)),
            (c"dstw", i64::from(key.w)),
            (c"dsth", i64::from(key.h)),
            (c"dst_format", i64::from(key.dst)),
            (c"sws_flags", i64::from(sys::SWS_BICUBIC)),
        ] {
            let r = set_int(ctx, name, v);
            if r < 0 {
                return Err(fail("scaler option", r));
            }
        }
        // Slice threads (0 = one per core), as the filter graph uses; a library without the
        // option converts on the calling thread, with the same result.
        let _ = set_int(ctx, c"threads", 0);
        // SAFETY: `ctx` is allocated and configured; no filters.
        let r = unsafe { sys::sws_init_context(ctx, ptr::null_mut(), ptr::null_mut()) };
        if r < 0 {
            return Err(fail("scaler setup", r));
        }
        let mut inv: *mut c_int = ptr::null_mut();
        let mut table: *mut c_int = ptr::null_mut();
        let (mut src_full, mut dst_full, mut bri, mut con, mut sat) = (0, 0, 0, 0, 0);
        // SAFETY: `ctx` is initialised; all out-pointers are valid locals.
        let r = unsafe {
            sys::sws_getColorspaceDetails(
                ctx,
                &mut inv,
                &mut src_full,
                &mut table,
                &mut dst_full,
                &mut bri,
                &mut con,
                &mut sat,
            )
        };
        if r >= 0 {
            // `in_color_matrix=auto`: the frame's matrix, BT.601 when unknown or unsupported;
            // the output matrix follows the input one; the frame's range when tagged.
            let space = match key.space {
                s @ 1..=10 if s != 8 => s,
                _ => sys::AVColorSpace::AVCOL_SPC_BT470BG as c_int,
            };
            // SAFETY: returns a pointer to a static coefficient table.
            let coeffs = unsafe { sys::sws_getCoefficients(space) };
            if key.range != sys::AVColorRange::AVCOL_RANGE_UNSPECIFIED as c_int {
                src_full = c_int::from(key.range == sys::AVColorRange::AVCOL_RANGE_JPEG as c_int);
            }
            // SAFETY: `coeffs` is a static table; the rest are plain values. A refusal (-1 for
            // conversions without YUV) leaves the defaults, as the filter does.
            let _ = unsafe {
                sys::sws_setColorspaceDetails(
                    ctx, coeffs, src_full, coeffs, dst_full, bri, con, sat,
                )
            };
        }
        Ok(s)
    }

    /// Converts `frame` into `dst` (packed, one plane, rows `stride` bytes apart).
    pub(crate) fn scale_into(
        &mut self,
        frame: &ff::frame::Video,
        dst: &mut [u8],
        stride: usize,
    ) -> Result<()> {
        let k = ScaleKey {
            dst: self.key.dst,
            ..ScaleKey::of(frame, ff::format::Pixel::None)
        };
        if k != self.key {
            return Err(Error::decoding("the frame does not match the scaler"));
        }
        let h = self.key.h as usize;
        let line = c_int::try_from(stride)
            .map_err(|_| Error::decoding("output rows are too long for libswscale"))?;
        if h == 0 || dst.len() < stride * h {
            return Err(Error::decoding("output buffer too small for the frame"));
        }
        // SAFETY: wraps the caller's memory in a reference-counted buffer whose free callback
        // does nothing: the memory stays owned by `dst`, and every reference (ours and the
        // scaler's) is released before this function returns, while `dst` is borrowed.
        let buf = unsafe {
            sys::av_buffer_create(
                dst.as_mut_ptr(),
                dst.len(),
                Some(borrowed_buffer_free),
                ptr::null_mut(),
                0,
            )
        };
        if buf.is_null() {
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "av_buffer_create failed",
            )));
        }
        // SAFETY: allocation, checked below; on failure the buffer reference is released.
        let mut out = unsafe { sys::av_frame_alloc() };
        if out.is_null() {
            let mut b = buf;
            // SAFETY: `b` is our only reference.
            unsafe { sys::av_buffer_unref(&mut b) };
            return Err(Error::io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "av_frame_alloc failed",
            )));
        }
        // SAFETY: `out` is a fresh frame that takes over our buffer reference; its only plane
        // points into `dst` with `stride × h ≤ dst.len()` bytes; `frame` is a valid decoded
        // frame. `av_frame_free` releases the reference (the no-op callback) and the frame.
        let r = unsafe {
            (*out).buf[0] = buf;
            (*out).data[0] = dst.as_mut_ptr();
            (*out).linesize[0] = line;
            (*out).width = self.key.w;
            (*out).height = self.key.h;
            (*out).format = self.key.dst;
            let r = sys::sws_scale_frame(self.ctx, out, frame.as_ptr());
            sys::av_frame_free(&mut out);
            r
        };
        if r < 0 {
            return Err(Error::decoding(format!(
                "pixel conversion failed: {}",
                av_err(r)
            )));
        }
        Ok(())
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from `sws_alloc_context` and is freed once.
        unsafe { sys::sws_freeContext(self.ctx) };
    }
}

/// The bytes of a `u16` slice (native byte order).
pub(crate) fn u16_bytes_mut(v: &mut [u16]) -> &mut [u8] {
    // SAFETY: same memory, twice as many `u8`s; `u8` has alignment 1 and every byte pattern is
    // a valid `u16`, so writes through the byte view keep the `u16`s valid.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), v.len() * 2) }
}

/// Faults in (zero-filled, writable) every page of a fresh output region (one frame) with one
/// `madvise(MADV_POPULATE_WRITE)` call instead of one page fault per 4 KiB while the frame is
/// written (a micro-benchmark here: 650 instead of 770 ms CPU to fill 830 MB). Advice only: on
/// kernels without it (before 5.14) or other systems nothing happens; contents never change.
pub(crate) fn prefault(buf: &mut [u8]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        if buf.len() < 1 << 20 {
            return;
        }
        let p = buf.as_mut_ptr() as usize;
        let start = p.next_multiple_of(PAGE);
        let end = (p + buf.len()) / PAGE * PAGE;
        if end <= start {
            return;
        }
        // SAFETY: the page-aligned range lies inside `buf`, which we borrow mutably; populating
        // only allocates the pages (reading as zero, or keeping what was written), it never
        // changes the buffer's contents or validity.
        let r = unsafe {
            libc::madvise(
                start as *mut libc::c_void,
                end - start,
                libc::MADV_POPULATE_WRITE,
            )
        };
        let _ = r; // advice: EINVAL on older kernels leaves the pages to be faulted lazily
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}
