//! Reading: demuxing, exact frame access, streaming iteration, properties and metadata.

use std::io::{Read, Seek, SeekFrom};

use ff::format::Pixel;
use ffmpeg_next as ff;

use imageio_core::{
    DType, Error, ImageProperties, Index, Limits, Metadata, NdArray, Plugin, Request, Result,
    Source, Value,
};

use crate::ffi::{self, InputFrom, ReadAvio};

/// The output layout of decoded frames.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OutFormat {
    pub pixel: Pixel,
    pub name: &'static str,
    pub channels: usize,
    pub dtype: DType,
}

impl OutFormat {
    fn frame_shape(&self, h: usize, w: usize) -> Vec<usize> {
        if self.channels == 1 {
            vec![h, w]
        } else {
            vec![h, w, self.channels]
        }
    }
}

/// Parses the `format` option: a packed FFmpeg pixel format (one array per frame).
pub(crate) fn parse_out_format(name: &str) -> Result<OutFormat> {
    let alias = match name {
        "gray16" => "gray16le",
        "rgb48" => "rgb48le",
        "rgba64" => "rgba64le",
        "bgr48" => "bgr48le",
        "bgra64" => "bgra64le",
        other => other,
    };
    let pixel: Pixel = alias.parse().map_err(|_| {
        Error::invalid_argument(format!("`format`: `{name}` is not an FFmpeg pixel format"))
    })?;
    let d = ffi::pix_desc(pixel)
        .ok_or_else(|| Error::invalid_argument(format!("`format`: no descriptor for `{name}`")))?;
    let unpackable = |why: &str| {
        Err(Error::invalid_argument(format!(
            "`format`: `{name}` {why} and cannot be returned as one array; use rgb24, rgba, gray, gray16 or rgb48"
        )))
    };
    if d.nb_components == 0 || d.hwaccel || d.bitstream || d.palette {
        return unpackable("has no plain pixel components");
    }
    if d.planar && d.nb_components > 1 {
        return unpackable("is planar");
    }
    if d.subsampled {
        return unpackable("has subsampled chroma");
    }
    if d.float {
        return unpackable("holds floats");
    }
    if d.big_endian && d.max_depth > 8 {
        return unpackable("is big-endian");
    }
    let (dtype, size) = if d.max_depth <= 8 {
        (DType::U8, 8)
    } else {
        (DType::U16, 16)
    };
    if d.bits_per_pixel <= 0 || d.bits_per_pixel % size != 0 {
        return unpackable("packs components into bit fields");
    }
    let channels = (d.bits_per_pixel / size) as usize;
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    Ok(OutFormat {
        pixel,
        name,
        channels,
        dtype,
    })
}

/// Parsed read options.
#[derive(Clone, Debug)]
pub(crate) struct ReadOpts {
    pub format: OutFormat,
    pub thread_count: i32,
    pub thread_frame: bool,
    pub thread_slice: bool,
    pub filter: Option<String>,
    pub size: Option<(u32, u32)>,
    pub rotate: bool,
    pub constant_framerate: Option<bool>,
    pub fps: Option<f64>,
}

fn parse_size(v: &Value) -> Result<(u32, u32)> {
    let bad = || Error::invalid_argument(format!("`size` must be \"WxH\" or [W, H], got {v:?}"));
    let (w, h) = match v {
        Value::Str(s) => {
            let (w, h) = s.split_once(['x', 'X', ':']).ok_or_else(bad)?;
            (
                w.trim().parse::<i64>().map_err(|_| bad())?,
                h.trim().parse::<i64>().map_err(|_| bad())?,
            )
        }
        Value::List(l) if l.len() == 2 => (
            l[0].as_int().ok_or_else(bad)?,
            l[1].as_int().ok_or_else(bad)?,
        ),
        _ => return Err(bad()),
    };
    if !(1..=1 << 16).contains(&w) || !(1..=1 << 16).contains(&h) {
        return Err(bad());
    }
    Ok((w as u32, h as u32))
}

impl ReadOpts {
    pub(crate) fn from_request(req: &Request<'_>) -> Result<Self> {
        let o = &req.options;
        let format = parse_out_format(o.get_str("format").unwrap_or("rgb24"))?;
        let (thread_frame, thread_slice) = match o
            .get_str("thread_type")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") | Some("frame+slice") | Some("both") => (true, true),
            Some("frame") => (true, false),
            Some("slice") => (false, true),
            Some("none") => (false, false),
            Some(t) => {
                return Err(Error::invalid_argument(format!(
                    "`thread_type` must be frame, slice, frame+slice or none, got `{t}`"
                )));
            }
        };
        let thread_count = o.get_int("thread_count").unwrap_or(0);
        if !(0..=1024).contains(&thread_count) {
            return Err(Error::invalid_argument(
                "`thread_count` must be 0 (auto) to 1024",
            ));
        }
        let size = o.get("size").map(parse_size).transpose()?;
        let fps = o.get_float("fps");
        if let Some(f) = fps {
            if !(f.is_finite() && f > 0.0) {
                return Err(Error::invalid_argument("`fps` must be a positive number"));
            }
        }
        Ok(ReadOpts {
            format,
            thread_count: thread_count as i32,
            thread_frame,
            thread_slice,
            filter: o
                .get_str("filter")
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty()),
            size,
            rotate: o.get_bool("rotate").unwrap_or(false),
            constant_framerate: o.get_bool("constant_framerate"),
            fps,
        })
    }

    /// True when output frames are not 1:1 with decoded frames (or depend on history).
    fn stateful_filter(&self) -> bool {
        self.filter.is_some() || self.fps.is_some()
    }
}

/// Where the data comes from (reopened for every decoding pass).
enum Origin<'a> {
    Path(String),
    Stream(Source<'a>),
    #[cfg_attr(not(feature = "device"), allow(dead_code))]
    Device {
        url: String,
        name: String,
    },
}

/// One open demuxer + decoder + conversion graph, decoding forward.
struct Decoding<'a> {
    // Field order is drop order: the graph and decoder before the input, the input before the
    // custom AVIO context it reads through.
    graph: Option<Graph>,
    decoder: ff::decoder::Video,
    input: ff::format::context::Input,
    avio: Option<ReadAvio<'a>>,
    stream: usize,
    /// Index (in output frames) of the next frame `next_output` returns.
    next_index: usize,
    eof_sent: bool,
    flushed_graph: bool,
    decode_errors: usize,
    /// A packet read ahead (while verifying a rewind); decoded before reading more.
    pending: Option<ff::Packet>,
    /// The stream's first packet, recorded when read from the start (to verify rewinds).
    first_packet: Option<PacketId>,
    /// No packet of the stream has been read since opening or rewinding.
    at_start: bool,
    /// A packet pass ran over this demuxer: its position says nothing about `next_index`, so
    /// decoding must seek (or rewind) first.
    lost: bool,
    /// The direct scaler (see `Reader::put_frame`) and the frame kinds it failed to match.
    scaler: Option<ffi::Scaler>,
    rejected: Vec<ffi::ScaleKey>,
    /// While seeking to a frame: packets presenting before this timestamp are decoded with
    /// `skip_frame=nonref` (frames no other frame references are not needed).
    skip_before: Option<i64>,
}

/// What identifies a packet well enough to check that a rewind landed on the first one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PacketId {
    pos: isize,
    pts: Option<i64>,
    dts: Option<i64>,
    size: usize,
}

impl PacketId {
    fn of(p: &ff::Packet) -> Self {
        PacketId {
            pos: p.position(),
            pts: p.pts(),
            dts: p.dts(),
            size: p.size(),
        }
    }
}

struct Graph {
    graph: ff::filter::Graph,
    key: (u32, u32, Pixel),
}

/// Static facts found at open.
#[derive(Clone, Debug)]
struct Info {
    width: u32,
    height: u32,
    time_base: ff::Rational,
    start_time: Option<i64>,
    rotation: i32,
    metadata: Metadata,
}

