//! Writing: encoding frames one by one as they arrive (constant memory).

use std::path::PathBuf;

use ff::format::Pixel;
use ffmpeg_next as ff;

use imageio_core::{DType, Error, NdView, Plugin, Request, Result, Value};

use crate::ffi;

/// Parsed write options.
#[derive(Clone, Debug)]
pub(crate) struct WriteOpts {
    codec: Option<String>,
    fps: f64,
    bitrate: Option<i64>,
    quality: Option<f64>,
    pixel_format: Option<String>,
    macro_block_size: u32,
    codec_options: Vec<(String, String)>,
    container: Option<String>,
    thread_count: i32,
}

impl WriteOpts {
    fn from_request(req: &Request<'_>) -> Result<Self> {
        let o = &req.options;
        let fps = o.get_float("fps").unwrap_or(10.0);
        if !(fps.is_finite() && fps > 0.0 && fps <= 1e6) {
            return Err(Error::invalid_argument(format!(
                "`fps` must be a positive number, got {fps}"
            )));
        }
        let quality = o.get_float("quality");
        if let Some(q) = quality {
            if !(0.0..=10.0).contains(&q) {
                return Err(Error::invalid_argument(format!(
                    "`quality` must be 0 to 10, got {q}"
                )));
            }
        }
        let bitrate = match o.get("bitrate") {
            None => None,
            Some(Value::Str(s)) => Some(parse_bitrate(s)?),
            Some(v) => Some(v.as_int().ok_or_else(|| {
                Error::invalid_argument("`bitrate` must be an integer or like \"2M\"")
            })?),
        };
        if bitrate.is_some_and(|b| b <= 0) {
            return Err(Error::invalid_argument("`bitrate` must be positive"));
        }
        let mbs = o.get_int("macro_block_size").unwrap_or(16);
        if !(1..=256).contains(&mbs) {
            return Err(Error::invalid_argument(
                "`macro_block_size` must be 1 (off) to 256",
            ));
        }
        let mut codec_options = Vec::new();
        if let Some(s) = o.get_str("codec_options") {
            for pair in s.split([',', ':']).filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair.split_once('=').ok_or_else(|| {
                    Error::invalid_argument(format!("`codec_options`: `{pair}` is not key=value"))
                })?;
                codec_options.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let thread_count = o.get_int("thread_count").unwrap_or(0);
        if !(0..=1024).contains(&thread_count) {
            return Err(Error::invalid_argument(
                "`thread_count` must be 0 (auto) to 1024",
            ));
        }
        Ok(WriteOpts {
            codec: o.get_str("codec").map(str::to_owned),
            fps,
            bitrate,
            quality,
            pixel_format: o.get_str("pixel_format").map(str::to_owned),
            macro_block_size: mbs as u32,
            codec_options,
            container: o.get_str("container").map(str::to_owned),
            thread_count: thread_count as i32,
        })
    }
}

fn parse_bitrate(s: &str) -> Result<i64> {
    let s = s.trim();
    let bad = || {
        Error::invalid_argument(format!(
            "`bitrate`: cannot parse `{s}` (use e.g. 800000, \"800k\", \"2M\")"
        ))
    };
    let (num, mul) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1e3),
        Some('m' | 'M') => (&s[..s.len() - 1], 1e6),
        _ => (s, 1.0),
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    Ok((v * mul).round() as i64)
}

/// The best rational approximation of `x` with denominator ≤ `max_den` (Python's
/// `Fraction.limit_denominator`), so `fps=3.5` is exactly 7/2 and 29.97 is 2997/100.
pub(crate) fn rational(x: f64, max_den: i64) -> (i64, i64) {
    let (mut p0, mut q0, mut p1, mut q1) = (0i64, 1i64, 1i64, 0i64);
    let mut v = x;
    for _ in 0..64 {
        let a = v.floor();
        let ai = a as i64;
        let q2 = q0 + ai * q1;
        if q2 > max_den {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p0 + ai * p1, q2);
        let frac = v - a;
        if frac.abs() < 1e-12 {
            break;
        }
        v = 1.0 / frac;
        if ((p1 as f64 / q1 as f64) - x).abs() < 1e-12 {
            break;
        }
    }
    (p1.max(1), q1.max(1))
}

