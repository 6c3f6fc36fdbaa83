//! The reading side: still PNGs and APNG frames composited like Pillow.

use std::io::ErrorKind;

use imageio_core::{
    Error, ImageProperties, Index, Metadata, NdArray, Plugin, Request, Result, Source,
    SourceReader, Value,
};
use png::{BlendOp, ColorType, DisposeOp, Transformations};

use crate::exif;
use crate::samples::{self, Buf, Layout, Rect};

/// Maps a `png` decoding error to ours.
pub(crate) fn png_err(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::LimitsExceeded => {
            Error::limits("the PNG decoder's memory limit was exceeded")
        }
        png::DecodingError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            Error::decoding("truncated PNG (unexpected end of data)")
        }
        png::DecodingError::IoError(io) => Error::io(io),
        other => Error::decoding(other),
    }
}

/// What the header (IHDR … first IDAT) says.
#[derive(Clone, Debug)]
struct Header {
    width: u32,
    height: u32,
    color: ColorType,
    depth: u8,
    interlaced: bool,
    layout: Layout,
    /// Frames in Pillow's numbering (acTL's count, plus one when the IDAT image is a separate
    /// default image); 1 for a still PNG.
    n_frames: usize,
    /// acTL present.
    animated: bool,
    /// The IDAT image is not part of the animation (no fcTL before IDAT): it is frame 0.
    default_separate: bool,
    /// acTL `num_plays`.
    loop_count: u32,
    /// EXIF Orientation found before IDAT.
    orientation: Option<u16>,
}

enum Dispose<T> {
    Background(Rect),
    Previous(Rect, Vec<T>),
}

enum PendingDispose {
    None,
    U8(Dispose<u8>),
    U16(Dispose<u16>),
}

/// A decoder positioned after `next` frames, with the composited canvas.
struct Cursor<'a> {
    reader: png::Reader<SourceReader<'a>>,
    next: usize,
    raw: Vec<u8>,
    canvas: Option<Buf>,
    dispose: PendingDispose,
}

/// An open PNG/APNG for reading.
pub(crate) struct PngReader<'a> {
    source: Source<'a>,
    req_limits: imageio_core::Limits,
    png_limits: png::Limits,
    header: Header,
    rotate: bool,
    cursor: Option<Cursor<'a>>,
    late_orientation: Option<Option<u16>>,
}