/// The result of counting packets once.
#[derive(Clone, Debug)]
struct Scan {
    /// Presentation timestamps of every frame, sorted (None when some packet has none).
    pts: Option<Vec<i64>>,
    /// Presentation timestamps of the keyframes, sorted.
    key_pts: Vec<i64>,
    count: usize,
}

pub(crate) struct Reader<'a> {
    origin: Origin<'a>,
    ext: Option<String>,
    opts: ReadOpts,
    limits: Limits,
    info: Info,
    dec: Option<Decoding<'a>>,
    scan: Option<Scan>,
    /// The frame count (without stateful filters), from the sample table or a packet pass.
    count: Option<usize>,
    /// Frames counted through the filter graph (with stateful filters).
    filtered_count: Option<usize>,
    /// Output shape when a filter is set (found by decoding the first frame).
    filtered_shape: Option<(usize, usize)>,
}

fn dec_err(what: &str, e: ff::Error) -> Error {
    Error::decoding(format!("{what}: {e}"))
}

impl<'a> Reader<'a> {
    pub(crate) fn open(req: &Request<'a>) -> Result<Self> {
        ffi::quiet_logs();
        let opts = ReadOpts::from_request(req)?;
        let src = req.source()?;
        let origin = if let Some(dev) = src.device() {
            device_origin(dev)?
        } else if let Some(p) = src.path() {
            match p.to_str() {
                Some(s) if !s.contains('\0') => Origin::Path(s.to_owned()),
                _ => Origin::Stream(src.clone()),
            }
        } else {
            if src.is_empty()? {
                return Err(Error::unsupported("no data"));
            }
            Origin::Stream(src.clone())
        };
        let mut r = Reader {
            origin,
            ext: req.extension().map(str::to_owned),
            opts,
            limits: req.limits,
            info: Info {
                width: 0,
                height: 0,
                time_base: ff::Rational(1, 1),
                start_time: None,
                rotation: 0,
                metadata: Metadata::new(),
            },
            dec: None,
            scan: None,
            count: None,
            filtered_count: None,
            filtered_shape: None,
        };
        let dec = r.open_decoding(true)?;
        r.dec = Some(dec);
        Ok(r)
    }

    fn open_input(&self) -> Result<(ff::format::context::Input, Option<ReadAvio<'a>>)> {
        match &self.origin {
            Origin::Path(p) => {
                let input = ffi::open_input(InputFrom::Url(p), None, ff::Dictionary::new())
                    .map_err(|e| open_error(e, None))?;
                Ok((input, None))
            }
            Origin::Stream(src) => {
                let mut avio = ReadAvio::new(Box::new(src.reader()?))?;
                let hint = self.ext.as_ref().map(|e| format!("stream{e}"));
                let input = ffi::open_input(
                    InputFrom::Avio(&mut avio, hint.as_deref()),
                    None,
                    ff::Dictionary::new(),
                )
                .map_err(|e| open_error(e, avio.failure()))?;
                Ok((input, Some(avio)))
            }
            Origin::Device { url, name } => {
                #[cfg(feature = "device")]
                {
                    Ok((open_device(url, name)?, None))
                }
                #[cfg(not(feature = "device"))]
                {
                    let _ = (url, name);
                    unreachable!("device origins are refused at open without the `device` feature")
                }
            }
        }
    }

