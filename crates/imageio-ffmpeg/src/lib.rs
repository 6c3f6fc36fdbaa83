//! The FFmpeg backend of imageio-rs (plugin name `ffmpeg`), on `ffmpeg-next` 9 and the system's
//! FFmpeg libraries (5.1 or newer).
//!
//! # Reading
//!
//! Anything FFmpeg demuxes (mp4, mkv, mov, avi, webm, mpeg, wmv, flv, ts, …) from a path, from
//! bytes or from any `Read + Seek` (through a custom `AVIOContext` whose callbacks catch panics and
//! report the reader's own I/O error). The first video stream is read.
//!
//! - **Default index**: all frames stacked, `(N, H, W, 3)` `uint8` (like imageio's pyav plugin).
//!   Before allocating, `N × H × W × C` is checked against [`Limits`](imageio_core::Limits).
//! - **`Index::At(n)`** returns frame `n` exactly: the decoder seeks to the keyframe at or before
//!   the frame's timestamp and decodes forward, dropping earlier frames. Reading `n + 1` after `n`
//!   (or iterating) never seeks again, and a target reachable without crossing a keyframe is
//!   decoded forward. If the seek lands after the target, decoding restarts from the start.
//! - **Frame count** (`n_images`, `properties(Index::All)`), found without decoding:
//!   - for mp4/mov (FFmpeg's `mov` demuxer) from the **sample table**, without reading packets,
//!     only when the stream's `nb_frames` is positive and equals the demuxer's index entry
//!     count, every sample's data lies inside the file (not truncated) and the file has no
//!     top-level `moof` box (not fragmented). The count is the index entries not flagged
//!     `AVINDEX_DISCARD_FRAME` (edit lists), i.e. `nb_frames` when the edit list drops nothing:
//!     the `mov` demuxer emits exactly one packet per entry, so this equals the packet pass;
//!   - otherwise by a **packet pass**: every packet of the video stream is demuxed once on the
//!     open demuxer (no second open), *without decoding*. Packets that the demuxer marks as
//!     discarded (mp4 edit lists) do not count. A stream whose tail is damaged counts the
//!     packets that can be read; `read(All)` returns the frames actually decoded.
//!
//!   A container's bare `nb_frames` (over-reported in imageio #1005, 0 for webm) is never used
//!   otherwise. Random access collects the sorted presentation timestamps in one packet pass
//!   (on the open demuxer) to map frame numbers to timestamps for exact seeking. When some
//!   packet has no timestamp (raw streams) or `constant_framerate=false`, frame `n` is found by
//!   decoding forward from the start instead. Going back to the start seeks the open demuxer
//!   and checks that the first packet comes back (position, timestamps, size); else it reopens.
//! - **Iteration** decodes one frame at a time: memory stays at one frame plus decoder state.
//! - **Conversion** with a `filter`, `fps`, `size` or `rotate` runs in an FFmpeg filter graph
//!   ending in `format=pix_fmts=<format>`, with the scaler flags of the `ffmpeg` command line
//!   (`bicubic`, its `-sws_flags` default), so pixels are bit-identical to
//!   `ffmpeg -i FILE -f rawvideo -pix_fmt rgb24 -` (tested). A plain format conversion uses a
//!   libswscale context set up like the CLI's auto-inserted `scale` filter (bicubic, slice
//!   threads, the frame's colour matrix and range) that writes straight into the output array
//!   (`read(All)`'s `(N, H, W, C)` buffer, or the iterated frame): no intermediate frame and no
//!   copy. It is only kept after its output for the first frame of each size/format/colour
//!   kind was byte-identical to the filter graph's; otherwise the graph is used.
//! - `properties` never decodes (except with a `filter` or `fps`, whose output shape and count
//!   are only known by running the graph: the first frame, resp. all frames, are decoded once).
//!
//! Read options (also as [`ReadOptions`]):
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `format` | str | output pixel format: `rgb24` (default), `rgba`, `gray`, `gray16` (u16, `(H, W)`), `rgb48` (u16), or any *packed* FFmpeg pixel format (`bgr24`, `rgba64le`, …). Planar or chroma-subsampled formats (`yuv420p`, `nv12`) cannot be one array and are an error (pyav returns planes for some; we refuse rather than guess) |
//! | `thread_count` | int | decoder threads, 0 = automatic (default) |
//! | `thread_type` | str | `frame+slice` (default), `frame`, `slice`, `none` |
//! | `filter` | str | an FFmpeg filter chain applied before conversion, e.g. `scale=320:-1,fps=5`; frame numbers then count the filter's output frames, and `Index::At(n)` decodes from the start (filters have state) |
//! | `fps` | float | resample to a constant frame rate (FFmpeg's `fps` filter, as imageio-ffmpeg's `fps`) |
//! | `size` | str/list | rescale to `"WxH"` or `[W, H]` |
//! | `rotate` | bool | apply the display-matrix rotation (metadata `rotation`); default false (pixels as stored, like pyav) |
//! | `constant_framerate` | bool | `false`: never seek by timestamp, always decode forward from the start (for files with broken timestamps) |
//!
//! Metadata (`Index::All`/`Default`): `fps` (float, `r_frame_rate`), `duration` (s), `codec`,
//! `long_codec`, `profile`, `pix_fmt` (and pyav's name `video_format`), `size`, `bitrate`,
//! `container`, `encoder`, `rotation` (clockwise degrees a player applies), `n_frames`, and every
//! container and stream tag. `Index::At(n)`: `time` (pts × time base, seconds, as pyav),
//! `key_frame`, `frame_type`, `interlaced_frame`.
//!
//! `<video0>`, `<video1>`, … open `/dev/videoN` through libavdevice's `video4linux2` input
//! format (named explicitly, never probed) when the crate's `device` feature is on; without a
//! device the error names the device, the path tried and the feature. Tested: the missing-device
//! error, that libavdevice lists `video4linux2,v4l2`, and that a device path reaches the V4L2
//! input (on `/dev/null` its capability ioctl fails). Real capture is untested here: the test
//! machine has no `/dev/video*` and cannot load `v4l2loopback`.
//!
//! # Writing
//!
//! `(N, H, W[, C])` `uint8`/`uint16` batches, or frames written one by one through an open
//! writer: each frame is converted and sent to the encoder as it arrives (constant memory). The
//! encoder is flushed on close and every packet gets a duration before its timestamps are
//! rescaled to the stream's time base, so the last frame is never lost.
//!
//! Shape rule when `is_batch` is not given: 4-D is a batch; 3-D with a last axis of 1–4 is one
//! colour frame, other 3-D arrays are batches of gray frames; 2-D is one gray frame.
//!
//! Write options (also as [`WriteOptions`]):
//!
//! | key | type | meaning |
//! |---|---|---|
//! | `codec` | str | encoder name; default `libx264` for .mp4/.m4v/.mkv/.mov/.ts/.flv (`mpeg4` when libx264 is missing), `mpeg4` for .avi, `libvpx-vp9` for .webm (an error naming the encoder when missing), `mpeg2video` for .mpg, `wmv2` for .wmv |
//! | `fps` | float | frames per second (default 10, as imageio-ffmpeg), stored as the closest fraction with a denominator ≤ 65535 (3.5 → 7/2, round-trips) |
//! | `bitrate` | int/str | target bit rate (`800000`, `"800k"`, `"2M"`) |
//! | `quality` | float | 0–10 (10 best), imageio-ffmpeg's mapping: x264/x265 `crf = (1 − q/10) × 51`; vpx `crf = (1 − q/10) × 63`; quantiser codecs (mpeg4, …) `qscale = 1 + 30 × (1 − q/10)`. Unset: the encoder's defaults for x264/x265 (crf 23, like pyav), crf 31 for vp9, and quality 5 for quantiser codecs (FFmpeg's 200 kb/s default is unusable) |
//! | `pixel_format` | str | encoder pixel format, default `yuv420p` (or the input's format for codecs without yuv420p, e.g. `libx264rgb`) |
//! | `macro_block_size` | int | default 16: frames whose width or height is not a multiple are **padded** (edge pixels replicated) up to the next multiple, with a warning on stderr; 1 disables. imageio-ffmpeg *resizes* instead; padding keeps every pixel unresampled, so cropping the read-back frame gives the original size |
//! | `codec_options` | str | encoder options `key=value` separated by `,` or `:` (e.g. `preset=fast,qp=0`) |
//! | `container` | str | muxer name, to override the extension |
//! | `thread_count` | int | encoder threads (0 = automatic, the default) |
//!
//! Output goes to a temporary local file (the mp4/mov muxers seek back to finish their header);
//! for `<bytes>` and writers the core reads it back when the writer closes.
//!
//! # Example
//!
//! ```
//! use imageio_core::{open, Index, Mode, OpenArgs, Resource, ndarray::Array4};
//! use imageio_ffmpeg::WriteOptions;
//!
//! // 5 frames of 32×32 RGB, encoded to mp4 in memory, then read back.
//! let frames = Array4::<u8>::from_shape_fn((5, 32, 32, 3), |(n, y, x, c)| (n * 20 + y * 4 + x * 2 + c * 30) as u8);
//! let args = OpenArgs { extension: Some(".mp4".into()), options: WriteOptions::new().fps(5.0).into(), ..Default::default() };
//! let mut w = open(Resource::ReturnBytes, Mode::Write, &args)?;
//! w.write(&frames)?;
//! let bytes = w.close()?.expect("bytes");
//!
//! let mut r = open(Resource::from(bytes), Mode::Read, &OpenArgs::default())?;
//! assert_eq!(r.properties(Index::All)?.shape, vec![5, 32, 32, 3]);
//! assert_eq!(r.read(Index::At(4))?.shape(), &[32, 32, 3]);
//! # Ok::<(), imageio_core::Error>(())
//! ```
//!
//! All `unsafe` code is in the private `ffi` module; each block has a `// SAFETY:` comment.