/// The default codec for a container extension.
fn default_codec(ext: &str) -> Result<&'static str> {
    let have = |n: &str| ff::encoder::find_by_name(n).is_some();
    Ok(match ext {
        ".mp4" | ".m4v" | ".mkv" | ".mov" | ".ts" | ".mts" | ".flv" | ".h264"
            if have("libx264") =>
        {
            "libx264"
        }
        ".mp4" | ".m4v" | ".mkv" | ".mov" | ".ts" | ".mts" | ".flv" | ".h264" => "mpeg4",
        ".avi" => "mpeg4",
        ".webm" if have("libvpx-vp9") => "libvpx-vp9",
        ".webm" => {
            return Err(Error::unsupported(
                "writing .webm needs the `libvpx-vp9` encoder, which this FFmpeg build lacks",
            ));
        }
        ".mpg" | ".mpeg" => "mpeg2video",
        ".wmv" => "wmv2",
        ".gif" => "gif",
        _ => "mpeg4",
    })
}

fn muxer_for(ext: &str) -> Option<&'static str> {
    Some(match ext {
        ".mp4" | ".m4v" => "mp4",
        ".mov" => "mov",
        ".mkv" => "matroska",
        ".webm" => "webm",
        ".avi" => "avi",
        ".ts" | ".mts" => "mpegts",
        ".mpg" | ".mpeg" => "mpeg",
        ".wmv" => "asf",
        ".flv" => "flv",
        ".h264" => "h264",
        ".gif" => "gif",
        _ => return None,
    })
}

struct Encoding {
    // Drop order: encoder before the output context.
    encoder: ff::encoder::Video,
    scaler: ff::software::scaling::Context,
    octx: ff::format::context::Output,
    src_format: Pixel,
    /// Input frame (H, W, C) and dtype.
    in_h: usize,
    in_w: usize,
    in_c: usize,
    dtype: DType,
    /// Encoded size (padded to the macro block size).
    enc_w: usize,
    enc_h: usize,
    enc_tb: ff::Rational,
    stream_tb: ff::Rational,
    frames: i64,
    src: ff::frame::Video,
    /// Per-frame quantiser × lambda for qscale codecs (0: unused).
    frame_quality: i32,
}

pub(crate) struct Writer {
    path: PathBuf,
    ext: String,
    opts: WriteOpts,
    enc: Option<Encoding>,
    closed: bool,
}

fn enc_err(what: &str, e: ff::Error) -> Error {
    Error::encoding(format!("{what}: {e}"))
}

impl Writer {
    pub(crate) fn open(req: &Request<'_>) -> Result<Self> {
        ffi::quiet_logs();
        let opts = WriteOpts::from_request(req)?;
        let ext = req
            .extension()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if opts.container.is_none() && muxer_for(&ext).is_none() {
            return Err(Error::unsupported(format!(
                "cannot tell which container to write for extension `{ext}`: give `container`"
            )));
        }
        if opts.codec.is_none() {
            default_codec(&ext)?;
        }
        // FFmpeg writes to a local file (the mp4/mov muxers seek back to finish the header); for
        // `<bytes>` and user writers the core reads it back when the writer closes.
        let path = req.sink()?.local_path()?;
        Ok(Writer {
            path,
            ext,
            opts,
            enc: None,
            closed: false,
        })
    }