    /// Opens a fresh demuxer and decoder positioned at the start. `first`: fill `self.info`.
    fn open_decoding(&mut self, first: bool) -> Result<Decoding<'a>> {
        let (input, avio) = self.open_input()?;
        let stream = input
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| Error::unsupported("the file has no video stream"))?;
        let stream_index = stream.index();
        let mut ctx = ff::codec::Context::from_parameters(stream.parameters())
            .map_err(|e| dec_err("codec parameters", e))?;
        ffi::set_threads(
            &mut ctx,
            self.opts.thread_count,
            self.opts.thread_frame,
            self.opts.thread_slice,
        );
        let decoder = ctx.decoder().video().map_err(|e| {
            Error::decoding(format!(
                "no decoder for codec `{}`: {e}",
                stream.parameters().id().name()
            ))
        })?;
        if first {
            self.info = collect_info(&input, &stream, &decoder)?;
            if self.info.width == 0 || self.info.height == 0 {
                return Err(Error::decoding("the video stream has no frame size"));
            }
            self.limits
                .check_pixels(self.info.width as u64, self.info.height as u64)?;
        }
        Ok(Decoding {
            graph: None,
            decoder,
            input,
            avio,
            stream: stream_index,
            next_index: 0,
            eof_sent: false,
            flushed_graph: false,
            decode_errors: 0,
            pending: None,
            first_packet: None,
            at_start: true,
            lost: false,
            scaler: None,
            rejected: Vec::new(),
            skip_before: None,
        })
    }

    fn is_device(&self) -> bool {
        matches!(self.origin, Origin::Device { .. })
    }

    /// A decoder positioned at the start of the stream: the current one when nothing was read
    /// yet, else the current one rewound (seek + check that the first packet comes again), else
    /// a freshly opened one.
    fn decoding_at_start(&mut self) -> Result<Decoding<'a>> {
        if let Some(mut dec) = self.dec.take() {
            if dec.at_start && !dec.lost && dec.next_index == 0 {
                return Ok(dec);
            }
            if Self::rewind(&mut dec) {
                return Ok(dec);
            }
        }
        self.open_decoding(false)
    }

    /// Seeks the open demuxer back to the stream's first packet and resets the decoder. True
    /// when the first packet read after the seek is the one first read after opening (position,
    /// timestamps and size), which makes the rewind equivalent to reopening; it is kept pending.
    fn rewind(dec: &mut Decoding<'a>) -> bool {
        let Some(first) = dec.first_packet else {
            return false;
        };
        let ts = match (first.pts, first.dts) {
            (Some(p), Some(d)) => p.min(d),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => return false,
        };
        if ffi::seek_backward(&mut dec.input, dec.stream, ts).is_err() {
            return false;
        }
        dec.decoder.flush();
        dec.graph = None;
        dec.eof_sent = false;
        dec.flushed_graph = false;
        dec.decode_errors = 0;
        dec.pending = None;
        dec.next_index = 0;
        dec.lost = true;
        dec.at_start = false;
        let mut packet = ff::Packet::empty();
        loop {
            match packet.read(&mut dec.input) {
                Ok(()) if packet.stream() != dec.stream => continue,
                Ok(()) => break,
                Err(_) => return false,
            }
        }
        if PacketId::of(&packet) != first {
            return false;
        }
        dec.pending = Some(packet);
        dec.lost = false;
        dec.at_start = true;
        true
    }

    /// The timestamps of every packet of the video stream, found by demuxing the whole file once
    /// *without decoding*, on the open demuxer (afterwards it is `lost`: the next decode seeks
    /// or rewinds). Packets the demuxer marks as discarded (edit lists) do not count.
    fn scan(&mut self) -> Result<&Scan> {
        if self.scan.is_none() {
            if self.is_device() {
                return Err(Error::invalid_argument(
                    "a capture device has no frame count: iterate over it",
                ));
            }
            let mut dec = self.decoding_at_start()?;
            let stream = dec.stream;
            let mut pts = Vec::new();
            let mut all_pts = true;
            let mut key_pts = Vec::new();
            let mut count = 0usize;
            let mut take = |packet: &ff::Packet| {
                if packet.stream() != stream || ffi::packet_discarded(packet) {
                    return;
                }
                count += 1;
                match packet.pts() {
                    Some(p) => {
                        pts.push(p);
                        if packet.is_key() {
                            key_pts.push(p);
                        }
                    }
                    None => all_pts = false,
                }
            };
            if let Some(p) = dec.pending.take() {
                take(&p);
            }
            let mut packet = ff::Packet::empty();
            let mut failure = None;
            loop {
                match packet.read(&mut dec.input) {
                    Ok(()) => {}
                    Err(ff::Error::Eof) => break,
                    Err(_) => {
                        // A damaged tail: count what could be read (the decoder stops there too),
                        // unless the reader itself failed.
                        failure = dec.avio.as_ref().and_then(|a| a.failure());
                        break;
                    }
                }
                if dec.first_packet.is_none() && dec.at_start && packet.stream() == stream {
                    dec.first_packet = Some(PacketId::of(&packet));
                }
                take(&packet);
            }
            dec.lost = true;
            dec.at_start = false;
            self.dec = Some(dec);
            if let Some(f) = failure {
                return Err(Error::decoding(f));
            }
            pts.sort_unstable();
            key_pts.sort_unstable();
            let unique = pts.windows(2).all(|w| w[0] < w[1]);
            let use_pts = all_pts && unique && self.opts.constant_framerate != Some(false);
            self.scan = Some(Scan {
                pts: use_pts.then_some(pts),
                key_pts,
                count,
            });
        }
        Ok(self.scan.as_ref().expect("set above"))
    }

    /// The frame count from an mp4/mov sample table, when it can be trusted without reading
    /// packets (the rules are in the crate docs), else None.
    fn sample_table_count(&mut self) -> Result<Option<usize>> {
        if self.dec.is_none() {
            self.dec = Some(self.open_decoding(false)?);
        }
        let dec = self.dec.as_mut().expect("set above");
        if !dec.input.format().name().split(',').any(|n| n == "mov") {
            return Ok(None);
        }
        let nb_frames = dec.input.stream(dec.stream).map_or(0, |s| s.frames());
        let idx = ffi::index_summary(&dec.input, dec.stream);
        if nb_frames <= 0 || idx.entries as i64 != nb_frames {
            return Ok(None);
        }
        match ffi::input_size(&mut dec.input) {
            Some(size) if idx.data_end <= size => {}
            _ => return Ok(None),
        }
        if self.mp4_fragmented() != Some(false) {
            return Ok(None);
        }
        Ok(Some(idx.entries - idx.discarded))
    }

    /// Whether the file has top-level `moof` boxes (fragments after the `moov` sample table);
    /// None when the box structure cannot be walked.
    fn mp4_fragmented(&self) -> Option<bool> {
        match &self.origin {
            Origin::Path(p) => {
                let mut f = std::io::BufReader::new(std::fs::File::open(p).ok()?);
                has_top_level_box(&mut f, *b"moof")
            }
            Origin::Stream(src) => {
                let mut r = src.reader().ok()?;
                has_top_level_box(&mut r, *b"moof")
            }
            Origin::Device { .. } => None,
        }
    }

    /// The frame count without stateful filters: the mp4/mov sample table when trusted, else a
    /// packet pass.
    fn base_count(&mut self) -> Result<usize> {
        if let Some(n) = self.count {
            return Ok(n);
        }
        if self.is_device() {
            return Err(Error::invalid_argument(
                "a capture device has no frame count: iterate over it",
            ));
        }
        let n = match self.sample_table_count()? {
            Some(n) => n,
            None => self.scan()?.count,
        };
        self.count = Some(n);
        Ok(n)
    }

    /// The number of frames `read(Index::All)` returns.
    fn frame_count(&mut self) -> Result<usize> {
        if self.opts.stateful_filter() {
            if let Some(n) = self.filtered_count {
                return Ok(n);
            }
            // Run the whole pipeline once, without keeping pixels.
            let mut dec = self.open_decoding(false)?;
            let mut n = 0;
            while self.next_output(&mut dec)?.is_some() {
                n += 1;
            }
            self.filtered_count = Some(n);
            return Ok(n);
        }
        self.base_count()
    }

    /// Output (height, width) of one frame.
    fn frame_hw(&mut self) -> Result<(usize, usize)> {
        if self.opts.stateful_filter() {
            if let Some(s) = self.filtered_shape {
                return Ok(s);
            }
            let mut dec = self.open_decoding(false)?;
            let f = self
                .next_output(&mut dec)?
                .ok_or_else(|| Error::decoding("the filter graph returned no frame"))?;
            let s = (f.height() as usize, f.width() as usize);
            self.filtered_shape = Some(s);
            return Ok(s);
        }
        let (mut w, mut h) = (self.info.width, self.info.height);
        if self.opts.rotate && self.info.rotation % 180 != 0 {
            std::mem::swap(&mut w, &mut h);
        }
        if let Some((sw, sh)) = self.opts.size {
            (w, h) = (sw, sh);
        }
        Ok((h as usize, w as usize))
    }

    /// The filter chain: rotation, the user's filter, fps, size, then the output format.
    fn filter_spec(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.opts.rotate {
            match self.info.rotation {
                90 => parts.push("transpose=clock".into()),
                180 => parts.push("hflip,vflip".into()),
                270 => parts.push("transpose=cclock".into()),
                _ => {}
            }
        }
        if let Some(f) = &self.opts.filter {
            parts.push(f.clone());
        }
        if let Some(fps) = self.opts.fps {
            parts.push(format!("fps={fps}"));
        }
        if let Some((w, h)) = self.opts.size {
            parts.push(format!("scale={w}:{h}"));
        }
        parts.push(format!(
            "format=pix_fmts={}",
            pixel_name(self.opts.format.pixel)
        ));
        parts.join(",")
    }

    fn build_graph(&self, dec: &Decoding<'a>, frame: &ff::frame::Video) -> Result<Graph> {
        let stream = dec
            .input
            .stream(dec.stream)
            .ok_or_else(|| Error::decoding("stream vanished"))?;
        let tb = stream.time_base();
        let sar = frame.aspect_ratio();
        let sar = if sar.numerator() <= 0 || sar.denominator() <= 0 {
            ff::Rational(1, 1)
        } else {
            sar
        };
        let args = format!(
            "video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}",
            frame.width(),
            frame.height(),
            ff::ffi::AVPixelFormat::from(frame.format()) as i32,
            tb.numerator().max(1),
            tb.denominator().max(1),
            sar.numerator(),
            sar.denominator()
        );
        let mut graph = ff::filter::Graph::new();
        // The same scaler flags as the ffmpeg command line (its default `-sws_flags bicubic`),
        // so that conversions agree bit for bit.
        ffi::set_graph_sws_opts(&mut graph, "flags=bicubic")?;
        let buffer = ff::filter::find("buffer")
            .ok_or_else(|| Error::decoding("FFmpeg lacks the buffer filter"))?;
        let sink = ff::filter::find("buffersink")
            .ok_or_else(|| Error::decoding("FFmpeg lacks buffersink"))?;
        graph
            .add(&buffer, "in", &args)
            .map_err(|e| dec_err("filter source", e))?;
        graph
            .add(&sink, "out", "")
            .map_err(|e| dec_err("filter sink", e))?;
        let spec = self.filter_spec();
        graph
            .output("in", 0)
            .and_then(|p| p.input("out", 0))
            .and_then(|p| p.parse(&spec))
            .map_err(|e| Error::invalid_argument(format!("filter graph `{spec}`: {e}")))?;
        graph
            .validate()
            .map_err(|e| Error::invalid_argument(format!("filter graph `{spec}`: {e}")))?;
        Ok(Graph {
            graph,
            key: (frame.width(), frame.height(), frame.format()),
        })
    }

    /// The next decoded (unconverted) frame, or None at the end.
    fn next_decoded(dec: &mut Decoding<'a>) -> Result<Option<ff::frame::Video>> {
        let mut frame = ff::frame::Video::empty();
        loop {
            match dec.decoder.receive_frame(&mut frame) {
                Ok(()) => return Ok(Some(frame)),
                Err(ff::Error::Eof) => return Ok(None),
                Err(ff::Error::Other { errno }) if errno == ff::ffi::EAGAIN => {}
                Err(e) => return Err(dec_err("decoding failed", e)),
            }
            if dec.eof_sent {
                return Ok(None);
            }
            if let Some(packet) = dec.pending.take() {
                dec.at_start = false;
                Self::send(dec, &packet)?;
                continue;
            }
            let mut packet = ff::Packet::empty();
            loop {
                match packet.read(&mut dec.input) {
                    Ok(()) => {
                        if packet.stream() != dec.stream {
                            continue;
                        }
                        if dec.at_start {
                            dec.at_start = false;
                            if dec.first_packet.is_none() {
                                dec.first_packet = Some(PacketId::of(&packet));
                            }
                        }
                        Self::send(dec, &packet)?;
                        break;
                    }
                    Err(e) => {
                        if let Some(f) = dec.avio.as_ref().and_then(|a| a.failure()) {
                            return Err(Error::decoding(f));
                        }
                        if e != ff::Error::Eof {
                            dec.decode_errors += 1;
                        }
                        dec.decoder
                            .send_eof()
                            .map_err(|e| dec_err("decoder flush", e))?;
                        dec.eof_sent = true;
                        break;
                    }
                }
            }
        }
    }

    /// Sends one packet of our stream to the decoder (with [`Self::set_skip`] applied); packets
    /// the decoder rejects as invalid are counted, not fatal.
    fn send(dec: &mut Decoding<'a>, packet: &ff::Packet) -> Result<()> {
        Self::set_skip(dec, packet);
        match dec.decoder.send_packet(packet) {
            Ok(()) => Ok(()),
            Err(ff::Error::InvalidData) => {
                dec.decode_errors += 1;
                Ok(())
            }
            Err(e) => Err(dec_err("decoding failed", e)),
        }
    }

    /// While seeking: lets the decoder skip non-reference frames that present before the
    /// target. A frame that no other frame references cannot change any other frame, so the
    /// target and everything after it decode exactly as without skipping; packets without a
    /// timestamp, and every packet from the target on, are decoded normally.
    fn set_skip(dec: &mut Decoding<'a>, packet: &ff::Packet) {
        if let Some(t) = dec.skip_before {
            let skip = packet.pts().is_some_and(|p| p < t) && !packet.is_key();
            dec.decoder.skip_frame(if skip {
                ff::codec::discard::Discard::NonReference
            } else {
                ff::codec::discard::Discard::Default
            });
        }
    }

    /// Ends [`Self::set_skip`]'s skipping.
    fn end_skip(dec: &mut Decoding<'a>) {
        if dec.skip_before.take().is_some() {
            dec.decoder.skip_frame(ff::codec::discard::Discard::Default);
        }
    }

    /// The next converted frame (after the filter chain), or None at the end.
    fn next_output(&self, dec: &mut Decoding<'a>) -> Result<Option<ff::frame::Video>> {
        loop {
            if let Some(g) = dec.graph.as_mut() {
                let mut out = ff::frame::Video::empty();
                let mut sink = g
                    .graph
                    .get("out")
                    .ok_or_else(|| Error::decoding("filter sink vanished"))?;
                match sink.sink().frame(&mut out) {
                    Ok(()) => {
                        dec.next_index += 1;
                        return Ok(Some(out));
                    }
                    Err(ff::Error::Eof) => return Ok(None),
                    Err(ff::Error::Other { errno }) if errno == ff::ffi::EAGAIN => {}
                    Err(e) => return Err(dec_err("filter graph", e)),
                }
            }
            match Self::next_decoded(dec)? {
                Some(frame) => {
                    let key = (frame.width(), frame.height(), frame.format());
                    if dec.graph.as_ref().map(|g| g.key) != Some(key) {
                        // Frame size or format changed: flush nothing, start a new graph
                        // (stateless conversions lose nothing).
                        dec.graph = Some(self.build_graph(dec, &frame)?);
                        dec.flushed_graph = false;
                    }
                    let g = dec.graph.as_mut().expect("built above");
                    let mut src = g
                        .graph
                        .get("in")
                        .ok_or_else(|| Error::decoding("filter source vanished"))?;
                    src.source()
                        .add(&frame)
                        .map_err(|e| dec_err("filter graph", e))?;
                }
                None => {
                    if dec.decode_errors > 0 && dec.next_index == 0 {
                        return Err(Error::decoding(
                            "no frame could be decoded (the data is damaged)",
                        ));
                    }
                    match dec.graph.as_mut() {
                        Some(g) if !dec.flushed_graph => {
                            dec.flushed_graph = true;
                            let mut src = g
                                .graph
                                .get("in")
                                .ok_or_else(|| Error::decoding("filter source vanished"))?;
                            src.source()
                                .flush()
                                .map_err(|e| dec_err("filter flush", e))?;
                        }
                        _ => return Ok(None),
                    }
                }
            }
        }
    }

    /// The index of the frame the open decoder returns next (None when unknown).
    fn position(&self) -> Option<usize> {
        self.dec.as_ref().filter(|d| !d.lost).map(|d| d.next_index)
    }

    /// Positions the decoder so that the next output frame is frame `n`; returns it.
    fn frame_at(&mut self, n: usize) -> Result<ff::frame::Video> {
        let seekable = !self.opts.stateful_filter() && !self.is_device();
        if self.position() == Some(n) {
            return self.next_checked(n);
        }
        if !seekable {
            if self.position().is_none_or(|c| c > n) {
                self.restart()?;
            }
            return self.skip_to(n);
        }
        let count = self.base_count()?;
        if n >= count {
            return Err(Error::index_out_of_range(n, Some(count)));
        }
        // A cheap forward step (no keyframe between here and the target) when the timestamps
        // are known already; the packet pass that finds them moves the demuxer, so a first
        // random access always seeks.
        let before = self.position();
        let scan = self.scan()?.clone();
        let pts = match scan.pts {
            Some(p) if p.len() == count => p,
            _ => {
                // No usable timestamps: decode forward from the start (exact, slower).
                if self.position().is_none_or(|c| c > n) {
                    self.restart()?;
                }
                return self.skip_to(n);
            }
        };
        let target = pts[n];
        if let Some(c) = self
            .position()
            .filter(|&c| c > 0 && c < n && before == Some(c))
        {
            let last_out = pts[c - 1];
            let key_before_target = scan.key_pts.iter().rev().find(|&&k| k <= target).copied();
            if key_before_target.is_none_or(|k| k <= last_out) {
                return self.skip_to(n);
            }
        }
        // Seek to the keyframe before the target and decode forward, dropping earlier frames
        // without converting them (the conversion chain is stateless here).
        let mut dec = match self.dec.take() {
            Some(d) => d,
            None => self.open_decoding(false)?,
        };
        let seek_ok = ffi::seek_backward(&mut dec.input, dec.stream, target).is_ok();
        dec.decoder.flush();
        dec.graph = None;
        dec.eof_sent = false;
        dec.flushed_graph = false;
        dec.pending = None;
        dec.at_start = false;
        dec.lost = true;
        if seek_ok {
            dec.skip_before = Some(target);
            loop {
                let frame = match Self::next_decoded(&mut dec) {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => {
                        Self::end_skip(&mut dec);
                        self.dec = Some(dec);
                        return Err(e);
                    }
                };
                match frame.pts().or_else(|| frame.timestamp()) {
                    Some(p) if p < target => continue,
                    Some(p) if p == target => {
                        Self::end_skip(&mut dec);
                        let out = self.convert(&mut dec, &frame);
                        if out.is_ok() {
                            dec.next_index = n + 1;
                            dec.lost = false;
                        }
                        self.dec = Some(dec);
                        return out;
                    }
                    _ => break,
                }
            }
        }
        // The seek landed after the target or timestamps disagree: decode from the start.
        Self::end_skip(&mut dec);
        self.dec = Some(dec);
        self.restart()?;
        self.skip_to(n)
    }

    /// Converts one decoded frame through the (stateless) conversion chain.
    fn convert(
        &self,
        dec: &mut Decoding<'a>,
        frame: &ff::frame::Video,
    ) -> Result<ff::frame::Video> {
        let key = (frame.width(), frame.height(), frame.format());
        if dec.graph.as_ref().map(|g| g.key) != Some(key) {
            dec.graph = Some(self.build_graph(dec, frame)?);
            dec.flushed_graph = false;
        }
        let g = dec.graph.as_mut().expect("built above");
        g.graph
            .get("in")
            .ok_or_else(|| Error::decoding("filter source vanished"))?
            .source()
            .add(frame)
            .map_err(|e| dec_err("filter graph", e))?;
        let mut out = ff::frame::Video::empty();
        g.graph
            .get("out")
            .ok_or_else(|| Error::decoding("filter sink vanished"))?
            .sink()
            .frame(&mut out)
            .map_err(|e| dec_err("filter graph", e))?;
        Ok(out)
    }

    /// Puts the decoder at the start of the stream (rewinding the open demuxer when that is
    /// verifiably equivalent to reopening, else reopening).
    fn restart(&mut self) -> Result<()> {
        let dec = self.decoding_at_start()?;
        self.dec = Some(dec);
        Ok(())
    }

    /// The decoding state, restarted first when the position is unknown; put it back in
    /// `self.dec` when done.
    fn take_decoding(&mut self) -> Result<Decoding<'a>> {
        if self.position().is_none() {
            self.restart()?;
        }
        self.dec
            .take()
            .ok_or_else(|| Error::decoding("decoder closed"))
    }

    /// Decodes forward (from the current, known position) to frame `n` and returns it. Without
    /// stateful filters, frames before `n` are decoded but not converted.
    fn skip_to(&mut self, n: usize) -> Result<ff::frame::Video> {
        let mut dec = self.take_decoding()?;
        let stateless = !self.opts.stateful_filter();
        let r = loop {
            let at = dec.next_index;
            if at == n {
                break match self.next_output(&mut dec) {
                    Ok(Some(f)) => Ok(f),
                    Ok(None) => Err(Error::index_out_of_range(n, Some(at))),
                    Err(e) => Err(e),
                };
            }
            let step = if stateless {
                Self::next_decoded(&mut dec).map(|f| {
                    f.map(|_| {
                        dec.next_index += 1;
                    })
                })
            } else {
                self.next_output(&mut dec).map(|f| f.map(|_| ()))
            };
            match step {
                Ok(Some(())) => {}
                Ok(None) => break Err(Error::index_out_of_range(n, Some(at))),
                Err(e) => break Err(e),
            }
        };
        self.dec = Some(dec);
        r
    }

    fn next_checked(&mut self, n: usize) -> Result<ff::frame::Video> {
        let mut dec = self.take_decoding()?;
        let r = self.next_output(&mut dec);
        let at = dec.next_index;
        self.dec = Some(dec);
        match r? {
            Some(f) => Ok(f),
            None => Err(Error::index_out_of_range(n, Some(at))),
        }
    }

    fn check_frame(&self, f: &ff::frame::Video) -> Result<(usize, usize)> {
        let (w, h) = (f.width() as usize, f.height() as usize);
        self.limits.check_pixels(w as u64, h as u64)?;
        if f.format() != self.opts.format.pixel {
            return Err(Error::decoding(format!(
                "the filter graph returned {:?} instead of {}",
                f.format(),
                self.opts.format.name
            )));
        }
        Ok((h, w))
    }

    /// Copies the pixels of a converted frame into `out` (one frame, C order, packed rows).
    fn copy_pixels(&self, f: &ff::frame::Video, out: Slot<'_>) -> Result<()> {
        let (h, w) = self.check_frame(f)?;
        let fmt = self.opts.format;
        let row = w * fmt.channels * fmt.dtype.size();
        let stride = f.stride(0);
        let data = f.data(0);
        if stride < row || data.len() < stride * (h - 1) + row || out.byte_len() != row * h {
            return Err(Error::decoding(
                "converted frame is smaller than its size says",
            ));
        }
        match out {
            Slot::U8(v) => {
                for (y, dst) in v.chunks_exact_mut(row).enumerate() {
                    dst.copy_from_slice(&data[y * stride..y * stride + row]);
                }
            }
            Slot::U16(v) => {
                for (y, dst) in v.chunks_exact_mut(row / 2).enumerate() {
                    for (d, c) in dst
                        .iter_mut()
                        .zip(data[y * stride..y * stride + row].chunks_exact(2))
                    {
                        *d = u16::from_le_bytes([c[0], c[1]]);
                    }
                }
            }
        }
        Ok(())
    }

    /// True when decoded frames may skip the filter graph: no filter, resize or rotation, only
    /// the conversion to the output format, which a direct scaler then writes straight into
    /// the output array (once it matched the graph's output, see [`Self::put_frame`]).
    fn direct_eligible(&self) -> bool {
        !self.opts.stateful_filter()
            && self.opts.size.is_none()
            && !(self.opts.rotate && matches!(self.info.rotation, 90 | 180 | 270))
            && (self.opts.format.dtype == DType::U8 || cfg!(target_endian = "little"))
    }

    /// Converts a *decoded* frame into `out`. The first frame of every (size, format, colour
    /// matrix, range) goes through both a direct libswscale context and the filter graph; the
    /// direct scaler is kept only if both agree byte for byte, so the output always equals the
    /// graph's (and the `ffmpeg` CLI's), and afterwards frames are converted in place, without
    /// an intermediate frame and copy.
    fn put_frame(
        &self,
        dec: &mut Decoding<'a>,
        frame: ff::frame::Video,
        mut out: Slot<'_>,
    ) -> Result<()> {
        let fmt = self.opts.format;
        let row = frame.width() as usize * fmt.channels * fmt.dtype.size();
        let key = ffi::ScaleKey::of(&frame, fmt.pixel);
        if dec.rejected.contains(&key) {
            let g = self.convert(dec, &frame)?;
            return self.copy_pixels(&g, out);
        }
        if let Some(sc) = dec.scaler.as_mut().filter(|s| s.key == key) {
            return sc.scale_into(&frame, out.bytes_mut(), row);
        }
        let direct = ffi::Scaler::new(&frame, fmt.pixel).and_then(|mut sc| {
            sc.scale_into(&frame, out.bytes_mut(), row)?;
            Ok(sc)
        });
        let g = self.convert(dec, &frame)?;
        match direct {
            Ok(sc) if self.same_pixels(&g, out.bytes_mut(), row)? => {
                dec.scaler = Some(sc);
                Ok(())
            }
            _ => {
                dec.rejected.push(key);
                self.copy_pixels(&g, out)
            }
        }
    }

    /// Whether the graph's frame `g` holds exactly the packed bytes `mine`.
    fn same_pixels(&self, g: &ff::frame::Video, mine: &[u8], row: usize) -> Result<bool> {
        let (h, _) = self.check_frame(g)?;
        let stride = g.stride(0);
        let data = g.data(0);
        if mine.len() != row * h || stride < row || data.len() < stride * (h - 1) + row {
            return Ok(false);
        }
        Ok(mine
            .chunks_exact(row)
            .enumerate()
            .all(|(y, m)| m == &data[y * stride..y * stride + row]))
    }

    /// The next frame as an array (iteration), converted directly when eligible.
    fn next_array(&self, dec: &mut Decoding<'a>) -> Result<Option<NdArray>> {
        if !self.direct_eligible() {
            return match self.next_output(dec)? {
                Some(f) => Ok(Some(self.to_array(&f)?)),
                None => Ok(None),
            };
        }
        let Some(frame) = Self::next_decoded(dec)? else {
            if dec.decode_errors > 0 && dec.next_index == 0 {
                return Err(Error::decoding(
                    "no frame could be decoded (the data is damaged)",
                ));
            }
            return Ok(None);
        };
        let (h, w) = (frame.height() as usize, frame.width() as usize);
        self.limits.check_pixels(w as u64, h as u64)?;
        let shape = self.opts.format.frame_shape(h, w);
        self.limits.check_alloc(&shape, self.opts.format.dtype)?;
        let mut px = Pixels::zeroed(self.opts.format.dtype, shape.iter().product());
        let mut slot = px.slot(0, px.len());
        slot.prefault();
        self.put_frame(dec, frame, slot)?;
        dec.next_index += 1;
        px.into_array(&shape).map(Some)
    }

    fn to_array(&self, f: &ff::frame::Video) -> Result<NdArray> {
        let (h, w) = self.check_frame(f)?;
        let shape = self.opts.format.frame_shape(h, w);
        self.limits.check_alloc(&shape, self.opts.format.dtype)?;
        let mut px = Pixels::zeroed(self.opts.format.dtype, shape.iter().product());
        self.copy_pixels(f, px.slot(0, px.len()))?;
        px.into_array(&shape)
    }

    fn read_all(&mut self) -> Result<NdArray> {
        if self.is_device() {
            return Err(Error::invalid_argument(
                "a capture device never ends: read one index or iterate instead of reading all frames",
            ));
        }
        let n = self.frame_count()?;
        let (h, w) = self.frame_hw()?;
        let fshape = self.opts.format.frame_shape(h, w);
        let mut shape = vec![n];
        shape.extend_from_slice(&fshape);
        self.limits
            .check_image(h as u64, w as u64, &shape, self.opts.format.dtype)?;
        let per_frame: usize = fshape.iter().product();
        let mut px = Pixels::zeroed(self.opts.format.dtype, per_frame * n);
        self.restart_if_needed()?;
        let mut dec = self
            .dec
            .take()
            .ok_or_else(|| Error::decoding("decoder closed"))?;
        let direct = self.direct_eligible();
        let mut got = 0usize;
        let result = loop {
            let next = if direct {
                match Self::next_decoded(&mut dec) {
                    Ok(Some(f)) => {
                        dec.next_index += 1;
                        Ok(Some(f))
                    }
                    other => other,
                }
            } else {
                self.next_output(&mut dec)
            };
            let f = match next {
                Ok(Some(f)) => f,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            if (f.height() as usize, f.width() as usize) != (h, w) {
                break Err(Error::decoding(format!(
                    "frame {got} is {}×{} but the video is {w}×{h}: read frames one by one",
                    f.width(),
                    f.height()
                )));
            }
            if got >= n {
                // More frames than counted: keep them, within the limits.
                let mut s = shape.clone();
                s[0] = got + 1;
                if let Err(e) = self.limits.check_alloc(&s, self.opts.format.dtype) {
                    break Err(e);
                }
                px.grow(per_frame);
            }
            let mut slot = px.slot(got * per_frame, per_frame);
            slot.prefault();
            let r = if direct {
                self.put_frame(&mut dec, f, slot)
            } else {
                self.copy_pixels(&f, slot)
            };
            if let Err(e) = r {
                break Err(e);
            }
            got += 1;
        };
        let damaged = dec.decode_errors > 0;
        self.dec = Some(dec);
        result?;
        if got == 0 {
            return Err(Error::decoding(if damaged {
                "no frame could be decoded (the data is damaged)"
            } else {
                "the video has no decodable frame"
            }));
        }
        shape[0] = got;
        px.truncate(got * per_frame);
        px.into_array(&shape)
    }

    fn restart_if_needed(&mut self) -> Result<()> {
        if self.position() != Some(0) || self.dec.as_ref().is_some_and(|d| d.eof_sent) {
            self.restart()?;
        }
        Ok(())
    }

    fn file_metadata(&mut self, exclude_applied: bool) -> Result<Metadata> {
        let mut m = self.info.metadata.clone();
        if !self.is_device() && !self.opts.stateful_filter() {
            let n = self.base_count()?;
            m.insert("n_frames".into(), Value::Int(n as i64));
        }
        if self.opts.rotate && exclude_applied {
            m.shift_remove("rotation");
        }
        Ok(m)
    }
}