impl<'a> PngReader<'a> {
    pub(crate) fn open(req: Request<'a>) -> Result<PngReader<'a>> {
        if !crate::sniff(req.first_bytes()) {
            return Err(Error::unsupported("no PNG signature"));
        }
        let source = req.source()?.clone();
        let png_limits = png::Limits {
            bytes: req
                .limits
                .max_bytes
                .map_or(usize::MAX, |b| usize::try_from(b).unwrap_or(usize::MAX)),
        };
        let indices = req.options.get_bool("palette").unwrap_or(false);
        let rotate = req.options.get_bool("rotate").unwrap_or(false);
        let reader = new_reader(&source, png_limits)?;
        let info = reader.info();
        // The png crate keeps only the low byte of a gray/RGB tRNS value below 16 bits; a value
        // with its high byte set (out of range) must match no sample, so read the raw chunk.
        let raw_trns = match info.color_type {
            ColorType::Grayscale | ColorType::Rgb
                if info.trns.is_some() && info.bit_depth != png::BitDepth::Sixteen =>
            {
                raw_trns(&source)
            }
            _ => None,
        };
        let layout = Layout::new(info, indices, raw_trns.as_deref())?;
        let (animated, n_frames, loop_count) = match &info.animation_control {
            Some(ac) => {
                let extra = usize::from(info.frame_control.is_none());
                (true, ac.num_frames as usize + extra, ac.num_plays)
            }
            None => (false, 1, 0),
        };
        let header = Header {
            width: info.width,
            height: info.height,
            color: info.color_type,
            depth: samples::depth_bits(info.bit_depth),
            interlaced: info.interlaced,
            layout,
            n_frames,
            animated,
            default_separate: animated && info.frame_control.is_none(),
            loop_count,
            orientation: info.exif_metadata.as_deref().and_then(exif::orientation),
        };
        Ok(PngReader {
            source,
            req_limits: req.limits,
            png_limits,
            header,
            rotate,
            cursor: None,
            late_orientation: None,
        })
    }

    /// The EXIF orientation that `rotate` applies: from the header, or for a still PNG also from
    /// an `eXIf` chunk after the image data (found without decompressing pixels).
    fn orientation(&mut self) -> Option<u16> {
        if self.header.orientation.is_some() || self.header.animated || !self.rotate {
            return self.header.orientation;
        }
        if self.late_orientation.is_none() {
            let o = self
                .scan()
                .ok()
                .and_then(|(_, info)| info.exif_metadata.as_deref().and_then(exif::orientation));
            self.late_orientation = Some(o);
        }
        self.late_orientation.flatten()
    }

    fn frame_shape(&mut self) -> Vec<usize> {
        let o = self.orientation();
        let h = &self.header;
        let (mut rows, mut cols) = (h.height as usize, h.width as usize);
        if self.rotate && matches!(o, Some(5..=8)) {
            std::mem::swap(&mut rows, &mut cols);
        }
        h.layout.shape(rows, cols)
    }

    fn check_index(&self, n: usize) -> Result<()> {
        if n >= self.header.n_frames {
            return Err(Error::index_out_of_range(n, Some(self.header.n_frames)));
        }
        Ok(())
    }

    /// Checks the limits for `frames` images (and our raw decode buffer) before allocating.
    fn check_limits(&mut self, frames: usize) -> Result<()> {
        let shape = self.frame_shape();
        let h = &self.header;
        self.req_limits
            .check_pixels(h.width as u64, h.height as u64)?;
        let mut full = vec![frames];
        full.extend_from_slice(&shape);
        self.req_limits.check_alloc(&full, h.layout.dtype)?;
        // The raw rows (at most 2 bytes per sample, 4 samples per pixel).
        let raw = (h.width as u64) * (h.height as u64) * 8;
        self.req_limits.check_bytes(raw)?;
        Ok(())
    }

    fn finish_image(&self, buf: Buf, orientation: Option<u16>) -> Result<NdArray> {
        let h = &self.header;
        let shape = h.layout.shape(h.height as usize, h.width as usize);
        let img = buf.into_ndarray(&shape, h.layout.dtype)?;
        match (self.rotate, orientation) {
            (true, Some(o)) => exif::apply(img, o),
            _ => Ok(img),
        }
    }

    /// Decodes a still PNG (no acTL).
    fn read_still(&mut self) -> Result<NdArray> {
        self.check_limits(1)?;
        let mut reader = new_reader(&self.source, self.png_limits)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| Error::limits("image too large"))?;
        let layout = &self.header.layout;
        // 16-bit samples that need no conversion: decode straight into the u16 output and swap
        // the big-endian bytes in place (no second image-sized buffer).
        let direct16 = layout.depth == 16
            && layout.trns_gray.is_none()
            && layout.trns_rgb.is_none()
            && size % 2 == 0;
        let buf = if direct16 {
            let mut v = imageio_core::zeroed_vec::<u16>(size / 2);
            let out = decode_image(&mut reader, bytemuck::cast_slice_mut(&mut v))?;
            let row = out.width as usize * layout.channels;
            if out.line_size != row * 2 || v.len() < row * out.height as usize {
                return Err(Error::decoding("unexpected 16-bit row layout"));
            }
            v.truncate(row * out.height as usize);
            for x in &mut v {
                *x = u16::from_be(*x);
            }
            Buf::U16(v)
        } else {
            let mut raw = imageio_core::zeroed_vec::<u8>(size);
            let out = decode_image(&mut reader, &mut raw)?;
            layout.convert(raw, out.line_size, out.width as usize, out.height as usize)
        };
        // Chunks after IDAT (eXIf may be there); a damaged tail is ignored like Pillow does.
        let _ = reader.finish();
        let orientation = reader
            .info()
            .exif_metadata
            .as_deref()
            .and_then(exif::orientation);
        self.finish_image(buf, orientation)
    }