mod ffi;
mod read;
mod write;

use imageio_core::{
    OptionKind as K, OptionSpec, Options, Plugin, PluginDescriptor, Request, Result, Value,
    submit_plugin,
};

const READ_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "format",
        K::Str,
        "output pixel format: rgb24 (default), rgba, gray, gray16, rgb48, or a packed FFmpeg pixel format",
    ),
    OptionSpec::new("thread_count", K::Int, "decoder threads, 0 = automatic"),
    OptionSpec::new(
        "thread_type",
        K::Str,
        "frame+slice (default), frame, slice or none",
    ),
    OptionSpec::new(
        "filter",
        K::Str,
        "FFmpeg filter chain applied before conversion, e.g. scale=320:-1,fps=5",
    ),
    OptionSpec::new("fps", K::Float, "resample to this constant frame rate"),
    OptionSpec::new("size", K::Any, "rescale to \"WxH\" or [W, H]"),
    OptionSpec::new("rotate", K::Bool, "apply the display-matrix rotation"),
    OptionSpec::new(
        "constant_framerate",
        K::Bool,
        "false: never seek by timestamp (decode forward from the start)",
    ),
];

const WRITE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::new(
        "codec",
        K::Str,
        "encoder (default libx264 for mp4/mkv/mov, mpeg4 for avi, libvpx-vp9 for webm)",
    ),
    OptionSpec::new("fps", K::Float, "frames per second (default 10)"),
    OptionSpec::new("bitrate", K::Any, "bit rate: 800000, \"800k\", \"2M\""),
    OptionSpec::new(
        "quality",
        K::Float,
        "0-10 (10 best): CRF for x264/vpx, qscale for mpeg4",
    ),
    OptionSpec::new(
        "pixel_format",
        K::Str,
        "encoder pixel format (default yuv420p)",
    ),
    OptionSpec::new(
        "macro_block_size",
        K::Int,
        "pad frames to a multiple of this (default 16, 1 = off)",
    ),
    OptionSpec::new(
        "codec_options",
        K::Str,
        "encoder options key=value[,key=value]",
    ),
    OptionSpec::new("container", K::Str, "muxer name (overrides the extension)"),
    OptionSpec::new("thread_count", K::Int, "encoder threads (0 = automatic)"),
];