/// One frame's place in an output buffer.
enum Slot<'s> {
    U8(&'s mut [u8]),
    U16(&'s mut [u16]),
}

impl Slot<'_> {
    /// Faults the slot's pages in at once, just before a frame is written to it (while the
    /// decoder threads work on the next frames), see [`ffi::prefault`].
    fn prefault(&mut self) {
        ffi::prefault(self.bytes_mut());
    }

    fn byte_len(&self) -> usize {
        match self {
            Slot::U8(v) => v.len(),
            Slot::U16(v) => v.len() * 2,
        }
    }

    /// The slot as bytes (u16 samples in native order: only used on little-endian hosts).
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Slot::U8(v) => v,
            Slot::U16(v) => ffi::u16_bytes_mut(v),
        }
    }
}

/// A zero-filled output buffer (zeroed allocations of this size come straight from the kernel
/// without a separate fill pass).
enum Pixels {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

impl Pixels {
    /// `n` zero samples (zeroed allocations of this size come straight from the kernel, with
    /// transparent huge pages advised; their pages are faulted in when first written, see
    /// [`Slot::prefault`]).
    fn zeroed(dtype: DType, n: usize) -> Self {
        match dtype {
            DType::U16 => Pixels::U16(imageio_core::zeroed_vec(n)),
            _ => Pixels::U8(imageio_core::zeroed_vec(n)),
        }
    }
    fn len(&self) -> usize {
        match self {
            Pixels::U8(v) => v.len(),
            Pixels::U16(v) => v.len(),
        }
    }
    fn slot(&mut self, start: usize, len: usize) -> Slot<'_> {
        match self {
            Pixels::U8(v) => Slot::U8(&mut v[start..start + len]),
            Pixels::U16(v) => Slot::U16(&mut v[start..start + len]),
        }
    }
    fn grow(&mut self, by: usize) {
        match self {
            Pixels::U8(v) => v.resize(v.len() + by, 0),
            Pixels::U16(v) => v.resize(v.len() + by, 0),
        }
    }
    fn truncate(&mut self, n: usize) {
        match self {
            Pixels::U8(v) => v.truncate(n),
            Pixels::U16(v) => v.truncate(n),
        }
    }
    fn into_array(self, shape: &[usize]) -> Result<NdArray> {
        match self {
            Pixels::U8(v) => NdArray::from_shape_vec(shape, v),
            Pixels::U16(v) => NdArray::from_shape_vec(shape, v),
        }
    }
}