    fn start(&mut self, h: usize, w: usize, c: usize, dtype: DType) -> Result<Encoding> {
        let codec_name = match &self.opts.codec {
            Some(c) => c.clone(),
            None => default_codec(&self.ext)?.to_owned(),
        };
        let codec = ff::encoder::find_by_name(&codec_name).ok_or_else(|| {
            let hint = if codec_name == "libx264" {
                " (use codec=\"mpeg4\")"
            } else {
                ""
            };
            Error::unsupported(format!(
                "this FFmpeg build has no `{codec_name}` encoder{hint}"
            ))
        })?;
        let vcodec = codec
            .video()
            .map_err(|_| Error::invalid_argument(format!("`{codec_name}` is not a video codec")))?;
        let src_format = match (c, dtype) {
            (1, DType::U8) => Pixel::GRAY8,
            (3, DType::U8) => Pixel::RGB24,
            (4, DType::U8) => Pixel::RGBA,
            (1, DType::U16) => Pixel::GRAY16LE,
            (3, DType::U16) => Pixel::RGB48LE,
            (4, DType::U16) => Pixel::RGBA64LE,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "cannot write {dtype} frames with {c} channels: give uint8 or uint16 with 1, 3 or 4 channels"
                )));
            }
        };
        let supported: Vec<Pixel> = vcodec.formats().map(|f| f.collect()).unwrap_or_default();
        let enc_format = match &self.opts.pixel_format {
            Some(p) => p.parse::<Pixel>().map_err(|_| {
                Error::invalid_argument(format!("`pixel_format`: unknown pixel format `{p}`"))
            })?,
            None => {
                if supported.is_empty() || supported.contains(&Pixel::YUV420P) {
                    Pixel::YUV420P
                } else if supported.contains(&src_format) {
                    src_format
                } else if supported.contains(&Pixel::RGB24) {
                    Pixel::RGB24
                } else {
                    supported[0]
                }
            }
        };
        if !supported.is_empty() && !supported.contains(&enc_format) {
            return Err(Error::invalid_argument(format!(
                "`{codec_name}` cannot encode pixel format `{}`",
                self.opts.pixel_format.as_deref().unwrap_or("yuv420p")
            )));
        }
        // Pad the frame to a multiple of the macro block size (most codecs and players need it).
        let mbs = self.opts.macro_block_size as usize;
        let round = |v: usize| v.div_ceil(mbs) * mbs;
        let (enc_w, enc_h) = (round(w), round(h));
        if (enc_w, enc_h) != (w, h) {
            eprintln!(
                "imageio-ffmpeg: padding frames from {w}×{h} to {enc_w}×{enc_h} (a multiple of macro_block_size={mbs}; set macro_block_size=1 to disable)"
            );
        }
        if let Some(d) = ffi::pix_desc(enc_format) {
            if d.subsampled && (enc_w % 2 != 0 || enc_h % 2 != 0) {
                return Err(Error::invalid_argument(format!(
                    "{} needs an even width and height but the frames are {enc_w}×{enc_h}: use macro_block_size=2 or more",
                    self.opts.pixel_format.as_deref().unwrap_or("yuv420p")
                )));
            }
        }

        let muxer = self
            .opts
            .container
            .clone()
            .or_else(|| muxer_for(&self.ext).map(str::to_owned));
        let mut octx = ffi::open_output(&self.path, muxer.as_deref())?;
        let global_header = octx
            .format()
            .flags()
            .contains(ff::format::Flags::GLOBAL_HEADER);
        let (num, den) = rational(self.opts.fps, 65535);
        let rate = ff::Rational(num as i32, den as i32);
        let enc_tb = ff::Rational(den as i32, num as i32);

        let mut ctx = ff::codec::Context::new_with_codec(codec);
        // 0 = automatic (FFmpeg's own default is one thread; x264 then runs single-threaded).
        ffi::set_threads(&mut ctx, self.opts.thread_count, true, true);
        let mut e = ctx.encoder().video().map_err(|e| enc_err("encoder", e))?;
        e.set_width(enc_w as u32);
        e.set_height(enc_h as u32);
        e.set_format(enc_format);
        e.set_time_base(enc_tb);
        e.set_frame_rate(Some(rate));
        if global_header {
            e.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        if let Some(b) = self.opts.bitrate {
            e.set_bit_rate(b as usize);
        }
        let mut dict = ff::Dictionary::new();
        let mut frame_quality = 0;
        let is_x26x = matches!(codec_name.as_str(), "libx264" | "libx264rgb" | "libx265");
        let lossless = matches!(
            codec_name.as_str(),
            "ffv1" | "png" | "rawvideo" | "gif" | "apng" | "utvideo" | "huffyuv" | "ffvhuff"
        );
        let qscale_codec = !is_x26x
            && !lossless
            && !codec_name.starts_with("libvpx")
            && self.opts.bitrate.is_none();
        match (self.opts.quality, codec_name.as_str()) {
            // imageio-ffmpeg's mapping: CRF = (1 - quality/10) × 51 for x264.
            (Some(q), _) if is_x26x => dict.set("crf", &format!("{:.2}", (1.0 - q / 10.0) * 51.0)),
            (Some(q), "libvpx" | "libvpx-vp9") => {
                dict.set(
                    "crf",
                    &format!("{}", ((1.0 - q / 10.0) * 63.0).round() as i64),
                );
                if self.opts.bitrate.is_none() {
                    dict.set("b", "0");
                }
            }
            // Quantiser codecs (mpeg4, mpeg2video, …): qscale = 1 + 30 × (1 - quality/10),
            // quality 5 by default as imageio-ffmpeg (FFmpeg's own default is 200 kb/s).
            (q, _) if qscale_codec => {
                let q = q.unwrap_or(5.0);
                let qscale = 1.0 + 30.0 * (1.0 - q / 10.0);
                e.set_flags(if global_header {
                    ff::codec::Flags::GLOBAL_HEADER | ff::codec::Flags::QSCALE
                } else {
                    ff::codec::Flags::QSCALE
                });
                frame_quality = (qscale * f64::from(ff::ffi::FF_QP2LAMBDA)).round() as i32;
                e.set_global_quality(frame_quality);
            }
            (None, "libvpx-vp9") if self.opts.bitrate.is_none() => {
                dict.set("crf", "31");
                dict.set("b", "0");
            }
            _ => {}
        }
        for (k, v) in &self.opts.codec_options {
            dict.set(k, v);
        }
        let encoder = e.open_with(dict).map_err(|err| {
            enc_err(
                &format!(
                    "cannot open the `{codec_name}` encoder ({enc_w}×{enc_h}, {enc_format:?})"
                ),
                err,
            )
        })?;
        {
            let mut ost = octx
                .add_stream(codec)
                .map_err(|e| enc_err("add stream", e))?;
            ost.set_parameters(&encoder);
            ost.set_time_base(enc_tb);
            ost.set_avg_frame_rate(rate);
            ost.set_rate(rate);
        }
        octx.write_header()
            .map_err(|e| enc_err("cannot write the container header", e))?;
        let stream_tb = octx.stream(0).map(|s| s.time_base()).unwrap_or(enc_tb);
        let scaler = ff::software::scaling::Context::get(
            src_format,
            enc_w as u32,
            enc_h as u32,
            enc_format,
            enc_w as u32,
            enc_h as u32,
            ff::software::scaling::Flags::BICUBIC,
        )
        .map_err(|e| enc_err("pixel format conversion", e))?;
        let src = ff::frame::Video::new(src_format, enc_w as u32, enc_h as u32);
        Ok(Encoding {
            encoder,
            scaler,
            octx,
            src_format,
            in_h: h,
            in_w: w,
            in_c: c,
            dtype,
            enc_w,
            enc_h,
            enc_tb,
            stream_tb,
            frames: 0,
            src,
            frame_quality,
        })
    }

    fn write_frame(&mut self, frame: NdView<'_>) -> Result<()> {
        let shape = frame.shape().to_vec();
        let (h, w, c) = match shape.as_slice() {
            [h, w] => (*h, *w, 1),
            [h, w, c] => (*h, *w, *c),
            _ => {
                return Err(Error::invalid_argument(format!(
                    "a frame must be (H, W) or (H, W, C), got {shape:?}"
                )));
            }
        };
        if h == 0 || w == 0 {
            return Err(Error::invalid_argument("cannot write an empty frame"));
        }
        let dtype = frame.dtype();
        if self.enc.is_none() {
            self.enc = Some(self.start(h, w, c, dtype)?);
        }
        let enc = self.enc.as_mut().expect("started above");
        if (enc.in_h, enc.in_w, enc.in_c, enc.dtype) != (h, w, c, dtype) {
            return Err(Error::invalid_argument(format!(
                "all frames must have the same shape and dtype: the first was {:?} {}, this one is {shape:?} {dtype}",
                if enc.in_c == 1 {
                    vec![enc.in_h, enc.in_w]
                } else {
                    vec![enc.in_h, enc.in_w, enc.in_c]
                },
                enc.dtype
            )));
        }
        fill_frame(enc, &frame)?;
        let mut dst =
            ff::frame::Video::new(enc.encoder.format(), enc.enc_w as u32, enc.enc_h as u32);
        enc.scaler
            .run(&enc.src, &mut dst)
            .map_err(|e| enc_err("pixel format conversion", e))?;
        dst.set_pts(Some(enc.frames));
        if enc.frame_quality > 0 {
            ffi::set_frame_quality(&mut dst, enc.frame_quality);
        }
        enc.frames += 1;
        enc.encoder
            .send_frame(&dst)
            .map_err(|e| enc_err("encoding failed", e))?;
        drain(enc)
    }
}