    /// Frame `n` of an APNG, composited on the canvas (streams forward; restarts when going back).
    fn read_frame(&mut self, n: usize) -> Result<NdArray> {
        self.check_index(n)?;
        if self.cursor.as_ref().is_none_or(|c| c.next > n) {
            self.check_limits(1)?;
            let reader = new_reader(&self.source, self.png_limits)?;
            let size = reader
                .output_buffer_size()
                .ok_or_else(|| Error::limits("image too large"))?;
            self.cursor = Some(Cursor {
                reader,
                next: 0,
                raw: vec![0u8; size],
                canvas: None,
                dispose: PendingDispose::None,
            });
        }
        loop {
            let cursor = self.cursor.as_mut().expect("cursor set above");
            let result = advance(cursor, &self.header);
            if let Err(e) = result {
                self.cursor = None;
                return Err(e);
            }
            if cursor.next == n + 1 {
                let buf = cursor.canvas.clone().expect("a frame was decoded");
                return self.finish_image(buf, self.header.orientation);
            }
        }
    }

    fn read_all(&mut self) -> Result<NdArray> {
        if !self.header.animated {
            return NdArray::stack(vec![self.read_still()?]);
        }
        self.check_limits(self.header.n_frames)?;
        let mut frames = Vec::with_capacity(self.header.n_frames.min(1024));
        for i in 0..self.header.n_frames {
            frames.push(self.read_frame(i)?);
        }
        NdArray::stack(frames)
    }

    /// fcTL of every frame in Pillow's numbering (`None` for a default image outside the
    /// animation), then the info after IEND, without decompressing pixels.
    #[allow(clippy::type_complexity)]
    fn scan(&self) -> Result<(Vec<Option<png::FrameControl>>, png::Info<'static>)> {
        let mut reader = new_reader(&self.source, self.png_limits)?;
        let mut fctls = Vec::new();
        if self.header.animated {
            fctls.push(reader.info().frame_control);
            for _ in 1..self.header.n_frames {
                let fc = *reader.next_frame_info().map_err(png_err)?;
                fctls.push(Some(fc));
            }
        }
        let _ = reader.finish();
        Ok((fctls, reader.info().clone()))
    }
}

/// The body of the `tRNS` chunk before the image data, read from the chunk headers (no pixel
/// data is decompressed); `None` when absent or unreadable.
fn raw_trns(source: &Source<'_>) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut r = source.reader().ok()?;
    r.seek(SeekFrom::Start(8)).ok()?;
    for _ in 0..100_000 {
        let mut head = [0u8; 8];
        r.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        match &head[4..] {
            b"tRNS" if len <= 6 => {
                let mut body = vec![0u8; len as usize];
                r.read_exact(&mut body).ok()?;
                return Some(body);
            }
            b"IDAT" | b"IEND" => return None,
            _ => {
                r.seek(SeekFrom::Current(i64::from(len) + 4)).ok()?;
            }
        }
    }
    None
}

fn new_reader<'a>(
    source: &Source<'a>,
    limits: png::Limits,
) -> Result<png::Reader<SourceReader<'a>>> {
    let mut dec = png::Decoder::new_with_limits(source.reader()?, limits);
    dec.set_transformations(Transformations::IDENTITY);
    dec.read_info().map_err(png_err)
}