fn pixel_name(p: Pixel) -> String {
    p.descriptor()
        .map(|d| d.name().to_owned())
        .unwrap_or_else(|| "rgb24".into())
}

fn open_error(e: ff::Error, avio_failure: Option<String>) -> Error {
    if let Some(f) = avio_failure {
        return Error::decoding(f);
    }
    match e {
        ff::Error::InvalidData => {
            Error::unsupported(format!("FFmpeg does not recognise the data: {e}"))
        }
        ff::Error::Other { errno } if errno == ff::ffi::ENOENT => Error::io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            e.to_string(),
        )),
        e => Error::decoding(format!("FFmpeg cannot open it: {e}")),
    }
}

fn device_origin<'a>(dev: &str) -> Result<Origin<'a>> {
    let num = dev
        .strip_prefix("<video")
        .and_then(|s| s.strip_suffix('>'))
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| {
            Error::unsupported(format!("`{dev}` is not a capture device this plugin knows"))
        })?;
    if !cfg!(feature = "device") {
        return Err(Error::invalid_argument(format!(
            "cannot open capture device `{dev}`: imageio-ffmpeg was built without its `device` feature"
        )));
    }
    let url = format!("/dev/video{num}");
    if !std::path::Path::new(&url).exists() {
        return Err(Error::io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no capture device `{dev}`: {url} does not exist (imageio-ffmpeg's `device` feature opens V4L2 devices through libavdevice)"
            ),
        )));
    }
    Ok(Origin::Device {
        url,
        name: dev.to_owned(),
    })
}