/// Copies an (H, W[, C]) u8/u16 frame into the padded source frame, replicating the last column
/// and row into the padding.
fn fill_frame(enc: &mut Encoding, frame: &NdView<'_>) -> Result<()> {
    let (h, w, c) = (enc.in_h, enc.in_w, enc.in_c);
    let (ew, eh) = (enc.enc_w, enc.enc_h);
    let bpc = enc.dtype.size();
    let stride = enc.src.stride(0);
    let data = enc.src.data_mut(0);
    let row_bytes = w * c * bpc;
    let mut tmp = Vec::with_capacity(row_bytes);
    for y in 0..h {
        tmp.clear();
        match enc.dtype {
            DType::U8 => {
                let a = frame
                    .as_array::<u8>()
                    .ok_or_else(|| Error::invalid_argument("dtype mismatch"))?;
                let row = a.index_axis(imageio_core::ndarray::Axis(0), y);
                match row.as_slice() {
                    Some(s) => tmp.extend_from_slice(s),
                    None => tmp.extend(row.iter().copied()),
                }
            }
            _ => {
                let a = frame
                    .as_array::<u16>()
                    .ok_or_else(|| Error::invalid_argument("dtype mismatch"))?;
                let row = a.index_axis(imageio_core::ndarray::Axis(0), y);
                for v in row.iter() {
                    tmp.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let dst = &mut data[y * stride..y * stride + ew * c * bpc];
        dst[..row_bytes].copy_from_slice(&tmp);
        let px = c * bpc;
        for x in w..ew {
            let (head, tail) = dst.split_at_mut(x * px);
            tail[..px].copy_from_slice(&head[(w - 1) * px..w * px]);
        }
    }
    for y in h..eh {
        let (head, tail) = data.split_at_mut(y * stride);
        tail[..ew * c * bpc]
            .copy_from_slice(&head[(h - 1) * stride..(h - 1) * stride + ew * c * bpc]);
    }
    let _ = enc.src_format;
    Ok(())
}

/// Moves every finished packet from the encoder to the muxer, with timestamps and durations in
/// the stream's time base (a packet without a duration gets one frame: the last frame keeps its
/// display time).
fn drain(enc: &mut Encoding) -> Result<()> {
    let mut packet = ff::Packet::empty();
    loop {
        match enc.encoder.receive_packet(&mut packet) {
            Ok(()) => {
                if packet.duration() <= 0 {
                    packet.set_duration(1);
                }
                packet.set_stream(0);
                packet.rescale_ts(enc.enc_tb, enc.stream_tb);
                packet
                    .write_interleaved(&mut enc.octx)
                    .map_err(|e| enc_err("muxing failed", e))?;
            }
            Err(ff::Error::Eof) => return Ok(()),
            Err(ff::Error::Other { errno }) if errno == ff::ffi::EAGAIN => return Ok(()),
            Err(e) => return Err(enc_err("encoding failed", e)),
        }
    }
}

impl Plugin for Writer {
    fn read(&mut self, _index: imageio_core::Index) -> Result<imageio_core::NdArray> {
        Err(Error::invalid_argument(
            "the resource was opened for writing",
        ))
    }
    fn properties(&mut self, _index: imageio_core::Index) -> Result<imageio_core::ImageProperties> {
        Err(Error::invalid_argument(
            "the resource was opened for writing",
        ))
    }
    fn metadata(&mut self, _index: imageio_core::Index, _: bool) -> Result<imageio_core::Metadata> {
        Err(Error::invalid_argument(
            "the resource was opened for writing",
        ))
    }

    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        if self.closed {
            return Err(Error::invalid_argument("the writer is closed"));
        }
        if !matches!(image.dtype(), DType::U8 | DType::U16) {
            return Err(Error::invalid_argument(format!(
                "video frames must be uint8 or uint16, got {} (convert first)",
                image.dtype()
            )));
        }
        let nd = image.ndim();
        let batch = match is_batch {
            Some(b) => b,
            // (N, H, W, C) is a batch; (H, W, C) with C in 1..=4 is one colour frame; other 3-D
            // arrays are batches of gray frames; (H, W) is one gray frame.
            None => nd == 4 || (nd == 3 && !(1..=4).contains(&image.shape()[2])),
        };
        if batch {
            if !(3..=4).contains(&nd) {
                return Err(Error::invalid_argument(format!(
                    "a batch must be (N, H, W) or (N, H, W, C), got {:?}",
                    image.shape()
                )));
            }
            for i in 0..image.shape()[0] {
                self.write_frame(image.index_axis0(i))?;
            }
            Ok(())
        } else {
            self.write_frame(image)
        }
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let Some(mut enc) = self.enc.take() else {
            return Err(Error::invalid_argument(
                "no frame was written: a video needs at least one frame",
            ));
        };
        enc.encoder
            .send_eof()
            .map_err(|e| enc_err("encoder flush", e))?;
        drain(&mut enc)?;
        enc.octx
            .write_trailer()
            .map_err(|e| enc_err("cannot finish the container", e))?;
        Ok(())
    }
}