/// Recognises the containers FFmpeg reads from their first bytes (an empty prefix is accepted so
/// that capture devices such as `<video0>` reach the plugin; empty files are declined in `open`).
fn sniff(b: &[u8]) -> bool {
    if b.is_empty() {
        return true;
    }
    let at = |i: usize, s: &[u8]| b.len() >= i + s.len() && &b[i..i + s.len()] == s;
    at(4, b"ftyp")
        || at(4, b"moov")
        || at(4, b"mdat")
        || at(4, b"wide")
        || at(4, b"free")
        || at(0, &[0x1a, 0x45, 0xdf, 0xa3])
        || (at(0, b"RIFF") && (at(8, b"AVI ") || at(8, b"AVIX")))
        || at(0, &[0, 0, 1, 0xba])
        || at(0, &[0, 0, 1, 0xb3])
        || at(0, b"FLV")
        || at(0, &[0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])
        || (b.len() > 188 && b[0] == 0x47 && b[188] == 0x47)
        || at(0, b"OggS")
}

fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    match req.mode() {
        imageio_core::Mode::Read => Ok(Box::new(read::Reader::open(&req)?)),
        imageio_core::Mode::Write => Ok(Box::new(write::Writer::open(&req)?)),
    }
}

submit_plugin!(PluginDescriptor {
    name: "ffmpeg",
    description: "video through FFmpeg (mp4, mkv, mov, avi, webm, mpeg, …; webcams with the `device` feature)",
    extensions: &[
        ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv", ".ts",
        ".h264", ".mts"
    ],
    priority: 100,
    can_read: true,
    can_write: true,
    sniff: Some(sniff),
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    open,
});