/// Opens a V4L2 capture device node through libavdevice's `video4linux2` input format (never
/// by probing: a device node has nothing to probe).
#[cfg(feature = "device")]
fn open_device(url: &str, name: &str) -> Result<ff::format::context::Input> {
    ffi::register_devices();
    ffi::open_input(
        InputFrom::Url(url),
        Some(ffi::V4L2_INPUT),
        ff::Dictionary::new(),
    )
    .map_err(|e| {
        Error::io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "cannot open capture device `{name}` ({url}) through libavdevice's {} input: {e}",
                ffi::V4L2_INPUT
            ),
        ))
    })
}

/// Walks the top-level ISO-BMFF boxes looking for one of type `kind` (at most 100 000 boxes);
/// None when the structure is not walkable.
fn has_top_level_box(r: &mut (impl Read + Seek), kind: [u8; 4]) -> Option<bool> {
    let end = r.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    for _ in 0..100_000 {
        if end.saturating_sub(pos) < 8 {
            return Some(false);
        }
        r.seek(SeekFrom::Start(pos)).ok()?;
        let mut h = [0u8; 8];
        r.read_exact(&mut h).ok()?;
        if h[4..8] == kind {
            return Some(true);
        }
        let size = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
            0 => return Some(false), // the last box, to the end of the file
            1 => {
                let mut l = [0u8; 8];
                r.read_exact(&mut l).ok()?;
                u64::from_be_bytes(l)
            }
            s => u64::from(s),
        };
        if size < 8 {
            return None;
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// Clockwise rotation (0, 90, 180, 270) a player applies, from the display matrix.
fn display_rotation(m: &[u8]) -> Option<i32> {
    if m.len() < 36 {
        return None;
    }
    let v: Vec<f64> = m
        .chunks_exact(4)
        .take(9)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64 / 65536.0)
        .collect();
    let s0 = v[0].hypot(v[3]);
    let s1 = v[1].hypot(v[4]);
    if s0 == 0.0 || s1 == 0.0 {
        return None;
    }
    // av_display_rotation_get: counter-clockwise angle; players rotate by its negation.
    let ccw = -(v[1] / s1).atan2(v[0] / s0).to_degrees();
    let cw = (-ccw).round() as i64;
    let cw = cw.rem_euclid(360) as i32;
    Some(((cw + 45) / 90 * 90) % 360)
}

/// `value × time_base` in seconds, rounded once (as Python's `float(value * Fraction(tb))`).
fn scaled(value: i64, tb: ff::Rational) -> f64 {
    (value as f64 * f64::from(tb.numerator())) / f64::from(tb.denominator())
}

fn collect_info(
    input: &ff::format::context::Input,
    stream: &ff::format::stream::Stream<'_>,
    decoder: &ff::decoder::Video,
) -> Result<Info> {
    let mut m = Metadata::new();
    let params = stream.parameters();
    let id = params.id();
    let tb = stream.time_base();
    let rate = {
        let r = stream.rate();
        if r.numerator() > 0 && r.denominator() > 0 {
            r
        } else {
            stream.avg_frame_rate()
        }
    };
    let fps = if rate.numerator() > 0 && rate.denominator() > 0 {
        rate.numerator() as f64 / rate.denominator() as f64
    } else {
        0.0
    };
    m.insert("fps".into(), Value::Float(fps));
    let duration = if stream.duration() > 0 && tb.denominator() > 0 {
        Some(scaled(stream.duration(), tb))
    } else if input.duration() > 0 {
        Some(input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE))
    } else {
        None
    };
    if let Some(d) = duration {
        m.insert("duration".into(), Value::Float(d));
    }
    m.insert("codec".into(), Value::Str(id.name().to_owned()));
    if let Some(c) = ff::decoder::find(id) {
        m.insert("long_codec".into(), Value::Str(c.description().to_owned()));
    }
    let (profile, par_bitrate) = ffi::stream_codecpar(stream);
    if let Some(p) = ffi::profile_name(id, profile) {
        m.insert("profile".into(), Value::Str(p));
    }
    let pix = pixel_name(decoder.format());
    m.insert("pix_fmt".into(), Value::Str(pix.clone()));
    m.insert("video_format".into(), Value::Str(pix));
    m.insert(
        "size".into(),
        Value::List(vec![
            Value::Int(decoder.width().into()),
            Value::Int(decoder.height().into()),
        ]),
    );
    let bitrate = if par_bitrate > 0 {
        par_bitrate
    } else {
        input.bit_rate()
    };
    if bitrate > 0 {
        m.insert("bitrate".into(), Value::Int(bitrate));
    }
    m.insert(
        "container".into(),
        Value::Str(input.format().name().to_owned()),
    );
    let mut rotation = 0;
    for sd in stream.side_data() {
        if sd.kind() == ff::codec::packet::side_data::Type::DisplayMatrix {
            rotation = display_rotation(sd.data()).unwrap_or(0);
        }
    }
    m.insert("rotation".into(), Value::Int(rotation.into()));
    let mut encoder = None;
    for (k, v) in input.metadata().iter() {
        if k == "encoder" {
            encoder = Some(v.to_owned());
        }
        m.entry(k.to_owned())
            .or_insert_with(|| Value::Str(v.to_owned()));
    }
    for (k, v) in stream.metadata().iter() {
        if k == "encoder" && encoder.is_none() {
            encoder = Some(v.to_owned());
        }
        m.entry(k.to_owned())
            .or_insert_with(|| Value::Str(v.to_owned()));
    }
    if let Some(e) = encoder {
        m.insert("encoder".into(), Value::Str(e));
    }
    let start = stream.start_time();
    Ok(Info {
        width: decoder.width(),
        height: decoder.height(),
        time_base: tb,
        start_time: (start != ff::ffi::AV_NOPTS_VALUE).then_some(start),
        rotation,
        metadata: m,
    })
}

