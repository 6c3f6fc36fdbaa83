//! The writing side: still PNGs and APNGs (frames buffered until `close`).

use std::borrow::Cow;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use imageio_core::{DType, Error, NdView, Plugin, Request, Result, Sink, Value};
use png::{BitDepth, ColorType, Compression, DeflateCompression, Filter};

/// Compression as the user asked for it.
#[derive(Clone, Copy, Debug)]
enum Level {
    Simple(Compression),
    Zlib(u8),
}

/// Parsed write options.
#[derive(Clone, Debug)]
struct WriteOpts {
    level: Level,
    filter: Option<Filter>,
    text: Vec<(String, String)>,
    icc: Option<Vec<u8>>,
    dpi: Option<(f64, f64)>,
    exif: Option<Vec<u8>>,
    durations: Option<Vec<f64>>,
    fps: Option<f64>,
    loop_count: u32,
}

fn parse_level(v: &Value) -> Result<Level> {
    let bad = || {
        Error::invalid_argument(format!(
            "compression must be one of none, fastest, fast, balanced, high or a zlib level 0-9, not {v:?}"
        ))
    };
    let from_int = |i: i64| match i {
        0 => Ok(Level::Simple(Compression::NoCompression)),
        1..=9 => Ok(Level::Zlib(i as u8)),
        _ => Err(bad()),
    };
    match v {
        Value::Int(i) => from_int(*i),
        Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "none" | "no" => Ok(Level::Simple(Compression::NoCompression)),
            "fastest" => Ok(Level::Simple(Compression::Fastest)),
            "fast" | "default" => Ok(Level::Simple(Compression::Fast)),
            "balanced" => Ok(Level::Simple(Compression::Balanced)),
            "high" | "best" => Ok(Level::Simple(Compression::High)),
            t => t.parse::<i64>().map_err(|_| bad()).and_then(from_int),
        },
        v => v.as_int().ok_or_else(bad).and_then(from_int),
    }
}

fn parse_filter(s: &str) -> Result<Filter> {
    Ok(match s.trim().to_ascii_lowercase().as_str() {
        "none" | "nofilter" => Filter::NoFilter,
        "sub" => Filter::Sub,
        "up" => Filter::Up,
        "avg" | "average" => Filter::Avg,
        "paeth" => Filter::Paeth,
        "adaptive" => Filter::Adaptive,
        "minentropy" | "min_entropy" => Filter::MinEntropy,
        other => {
            return Err(Error::invalid_argument(format!(
                "filter must be one of none, sub, up, avg, paeth, adaptive, minentropy, not `{other}`"
            )));
        }
    })
}

fn scalar_text(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => {
            return Err(Error::invalid_argument(format!(
                "text values must be text, not {other:?}"
            )));
        }
    })
}

fn parse_pair(s: &str) -> Result<(String, String)> {
    let (k, v) = s.split_once('=').ok_or_else(|| {
        Error::invalid_argument(format!("text entry `{s}` is not of the form key=value"))
    })?;
    Ok((k.to_owned(), v.to_owned()))
}

fn parse_text(v: &Value) -> Result<Vec<(String, String)>> {
    let pairs = match v {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), scalar_text(v)?)))
            .collect::<Result<Vec<_>>>()?,
        Value::List(l) => l
            .iter()
            .map(|e| match e {
                Value::Str(s) => parse_pair(s),
                Value::List(kv) if kv.len() == 2 => {
                    Ok((scalar_text(&kv[0])?, scalar_text(&kv[1])?))
                }
                other => Err(Error::invalid_argument(format!(
                    "text entry {other:?} is not key=value"
                ))),
            })
            .collect::<Result<Vec<_>>>()?,
        Value::Str(s) => vec![parse_pair(s)?],
        other => {
            return Err(Error::invalid_argument(format!(
                "text must be a map or a list of key=value, not {other:?}"
            )));
        }
    };
    for (k, _) in &pairs {
        let latin1 = k.chars().all(|c| (c as u32) < 256 && c != '\0');
        if k.is_empty()
            || k.chars().count() > 79
            || !latin1
            || k.starts_with(' ')
            || k.ends_with(' ')
        {
            return Err(Error::invalid_argument(format!(
                "text keyword `{k}` must be 1-79 Latin-1 characters without leading/trailing spaces"
            )));
        }
    }
    Ok(pairs)
}