/// Typed builder for the read options (converts into [`Options`]).
#[derive(Clone, Debug, Default)]
pub struct ReadOptions(Options);

impl ReadOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Output pixel format (`rgb24`, `rgba`, `gray`, `gray16`, `rgb48`, …).
    pub fn format(mut self, f: &str) -> Self {
        self.0.set("format", f);
        self
    }
    /// Decoder threads (0 = auto).
    pub fn thread_count(mut self, n: u32) -> Self {
        self.0.set("thread_count", i64::from(n));
        self
    }
    /// Threading type: `frame+slice`, `frame`, `slice`, `none`.
    pub fn thread_type(mut self, t: &str) -> Self {
        self.0.set("thread_type", t);
        self
    }
    /// An FFmpeg filter chain applied before conversion.
    pub fn filter(mut self, f: &str) -> Self {
        self.0.set("filter", f);
        self
    }
    /// Resample to a constant frame rate.
    pub fn fps(mut self, fps: f64) -> Self {
        self.0.set("fps", fps);
        self
    }
    /// Rescale to `width × height`.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.0.set(
            "size",
            Value::List(vec![Value::Int(width.into()), Value::Int(height.into())]),
        );
        self
    }
    /// Apply the display-matrix rotation.
    pub fn rotate(mut self, yes: bool) -> Self {
        self.0.set("rotate", yes);
        self
    }
    /// `false`: never seek by timestamp.
    pub fn constant_framerate(mut self, yes: bool) -> Self {
        self.0.set("constant_framerate", yes);
        self
    }
}

impl From<ReadOptions> for Options {
    fn from(o: ReadOptions) -> Options {
        o.0
    }
}

/// Typed builder for the write options (converts into [`Options`]).
#[derive(Clone, Debug, Default)]
pub struct WriteOptions(Options);

impl WriteOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Encoder name (`libx264`, `mpeg4`, `ffv1`, `libvpx-vp9`, …).
    pub fn codec(mut self, c: &str) -> Self {
        self.0.set("codec", c);
        self
    }
    /// Frames per second.
    pub fn fps(mut self, fps: f64) -> Self {
        self.0.set("fps", fps);
        self
    }
    /// Bit rate in bits per second.
    pub fn bitrate(mut self, b: u64) -> Self {
        self.0.set("bitrate", b as i64);
        self
    }
    /// Quality 0–10 (10 best).
    pub fn quality(mut self, q: f64) -> Self {
        self.0.set("quality", q);
        self
    }
    /// Encoder pixel format (`yuv420p`, `yuv444p`, `gray`, …).
    pub fn pixel_format(mut self, p: &str) -> Self {
        self.0.set("pixel_format", p);
        self
    }
    /// Pad frames to a multiple of this (1 = off).
    pub fn macro_block_size(mut self, n: u32) -> Self {
        self.0.set("macro_block_size", i64::from(n));
        self
    }
    /// Encoder options `key=value[,key=value]`.
    pub fn codec_options(mut self, o: &str) -> Self {
        self.0.set("codec_options", o);
        self
    }
    /// Muxer name.
    pub fn container(mut self, c: &str) -> Self {
        self.0.set("container", c);
        self
    }
}

impl From<WriteOptions> for Options {
    fn from(o: WriteOptions) -> Options {
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fps_fractions() {
        assert_eq!(write::rational(3.5, 65535), (7, 2));
        assert_eq!(write::rational(20.0, 65535), (20, 1));
        assert_eq!(write::rational(29.97, 65535), (2997, 100));
        assert_eq!(write::rational(30000.0 / 1001.0, 65535), (30000, 1001));
    }

    #[test]
    fn out_formats() {
        let f = read::parse_out_format("rgb24").unwrap();
        assert_eq!((f.channels, f.dtype), (3, imageio_core::DType::U8));
        let f = read::parse_out_format("gray16").unwrap();
        assert_eq!((f.channels, f.dtype), (1, imageio_core::DType::U16));
        let f = read::parse_out_format("rgb48").unwrap();
        assert_eq!((f.channels, f.dtype), (3, imageio_core::DType::U16));
        assert_eq!(read::parse_out_format("rgba").unwrap().channels, 4);
        for bad in ["yuv420p", "nv12", "gbrp", "nonsense", "yuyv422"] {
            let e = read::parse_out_format(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn sniffs_containers() {
        assert!(sniff(b"\0\0\0\x20ftypisom"));
        assert!(sniff(&[0x1a, 0x45, 0xdf, 0xa3, 1]));
        assert!(sniff(b"RIFF\0\0\0\0AVI LIST"));
        assert!(!sniff(b"\x89PNG\r\n\x1a\n"));
        assert!(!sniff(b"GIF89a"));
    }
}