/// Rows of an Adam7-interlaced `w × h` image, over the passes that have pixels.
fn adam7_rows(w: u32, h: u32) -> u64 {
    const PASSES: [(u32, u32, u32, u32); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let count = |size: u32, start: u32, step: u32| size.saturating_sub(start).div_ceil(step);
    PASSES
        .iter()
        .filter(|(x0, _, dx, _)| count(w, *x0, *dx) > 0)
        .map(|(_, y0, _, dy)| u64::from(count(h, *y0, *dy)))
        .sum()
}

/// Decodes the current image or APNG frame into `buf` like `Reader::next_frame`, but stops after
/// its last row:
/// `next_frame` then also reads past the image data to the next chunk, so a file whose `IEND`
/// (or anything after the last `IDAT`) is missing failed as truncated, while Pillow and libpng
/// read it. Damage after the image data is left to `finish`, whose errors callers ignore.
fn decode_image<R: std::io::BufRead + std::io::Seek>(
    reader: &mut png::Reader<R>,
    buf: &mut [u8],
) -> Result<png::OutputInfo> {
    let info = reader.info();
    // The current (sub)frame: an APNG frame's fcTL, else the whole image.
    let (width, height) = info
        .frame_control
        .map_or(info.size(), |fc| (fc.width, fc.height));
    let full_width = info.width;
    let interlaced = info.interlaced;
    let (color_type, bit_depth) = reader.output_color_type();
    let line = |w| {
        reader
            .output_line_size(w)
            .ok_or_else(|| Error::limits("image too large"))
    };
    let line_size = line(width)?;
    let missing = || Error::decoding("PNG image data ended before the last row");
    if interlaced {
        // Interlaced (sub)frames are expanded with the stride of the full image width, as
        // `next_frame` does.
        let stride = line(full_width)?;
        let out = buf
            .get_mut(..stride * height as usize)
            .ok_or_else(|| Error::decoding("PNG frame larger than the image"))?;
        // Pixels narrower than a byte are OR-ed into place: start from zeros (the buffer is
        // reused across APNG frames).
        out.fill(0);
        let bits_pp = color_type.samples() as u8 * bit_depth as u8;
        let mut row = vec![0u8; stride];
        for _ in 0..adam7_rows(width, height) {
            match reader.read_row(&mut row).map_err(png_err)? {
                Some(png::InterlaceInfo::Adam7(info)) => {
                    png::expand_interlaced_row(out, stride, &row, &info, bits_pp)
                }
                _ => return Err(missing()),
            }
        }
    } else {
        if buf.len() < line_size * height as usize {
            return Err(Error::decoding("PNG frame larger than the image"));
        }
        for row in buf.chunks_exact_mut(line_size).take(height as usize) {
            reader.read_row(row).map_err(png_err)?.ok_or_else(missing)?;
        }
    }
    Ok(png::OutputInfo {
        width,
        height,
        color_type,
        bit_depth,
        line_size,
    })
}

/// Pillow's APNG duration: `delay_num / delay_den` seconds in ms, `delay_den == 0` meaning 100.
fn duration_ms(fc: &png::FrameControl) -> f64 {
    let den = if fc.delay_den == 0 {
        100.0
    } else {
        fc.delay_den as f64
    };
    fc.delay_num as f64 / den * 1000.0
}

/// Decodes the next frame and composites it on the canvas exactly as Pillow's APNG reader.
fn advance(c: &mut Cursor<'_>, h: &Header) -> Result<()> {
    if c.next > 0 {
        // Skip what is left of the previous frame's data and read up to this frame's.
        c.reader.next_frame_info().map_err(png_err)?;
    }
    let out = decode_image(&mut c.reader, &mut c.raw)?;
    let fc = c.reader.info().frame_control;
    // A default image outside the animation has no fcTL: full canvas, no dispose, SOURCE.
    let default_image = c.next == 0 && h.default_separate;
    let (x, y, dispose_op, blend_op) = match fc {
        Some(f) if !default_image => (
            f.x_offset as usize,
            f.y_offset as usize,
            f.dispose_op,
            f.blend_op,
        ),
        _ => (0, 0, DisposeOp::None, BlendOp::Source),
    };
    let rect = Rect {
        x,
        y,
        w: out.width as usize,
        h: out.height as usize,
    };
    let (cw, chh) = (h.width as usize, h.height as usize);
    if rect.x + rect.w > cw || rect.y + rect.h > chh {
        return Err(Error::decoding("APNG frame lies outside the canvas"));
    }
    // Interlaced (sub)frames are de-interlaced by the png crate with the stride of the full
    // image width; progressive ones are packed with the frame's own line size.
    let stride = if h.interlaced {
        c.reader.output_line_size(h.width).unwrap_or(out.line_size)
    } else {
        out.line_size
    };
    let n = stride * rect.h;
    let raw = c
        .raw
        .get(..n)
        .ok_or_else(|| Error::decoding("APNG frame larger than the canvas"))?;
    let sub = h.layout.convert(raw.to_vec(), stride, rect.w, rect.h);
    let ch = h.layout.channels;
    let first = c.next == 0;
    if first {
        c.canvas = Some(Buf::zeros(h.layout.dtype, cw * chh * ch));
    }
    let canvas = c.canvas.as_mut().expect("canvas allocated");
    // Dispose the previous frame, remember the canvas for PREVIOUS, draw this one.
    let pending = std::mem::replace(&mut c.dispose, PendingDispose::None);
    macro_rules! compose {
        ($canvas:expr, $sub:expr, $pending:expr, $variant:ident) => {{
            if let Some(d) = $pending {
                match d {
                    Dispose::Background(r) => samples::clear($canvas, cw, ch, r),
                    Dispose::Previous(r, saved) => samples::paste($canvas, cw, ch, r, &saved),
                }
            }
            // Pillow: PREVIOUS on the first frame acts as BACKGROUND.
            let dispose = match dispose_op {
                DisposeOp::None => None,
                DisposeOp::Background => Some(Dispose::Background(rect)),
                DisposeOp::Previous if first => Some(Dispose::Background(rect)),
                DisposeOp::Previous => Some(Dispose::Previous(
                    rect,
                    samples::crop($canvas, cw, ch, rect),
                )),
            };
            if blend_op == BlendOp::Over && !first {
                if h.layout.indices {
                    samples::over_indices($canvas, cw, rect, $sub, &h.layout.palette);
                } else if h.layout.has_alpha() {
                    samples::over($canvas, cw, ch, rect, $sub);
                } else {
                    samples::paste($canvas, cw, ch, rect, $sub);
                }
            } else {
                samples::paste($canvas, cw, ch, rect, $sub);
            }
            c.dispose = match dispose {
                Some(d) => PendingDispose::$variant(d),
                None => PendingDispose::None,
            };
        }};
    }
    match (canvas, &sub, pending) {
        (Buf::U8(cv), Buf::U8(s), PendingDispose::U8(d)) => compose!(cv, s, Some(d), U8),
        (Buf::U8(cv), Buf::U8(s), PendingDispose::None) => compose!(cv, s, None::<Dispose<u8>>, U8),
        (Buf::U16(cv), Buf::U16(s), PendingDispose::U16(d)) => compose!(cv, s, Some(d), U16),
        (Buf::U16(cv), Buf::U16(s), PendingDispose::None) => {
            compose!(cv, s, None::<Dispose<u16>>, U16)
        }
        _ => return Err(Error::decoding("inconsistent APNG frame sample types")),
    }
    c.next += 1;
    Ok(())
}

impl Plugin for PngReader<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match (index, self.header.animated) {
            (Index::Default, false) | (Index::At(0), false) => self.read_still(),
            (Index::At(n), false) => Err(Error::index_out_of_range(n, Some(1))),
            (Index::At(n), true) => self.read_frame(n),
            (Index::Default | Index::All, true) | (Index::All, false) => self.read_all(),
        }
    }

    fn iter_next(&mut self, position: usize) -> Result<Option<NdArray>> {
        if position >= self.header.n_frames {
            return Ok(None);
        }
        if self.header.animated {
            self.read_frame(position).map(Some)
        } else {
            self.read_still().map(Some)
        }
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        let shape = self.frame_shape();
        let dtype = self.header.layout.dtype;
        let n = self.header.n_frames;
        Ok(match (index, self.header.animated) {
            (Index::Default, false) => ImageProperties::single(shape, dtype),
            (Index::At(i), _) => {
                self.check_index(i)?;
                ImageProperties::single(shape, dtype)
            }
            (Index::Default, true) | (Index::All, _) => ImageProperties::batch(n, &shape, dtype),
        })
    }

    fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata> {
        let frame = match index {
            Index::At(n) => {
                self.check_index(n)?;
                n
            }
            _ => 0,
        };
        let (fctls, info) = self.scan()?;
        let h = &self.header;
        let mut m = Metadata::new();
        m.insert("bit_depth".into(), Value::Int(h.depth as i64));
        let ct = match h.color {
            ColorType::Grayscale => "gray",
            ColorType::GrayscaleAlpha => "gray_alpha",
            ColorType::Rgb => "rgb",
            ColorType::Rgba => "rgba",
            ColorType::Indexed => "palette",
        };
        m.insert("color_type".into(), ct.into());
        m.insert("interlaced".into(), Value::Bool(h.interlaced));
        if let Some(g) = info.gama_chunk {
            // Pillow: i32 / 100000.0.
            m.insert("gamma".into(), Value::Float(gamma_exact(&g)));
        }
        if let Some(c) = &info.chrm_chunk {
            // Pillow: the eight cHRM values / 100000 (white x, y, red x, y, green x, y, blue x, y).
            let v = [
                c.white.0, c.white.1, c.red.0, c.red.1, c.green.0, c.green.1, c.blue.0, c.blue.1,
            ];
            let floats = v.iter().map(|x| Value::Float(gamma_exact(x))).collect();
            m.insert("chromaticity".into(), Value::List(floats));
        }
        if let Some(s) = info.srgb {
            m.insert("srgb".into(), Value::Int(s as i64));
        }
        if let Some(p) = info.pixel_dims {
            match p.unit {
                png::Unit::Meter => {
                    let dpi = vec![
                        Value::Float(p.xppu as f64 * 0.0254),
                        Value::Float(p.yppu as f64 * 0.0254),
                    ];
                    m.insert("dpi".into(), Value::List(dpi));
                }
                png::Unit::Unspecified => {
                    m.insert(
                        "aspect".into(),
                        Value::List(vec![p.xppu.into(), p.yppu.into()]),
                    );
                }
            }
        }
        if let Some(icc) = &info.icc_profile {
            m.insert("icc_profile".into(), Value::Bytes(icc.to_vec()));
        }
        let mut text = Metadata::new();
        for t in &info.uncompressed_latin1_text {
            text.insert(t.keyword.clone(), Value::Str(t.text.clone()));
        }
        for t in &info.compressed_latin1_text {
            if let Ok(s) = t.get_text() {
                text.insert(t.keyword.clone(), Value::Str(s));
            }
        }
        for t in &info.utf8_text {
            if let Ok(s) = t.get_text() {
                text.insert(t.keyword.clone(), Value::Str(s));
            }
        }
        if !text.is_empty() {
            m.insert("text".into(), Value::Map(text));
        }
        if let Some(e) = &info.exif_metadata {
            m.insert("exif".into(), Value::Bytes(e.to_vec()));
            if let Some(o) = exif::orientation(e) {
                let applied = self.rotate && exclude_applied;
                if !applied {
                    m.insert("Orientation".into(), Value::Int(o as i64));
                }
            }
        }
        if h.color == ColorType::Indexed && (h.layout.indices || !exclude_applied) {
            if let Some(p) = h.layout.palette_array() {
                m.insert("palette".into(), Value::Array(p));
            }
        }
        if h.animated {
            m.insert("n_frames".into(), Value::Int(h.n_frames as i64));
            m.insert("loop".into(), Value::Int(h.loop_count as i64));
            let durations: Vec<Value> = fctls
                .iter()
                .map(|f| Value::Float(f.as_ref().map_or(0.0, duration_ms)))
                .collect();
            if let Some(Some(fc)) = fctls.get(frame) {
                m.insert("duration".into(), Value::Float(duration_ms(fc)));
                if matches!(index, Index::At(_)) {
                    m.insert("disposal".into(), Value::Int(fc.dispose_op as i64));
                    m.insert("blend".into(), Value::Int(fc.blend_op as i64));
                    let bbox = [
                        fc.x_offset,
                        fc.y_offset,
                        fc.x_offset + fc.width,
                        fc.y_offset + fc.height,
                    ];
                    m.insert(
                        "bbox".into(),
                        Value::List(bbox.iter().map(|&v| v.into()).collect()),
                    );
                }
            } else {
                m.insert("duration".into(), Value::Float(0.0));
            }
            m.insert("durations".into(), Value::List(durations));
        }
        Ok(m)
    }
}

/// A PNG fixed-point value (gAMA, cHRM) as Pillow gives it: `value / 100000`.
fn gamma_exact(g: &png::ScaledFloat) -> f64 {
    g.into_scaled() as f64 / 100_000.0
}