fn parse_numbers(v: &Value, what: &str) -> Result<Vec<f64>> {
    let bad = || {
        Error::invalid_argument(format!(
            "{what} must be a number or a list of numbers, not {v:?}"
        ))
    };
    let vals: Vec<f64> = match v {
        Value::List(l) => l
            .iter()
            .map(|x| x.as_float().ok_or_else(bad))
            .collect::<Result<_>>()?,
        Value::Str(s) => s
            .split(',')
            .map(|t| t.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_>>()?,
        v => vec![v.as_float().ok_or_else(bad)?],
    };
    if vals.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(Error::invalid_argument(format!(
            "{what} must be finite and not negative"
        )));
    }
    Ok(vals)
}

impl WriteOpts {
    fn from_request(req: &Request<'_>) -> Result<WriteOpts> {
        let o = &req.options;
        let level = match o.get("compression") {
            Some(v) => parse_level(v)?,
            None => Level::Simple(Compression::Fast),
        };
        let filter = o.get_str("filter").map(parse_filter).transpose()?;
        let text = o
            .get("text")
            .map(parse_text)
            .transpose()?
            .unwrap_or_default();
        let dpi = match o.get("dpi") {
            Some(v) => match parse_numbers(v, "dpi")?.as_slice() {
                [d] => Some((*d, *d)),
                [x, y] => Some((*x, *y)),
                _ => return Err(Error::invalid_argument("dpi must be one number or [x, y]")),
            },
            None => None,
        };
        let durations = o
            .get("duration")
            .map(|v| parse_numbers(v, "duration"))
            .transpose()?;
        let fps = o.get_float("fps");
        if let Some(f) = fps {
            if !(f.is_finite() && f > 0.0) {
                return Err(Error::invalid_argument("fps must be positive"));
            }
            if durations.is_some() {
                return Err(Error::invalid_argument(
                    "give either duration or fps, not both",
                ));
            }
        }
        let loop_count = match o.get_int("loop") {
            Some(l) => u32::try_from(l)
                .map_err(|_| Error::invalid_argument("loop must be 0 (forever) or positive"))?,
            None => 0,
        };
        let bytes = |k: &str| o.get(k).and_then(Value::as_bytes).map(<[u8]>::to_vec);
        Ok(WriteOpts {
            level,
            filter,
            text,
            icc: bytes("icc_profile"),
            dpi,
            exif: bytes("exif"),
            durations,
            fps,
            loop_count,
        })
    }
}

/// One frame ready for the encoder: raw PNG samples (16-bit big-endian, 1-bit packed).
/// Width, height, colour type and bit depth: what every APNG frame must share.
type FrameKey = (u32, u32, ColorType, BitDepth);

struct Frame<'v> {
    width: u32,
    height: u32,
    color: ColorType,
    depth: BitDepth,
    /// Borrowed from the caller's array when it already is in PNG's layout (u8, C order).
    data: Cow<'v, [u8]>,
}

impl Frame<'_> {
    fn key(&self) -> FrameKey {
        (self.width, self.height, self.color, self.depth)
    }
    fn into_owned(self) -> Frame<'static> {
        Frame {
            data: Cow::Owned(self.data.into_owned()),
            ..self
        }
    }
}

/// An open PNG/APNG for writing. Frames are buffered until `close`, because the APNG frame
/// count must be in the `acTL` chunk before the first image. A single image is encoded at once,
/// straight from the caller's pixels into the sink (no copy of the pixels, no intermediate
/// buffer); should another write follow, it is read back from the sink and decoded into the frame
/// buffer, and `close` rewrites the output as an APNG.
pub(crate) struct PngWriter<'a> {
    sink: Sink<'a>,
    opts: WriteOpts,
    frames: Vec<Frame<'static>>,
    /// The first image, already encoded as a still PNG into the sink, and its frame key.
    still: Option<FrameKey>,
    batch: bool,
    done: bool,
}