impl Plugin for Reader<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match index.or(Index::All) {
            Index::At(n) => {
                let f = self.frame_at(n)?;
                self.to_array(&f)
            }
            _ => self.read_all(),
        }
    }

    fn iter_next(&mut self, position: usize) -> Result<Option<NdArray>> {
        if position == 0 && !self.is_device() {
            self.restart_if_needed()?;
        }
        if self.position() == Some(position) {
            let mut dec = self
                .dec
                .take()
                .ok_or_else(|| Error::decoding("decoder closed"))?;
            let r = self.next_array(&mut dec);
            self.dec = Some(dec);
            return r;
        }
        match self.read(Index::At(position)) {
            Ok(a) => Ok(Some(a)),
            Err(Error::IndexOutOfRange { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        let (h, w) = self.frame_hw()?;
        let shape = self.opts.format.frame_shape(h, w);
        match index.or(Index::All) {
            Index::At(n) => {
                if !self.is_device() {
                    let count = self.frame_count()?;
                    if n >= count {
                        return Err(Error::index_out_of_range(n, Some(count)));
                    }
                }
                Ok(ImageProperties::single(shape, self.opts.format.dtype))
            }
            _ => {
                if self.is_device() {
                    return Err(Error::invalid_argument(
                        "a capture device has no frame count",
                    ));
                }
                let n = self.frame_count()?;
                Ok(ImageProperties::batch(n, &shape, self.opts.format.dtype))
            }
        }
    }

    fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata> {
        match index {
            Index::At(n) => {
                let f = self.frame_at(n)?;
                let mut m = Metadata::new();
                let tb = self.info.time_base;
                let _ = self.info.start_time;
                if let Some(p) = f.pts().or_else(|| f.timestamp()) {
                    m.insert("time".into(), Value::Float(scaled(p, tb)));
                }
                m.insert("key_frame".into(), Value::Bool(f.is_key()));
                let t = match f.kind() {
                    ff::picture::Type::I => "I",
                    ff::picture::Type::P => "P",
                    ff::picture::Type::B => "B",
                    ff::picture::Type::S => "S",
                    ff::picture::Type::SI => "SI",
                    ff::picture::Type::SP => "SP",
                    ff::picture::Type::BI => "BI",
                    ff::picture::Type::None => "?",
                };
                m.insert("frame_type".into(), Value::Str(t.into()));
                m.insert("interlaced_frame".into(), Value::Bool(f.is_interlaced()));
                Ok(m)
            }
            _ => self.file_metadata(exclude_applied),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageio_core::{Mode, Resource};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn reader(path: &Path) -> Reader<'static> {
        let req = Request::new(
            Resource::from(path.to_path_buf()),
            Mode::Read,
            None,
            Limits::default(),
        )
        .expect("request");
        Reader::open(&req).expect("open")
    }

    fn standard(name: &str) -> PathBuf {
        imageio_core::standard::resolve(name)
            .unwrap_or_else(|e| panic!("standard image {name} is missing: {e}"))
    }

    /// The number of frames the ffmpeg CLI decodes (`ffprobe -count_frames`).
    fn cli_frames(path: &Path) -> usize {
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
            .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
            .arg(path)
            .output()
            .expect("the ffprobe command line tool is required");
        assert!(out.status.success(), "ffprobe failed on {}", path.display());
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    fn ffmpeg(args: &[&str]) {
        let ok = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y"])
            .args(args)
            .status()
            .expect("the ffmpeg command line tool is required")
            .success();
        assert!(ok, "ffmpeg {args:?} failed");
    }

    /// Frames actually decoded by reading everything.
    fn decoded(path: &Path) -> usize {
        let mut r = reader(path);
        r.read(Index::All).unwrap().shape()[0]
    }

    #[test]
    fn sample_table_counts_standard_videos_without_a_packet_pass() {
        for (name, n) in [
            ("cockatoo.mp4", 280),
            ("cockatoo_yuv420.mp4", 280),
            ("realshort.mp4", 36),
        ] {
            let path = standard(name);
            let mut r = reader(&path);
            assert_eq!(r.sample_table_count().unwrap(), Some(n), "{name}");
            assert_eq!(r.base_count().unwrap(), n, "{name}");
            assert!(r.scan.is_none(), "{name}: counting ran a packet pass");
            // The packet pass agrees.
            assert_eq!(r.scan().unwrap().count, n, "{name}");
            assert_eq!(cli_frames(&path), n, "{name}");
        }
    }

    /// libavdevice provides the V4L2 input that `<videoN>` uses.
    #[cfg(feature = "device")]
    #[test]
    fn avdevice_lists_the_v4l2_input() {
        let names = ffi::input_video_devices();
        assert!(
            names.iter().any(|n| n == "video4linux2,v4l2"),
            "libavdevice's video inputs: {names:?}"
        );
    }

    /// A node that is not a capture device reaches the V4L2 input (whose capability query
    /// fails) rather than format probing, and the error names the device and the path.
    #[cfg(feature = "device")]
    #[test]
    fn device_nodes_open_through_the_v4l2_input() {
        ffi::quiet_logs();
        let e = open_device("/dev/null", "<video0>")
            .err()
            .expect("/dev/null is no camera");
        let msg = e.to_string();
        assert!(
            msg.contains("<video0>") && msg.contains("/dev/null") && msg.contains("video4linux2"),
            "{msg}"
        );
        // The V4L2 input's VIDIOC_QUERYCAP ioctl fails on /dev/null with ENOTTY.
        assert!(msg.contains("Inappropriate ioctl"), "{msg}");
    }

    #[test]
    fn direct_conversion_matches_the_graph_on_standard_videos() {
        for name in ["cockatoo.mp4", "cockatoo_yuv420.mp4", "realshort.mp4"] {
            for format in ["rgb24", "gray", "rgb48", "rgba"] {
                let req = Request::new(
                    Resource::from(standard(name)),
                    Mode::Read,
                    None,
                    Limits::default(),
                )
                .map(|mut r| {
                    r.options.set("format", format);
                    r
                })
                .unwrap();
                let mut r = Reader::open(&req).unwrap();
                let a = r.iter_next(0).unwrap().unwrap();
                let b = r.iter_next(1).unwrap().unwrap();
                let dec = r.dec.as_ref().unwrap();
                assert!(
                    dec.scaler.is_some() && dec.rejected.is_empty(),
                    "{name} {format}: the direct scaler was not used"
                );
                // The same frames through the graph only (read by index: graph conversion).
                let mut g = Reader::open(&req).unwrap();
                assert_eq!(g.read(Index::At(1)).unwrap(), b, "{name} {format}");
                assert_eq!(g.read(Index::At(0)).unwrap(), a, "{name} {format}");
            }
        }
    }

    #[test]
    fn counts_stay_exact_for_fragments_edit_lists_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let src = standard("realshort.mp4");
        let s = src.to_str().unwrap();
        let p = |n: &str| dir.path().join(n);
        let x264 = p("x264.mp4");
        ffmpeg(&[
            "-i",
            s,
            "-an",
            "-c:v",
            "libx264",
            "-g",
            "10",
            "-bf",
            "3",
            "-x264-params",
            "b-pyramid=normal",
            x264.to_str().unwrap(),
        ]);
        let cases: Vec<(PathBuf, bool)> = vec![
            // Fragmented: the moov has no samples; fragments hold them.
            {
                let f = p("frag.mp4");
                ffmpeg(&[
                    "-i",
                    s,
                    "-c",
                    "copy",
                    "-movflags",
                    "frag_keyframe+empty_moov",
                    f.to_str().unwrap(),
                ]);
                (f, false)
            },
            // Edit lists starting mid-GOP: leading samples are decoded but discarded.
            {
                let f = p("trim.mp4");
                ffmpeg(&["-ss", "0.5", "-i", s, "-c", "copy", f.to_str().unwrap()]);
                (f, true)
            },
            {
                let f = p("trimx.mp4");
                ffmpeg(&[
                    "-ss",
                    "0.5",
                    "-i",
                    x264.to_str().unwrap(),
                    "-c",
                    "copy",
                    f.to_str().unwrap(),
                ]);
                (f, true)
            },
            {
                let f = p("fast.mp4");
                ffmpeg(&[
                    "-i",
                    s,
                    "-c",
                    "copy",
                    "-movflags",
                    "faststart",
                    f.to_str().unwrap(),
                ]);
                (f, true)
            },
            (x264.clone(), true),
        ];
        for (path, table) in &cases {
            let want = cli_frames(path);
            let mut r = reader(path);
            let st = r.sample_table_count().unwrap();
            assert_eq!(st.is_some(), *table, "{}: sample table use", path.display());
            assert_eq!(r.base_count().unwrap(), want, "{}", path.display());
            assert_eq!(decoded(path), want, "{}", path.display());
            // Random access (after counting from the table) agrees with iteration.
            let mut it = reader(path);
            let mut frames = Vec::new();
            while let Some(a) = it.iter_next(frames.len()).unwrap() {
                frames.push(a.sha256_hex());
            }
            assert_eq!(frames.len(), want);
            // Every frame, backwards (each read seeks, skipping non-reference frames before the
            // target), then in a scattered order.
            let mut r = reader(path);
            let scattered = (0..want).map(|i| (i * 7 + 3) % want);
            for k in (0..want).rev().chain(scattered) {
                let got = r.read(Index::At(k)).unwrap().sha256_hex();
                assert_eq!(got, frames[k], "{} frame {k}", path.display());
            }
        }
        // Truncated (moov first, mdat cut): the table lists samples past the end, so the
        // count is the packets that can be read.
        let fast = std::fs::read(p("fast.mp4")).unwrap();
        let cut = p("cut.mp4");
        std::fs::write(&cut, &fast[..fast.len() * 2 / 3]).unwrap();
        let mut r = reader(&cut);
        assert_eq!(r.sample_table_count().unwrap(), None);
        let n = r.base_count().unwrap();
        assert!(n > 0 && n < 36, "{n}");
    }
}