impl<'a> PngWriter<'a> {
    pub(crate) fn open(req: Request<'a>) -> Result<PngWriter<'a>> {
        let opts = WriteOpts::from_request(&req)?;
        Ok(PngWriter {
            sink: req.sink()?.clone(),
            opts,
            frames: Vec::new(),
            still: None,
            batch: false,
            done: false,
        })
    }
}

/// The rule for `is_batch = None` (imageio's pillow plugin, with bool images added):
/// ndim 2 → one image; ndim 3 → last axis 1 is an error, 2/3/4 is one gray+alpha/RGB/RGBA
/// image, anything else a batch of gray frames (bool: always a batch); ndim 4 → a batch.
fn is_batch_guess(shape: &[usize], dtype: DType) -> Result<bool> {
    match shape.len() {
        2 => Ok(false),
        3 if dtype == DType::Bool => Ok(true),
        3 if shape[2] == 1 => Err(Error::invalid_argument(
            "can't write images with one color channel (H, W, 1) to PNG: drop the last axis",
        )),
        3 => Ok(!(2..=4).contains(&shape[2])),
        4 => Ok(true),
        n => Err(Error::invalid_argument(format!(
            "PNG writes 2-D, 3-D or 4-D arrays, not {n}-D"
        ))),
    }
}

fn to_frame<'v>(img: &NdView<'v>) -> Result<Frame<'v>> {
    let shape = img.shape();
    let (h, w, c) = match shape {
        [h, w] => (*h, *w, 1),
        [_, _, 1] => {
            return Err(Error::invalid_argument(
                "can't write images with one color channel (H, W, 1) to PNG: drop the last axis",
            ));
        }
        [h, w, c @ 2..=4] => (*h, *w, *c),
        _ => {
            return Err(Error::invalid_argument(format!(
                "a PNG image is (H, W) or (H, W, 2|3|4), not {shape:?}"
            )));
        }
    };
    if h == 0 || w == 0 {
        return Err(Error::invalid_argument(format!(
            "cannot write an empty image of shape {shape:?}"
        )));
    }
    let (width, height) = match (u32::try_from(w), u32::try_from(h)) {
        (Ok(w), Ok(h)) if w < 1 << 31 && h < 1 << 31 => (w, h),
        _ => {
            return Err(Error::invalid_argument(format!(
                "image of shape {shape:?} is too large for PNG"
            )));
        }
    };
    let color = match c {
        1 => ColorType::Grayscale,
        2 => ColorType::GrayscaleAlpha,
        3 => ColorType::Rgb,
        _ => ColorType::Rgba,
    };
    let (depth, data) = match img {
        NdView::U8(a) => (
            BitDepth::Eight,
            match a.to_slice() {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(a.iter().copied().collect()),
            },
        ),
        NdView::U16(a) => {
            let mut out = Vec::with_capacity(a.len() * 2);
            match a.as_slice() {
                Some(s) => s
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_be_bytes())),
                None => a
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_be_bytes())),
            }
            (BitDepth::Sixteen, Cow::Owned(out))
        }
        NdView::Bool(a) => {
            if c != 1 {
                return Err(Error::invalid_argument(format!(
                    "bool images are 2-D (H, W), not {shape:?}"
                )));
            }
            let line = w.div_ceil(8);
            let mut out = vec![0u8; line * h];
            for ((y, x), &v) in a
                .view()
                .into_dimensionality::<imageio_core::ndarray::Ix2>()
                .map_err(|e| Error::invalid_argument(e.to_string()))?
                .indexed_iter()
            {
                if v {
                    out[y * line + x / 8] |= 0x80 >> (x % 8);
                }
            }
            (BitDepth::One, Cow::Owned(out))
        }
        other => {
            return Err(Error::unsupported(format!(
                "PNG stores bool, uint8 and uint16 samples, not {}: convert the array first",
                other.dtype()
            )));
        }
    };
    Ok(Frame {
        width,
        height,
        color,
        depth,
        data,
    })
}

/// `seconds ≈ num / den` with both in u16, preferring `den = 1000` (Pillow writes ms / 1000).
fn delay_fraction(ms: f64) -> (u16, u16) {
    let exact = |num: f64, den: f64| {
        (num - num.round()).abs() < 1e-6 && num.round() <= 65535.0 && den <= 65535.0
    };
    if exact(ms, 1000.0) {
        return (ms.round() as u16, 1000);
    }
    let seconds = ms / 1000.0;
    let mut best = (0u16, 1000u16, f64::INFINITY);
    for den in 1..=65535u32 {
        let num = (seconds * den as f64).round();
        if num > 65535.0 {
            break;
        }
        let err = (num / den as f64 - seconds).abs();
        if err < best.2 - 1e-12 {
            best = (num as u16, den as u16, err);
            if err < 1e-9 {
                break;
            }
        }
    }
    if best.2.is_infinite() {
        // Longer than 65535 s: clamp.
        return (65535, 1);
    }
    (best.0, best.1)
}

impl PngWriter<'_> {
    /// Encodes `frames` (an APNG when `animated`) into `out`.
    fn encode_to<W: std::io::Write>(
        &self,
        out: W,
        frames: &[Frame<'_>],
        animated: bool,
    ) -> Result<()> {
        let first = frames
            .first()
            .ok_or_else(|| Error::invalid_argument("no image was written"))?;
        let o = &self.opts;
        let mut info = png::Info::with_size(first.width, first.height);
        info.color_type = first.color;
        info.bit_depth = first.depth;
        if let Some((x, y)) = o.dpi {
            // Pillow: int(dpi / 0.0254 + 0.5) pixels per metre.
            let ppm = |d: f64| (d / 0.0254 + 0.5).min(u32::MAX as f64) as u32;
            info.pixel_dims = Some(png::PixelDimensions {
                xppu: ppm(x),
                yppu: ppm(y),
                unit: png::Unit::Meter,
            });
        }
        if let Some(icc) = &o.icc {
            info.icc_profile = Some(icc.clone().into());
        }
        if let Some(exif) = &o.exif {
            // The eXIf chunk holds the TIFF structure alone; EXIF as JPEG APP1 (and our JPEG
            // reader, and Pillow's `info["exif"]`) carries an `Exif\0\0` prefix, which Pillow's
            // writer strips too.
            let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
            info.exif_metadata = Some(tiff.to_vec().into());
        }
        for (k, v) in &o.text {
            if v.chars().all(|c| (c as u32) < 256) {
                info.uncompressed_latin1_text
                    .push(png::text_metadata::TEXtChunk::new(k.clone(), v.clone()));
            } else {
                info.utf8_text
                    .push(png::text_metadata::ITXtChunk::new(k.clone(), v.clone()));
            }
        }
        let delays: Vec<(u16, u16)> = if animated {
            let n = frames.len();
            match (&o.durations, o.fps) {
                (_, Some(fps)) if fps.fract() == 0.0 && fps <= 65535.0 => vec![(1, fps as u16); n],
                (_, Some(fps)) => vec![delay_fraction(1000.0 / fps); n],
                (Some(d), None) if d.len() == 1 => vec![delay_fraction(d[0]); n],
                (Some(d), None) if d.len() == n => d.iter().map(|&ms| delay_fraction(ms)).collect(),
                (Some(d), None) => {
                    return Err(Error::invalid_argument(format!(
                        "duration has {} values for {n} frames: give one value or one per frame",
                        d.len()
                    )));
                }
                (None, None) => vec![(0, 1000); n],
            }
        } else {
            Vec::new()
        };
        let mut enc = png::Encoder::with_info(out, info).map_err(Error::encoding)?;
        match o.level {
            Level::Simple(c) => enc.set_compression(c),
            Level::Zlib(l) => {
                enc.set_deflate_compression(DeflateCompression::Level(l));
                enc.set_filter(Filter::Adaptive);
            }
        }
        if let Some(f) = o.filter {
            enc.set_filter(f);
        }
        if animated {
            let n = u32::try_from(frames.len())
                .map_err(|_| Error::invalid_argument("too many frames"))?;
            enc.set_animated(n, o.loop_count).map_err(Error::encoding)?;
        }
        let mut w = enc.write_header().map_err(Error::encoding)?;
        for (i, f) in frames.iter().enumerate() {
            if let Some(&(num, den)) = delays.get(i) {
                w.set_frame_delay(num, den).map_err(Error::encoding)?;
            }
            w.write_image_data(&f.data).map_err(Error::encoding)?;
        }
        w.finish().map_err(Error::encoding)?;
        Ok(())
    }

    /// Moves the eagerly encoded still image back into the frame buffer (a second write came).
    fn unstill(&mut self) -> Result<()> {
        if self.still.take().is_none() {
            return Ok(());
        }
        let mut png = Vec::new();
        let mut r = self.sink.writer()?;
        r.seek(SeekFrom::Start(0))?;
        r.read_to_end(&mut png)?;
        let mut dec = png::Decoder::new_with_limits(
            std::io::Cursor::new(&png),
            png::Limits { bytes: usize::MAX },
        );
        dec.set_transformations(png::Transformations::IDENTITY);
        let mut r = dec.read_info().map_err(Error::encoding)?;
        let mut data = vec![
            0u8;
            r.output_buffer_size()
                .ok_or_else(|| Error::encoding("image too large"))?
        ];
        let out = r.next_frame(&mut data).map_err(Error::encoding)?;
        self.frames.push(Frame {
            width: out.width,
            height: out.height,
            color: out.color_type,
            depth: out.bit_depth,
            data: Cow::Owned(data),
        });
        Ok(())
    }
}

impl Plugin for PngWriter<'_> {
    fn read(&mut self, _: imageio_core::Index) -> Result<imageio_core::NdArray> {
        Err(Error::invalid_argument("opened for writing"))
    }
    fn properties(&mut self, _: imageio_core::Index) -> Result<imageio_core::ImageProperties> {
        Err(Error::invalid_argument("opened for writing"))
    }
    fn metadata(&mut self, _: imageio_core::Index, _: bool) -> Result<imageio_core::Metadata> {
        Err(Error::invalid_argument("opened for writing"))
    }

    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        if self.done {
            return Err(Error::invalid_argument("the writer is closed"));
        }
        let batch = match is_batch {
            Some(true) => {
                if !(3..=4).contains(&image.ndim()) {
                    return Err(Error::invalid_argument(format!(
                        "a batch of PNG frames is (N, H, W) or (N, H, W, C), not {:?}",
                        image.shape()
                    )));
                }
                true
            }
            Some(false) => false,
            None => is_batch_guess(image.shape(), image.dtype())?,
        };
        let new: Vec<Frame> = if batch {
            if image.shape()[0] == 0 {
                return Err(Error::invalid_argument("cannot write an empty batch"));
            }
            (0..image.shape()[0])
                .map(|i| to_frame(&image.index_axis0(i)))
                .collect::<Result<_>>()?
        } else {
            vec![to_frame(&image)?]
        };
        let reference = match (&self.still, self.frames.first(), new.first()) {
            (Some(k), _, _) => *k,
            (None, Some(f), _) | (None, None, Some(f)) => f.key(),
            (None, None, None) => return Err(Error::invalid_argument("no image given")),
        };
        if let Some(bad) = new.iter().find(|f| f.key() != reference) {
            return Err(Error::invalid_argument(format!(
                "all APNG frames need the same size and sample type: {:?} vs {:?}",
                reference,
                bad.key()
            )));
        }
        if !batch && !self.batch && self.frames.is_empty() && self.still.is_none() {
            // The common case, one image: encode now, straight from the caller's pixels.
            let mut w = self.sink.writer()?;
            w.seek(SeekFrom::Start(0))?;
            let mut out = BufWriter::with_capacity(1 << 20, w);
            self.encode_to(&mut out, &new, false)?;
            out.flush()?;
            let mut w = out.into_inner().map_err(|e| Error::io(e.into_error()))?;
            let len = w.stream_position()?;
            w.set_len(len)?;
            self.still = Some(reference);
            return Ok(());
        }
        self.unstill()?;
        self.batch |= batch;
        self.frames.extend(new.into_iter().map(Frame::into_owned));
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if self.done {
            return Ok(());
        }
        self.done = true;
        if self.still.take().is_some() {
            return Ok(()); // already in the sink
        }
        let mut w = self.sink.writer()?;
        w.seek(SeekFrom::Start(0))?;
        let mut out = BufWriter::with_capacity(1 << 20, w);
        let frames = std::mem::take(&mut self.frames);
        self.encode_to(&mut out, &frames, true)?;
        out.flush()?;
        let mut w = out.into_inner().map_err(|e| Error::io(e.into_error()))?;
        let len = w.stream_position()?;
        w.set_len(len)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        assert_eq!(delay_fraction(100.0), (100, 1000));
        assert_eq!(delay_fraction(0.0), (0, 1000));
        let (n, d) = delay_fraction(1000.0 / 3.0);
        assert!((n as f64 / d as f64 - 1.0 / 3.0).abs() < 1e-9, "{n}/{d}");
        assert_eq!(delay_fraction(70_000.0), (70, 1));
    }

    #[test]
    fn batch_rule() {
        assert!(!is_batch_guess(&[4, 5], DType::U8).unwrap());
        assert!(!is_batch_guess(&[4, 5, 3], DType::U8).unwrap());
        assert!(is_batch_guess(&[4, 5, 6], DType::U8).unwrap());
        assert!(is_batch_guess(&[4, 5, 6, 3], DType::U8).unwrap());
        assert!(is_batch_guess(&[4, 5, 1], DType::U8).is_err());
        assert!(is_batch_guess(&[4, 5, 3], DType::Bool).unwrap());
    }
}
