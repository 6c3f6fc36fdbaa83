//! Writing: frames are quantised and encoded as they arrive (constant memory).

use std::borrow::Cow;
use std::io::{BufWriter, Write};

use imageio_core::{Error, NdView, Options, Plugin, Request, Result, SinkWriter, Value};

use crate::quant::{Quantizer, quantise};

/// Parsed write options.
#[derive(Clone, Debug)]
pub(crate) struct WriteOpts {
    /// Milliseconds per frame: one value for all, or one per frame.
    pub durations: Vec<f64>,
    pub loop_count: Option<u16>,
    pub palettesize: usize,
    pub quantizer: Quantizer,
    pub dither: bool,
    pub subrectangles: bool,
    pub disposal: Option<u8>,
    pub speed: i32,
}

fn bad(msg: String) -> Error {
    Error::invalid_argument(msg)
}

impl WriteOpts {
    pub(crate) fn parse(o: &Options) -> Result<Self> {
        if o.contains("duration") && o.contains("fps") {
            return Err(bad("give either `duration` (ms) or `fps`, not both".into()));
        }
        let durations = if let Some(fps) = o.get_float("fps") {
            if !(fps > 0.0 && fps.is_finite()) {
                return Err(bad(format!("fps must be > 0, got {fps}")));
            }
            vec![1000.0 / fps]
        } else if let Some(list) = o.get_list("duration") {
            let v: Option<Vec<f64>> = list.iter().map(Value::as_float).collect();
            let v = v.ok_or_else(|| bad("`duration` must be numbers (milliseconds)".into()))?;
            if v.is_empty() {
                return Err(bad("`duration` is an empty list".into()));
            }
            v
        } else {
            vec![100.0]
        };
        if let Some(d) = durations.iter().find(|d| !(**d >= 0.0 && **d <= 655_350.0)) {
            return Err(bad(format!(
                "duration {d} ms is outside 0..=655350 ms (GIF stores hundredths of a second in 16 bits)"
            )));
        }
        let loop_count = match o.get_int("loop") {
            None => Some(0),
            Some(l) if l < 0 => None,
            Some(l) if l <= u16::MAX as i64 => Some(l as u16),
            Some(l) => return Err(bad(format!("loop {l} is larger than 65535"))),
        };
        let palettesize = match o.get_int("palettesize") {
            None => 256,
            Some(p) if (2..=256).contains(&p) => (p as usize).next_power_of_two(),
            Some(p) => return Err(bad(format!("palettesize must be in 2..=256, got {p}"))),
        };
        let quantizer = match o.get_str("quantizer").unwrap_or("mediancut") {
            "neuquant" | "nq" => Quantizer::NeuQuant,
            "mediancut" | "median_cut" | "mc" => Quantizer::MedianCut,
            q => {
                return Err(bad(format!(
                    "quantizer `{q}` is not one of mediancut, neuquant"
                )));
            }
        };
        let disposal = match o.get_int("disposal") {
            None => None,
            Some(d) if (0..=3).contains(&d) => Some(d as u8),
            Some(d) => {
                return Err(bad(format!(
                    "disposal must be 0 (none), 1 (keep), 2 (background) or 3 (previous), got {d}"
                )));
            }
        };
        let speed = match o.get_int("quantizer_speed") {
            None => 10,
            Some(s) if (1..=30).contains(&s) => s as i32,
            Some(s) => return Err(bad(format!("quantizer_speed must be in 1..=30, got {s}"))),
        };
        Ok(WriteOpts {
            durations,
            loop_count,
            palettesize,
            quantizer,
            dither: o.get_bool("dither").unwrap_or(false),
            subrectangles: o.get_bool("subrectangles").unwrap_or(true),
            disposal,
            speed,
        })
    }
}

/// The GIF writer plugin.
pub(crate) struct GifWriter<'a> {
    req: Request<'a>,
    opts: WriteOpts,
    enc: Option<gif::Encoder<BufWriter<SinkWriter>>>,
    size: (usize, usize),
    written: usize,
    /// The previous frame as given (RGBA), for sub-rectangles.
    prev: Vec<u8>,
    prev_transparent: bool,
    closed: bool,
}

fn enc_err(e: gif::EncodingError) -> Error {
    match e {
        gif::EncodingError::Io(e) => Error::io(e),
        e => Error::encoding(e),
    }
}

impl<'a> GifWriter<'a> {
    pub(crate) fn open(req: Request<'a>) -> Result<Self> {
        let opts = WriteOpts::parse(&req.options)?;
        req.sink()?;
        Ok(GifWriter {
            req,
            opts,
            enc: None,
            size: (0, 0),
            written: 0,
            prev: Vec::new(),
            prev_transparent: false,
            closed: false,
        })
    }

    fn delay_cs(&self, frame: usize) -> Result<u16> {
        let d = &self.opts.durations;
        let ms = if d.len() == 1 {
            d[0]
        } else {
            *d.get(frame).ok_or_else(|| {
                bad(format!(
                    "`duration` lists {} values but frame {} is being written",
                    d.len(),
                    frame + 1
                ))
            })?
        };
        Ok((ms / 10.0).round() as u16)
    }

    fn write_frame(&mut self, rgba: Vec<u8>, h: usize, w: usize, has_alpha: bool) -> Result<()> {
        if self.enc.is_none() {
            if w > u16::MAX as usize || h > u16::MAX as usize || w == 0 || h == 0 {
                return Err(bad(format!(
                    "a GIF frame must be 1..=65535 pixels per side, got {h}×{w}"
                )));
            }
            let sink = BufWriter::with_capacity(1 << 16, self.req.sink()?.writer()?);
            let mut enc = gif::Encoder::new(sink, w as u16, h as u16, &[]).map_err(enc_err)?;
            if let Some(l) = self.opts.loop_count {
                let r = if l == 0 {
                    gif::Repeat::Infinite
                } else {
                    gif::Repeat::Finite(l)
                };
                enc.set_repeat(r).map_err(enc_err)?;
            }
            self.enc = Some(enc);
            self.size = (h, w);
        } else if self.size != (h, w) {
            return Err(bad(format!(
                "every frame of a GIF has the size of the first ({}×{}), got {h}×{w}",
                self.size.0, self.size.1
            )));
        }
        let delay = self.delay_cs(self.written)?;
        let transparent = has_alpha && rgba.chunks_exact(4).any(|p| p[3] < 128);
        let disposal = self.opts.disposal.unwrap_or(if has_alpha { 2 } else { 1 });
        let sub = self.opts.subrectangles
            && disposal <= 1
            && !transparent
            && !self.prev_transparent
            && self.prev.len() == rgba.len();
        let (x0, y0, x1, y1) = if sub {
            changed_box(&self.prev, &rgba, w, h)
        } else {
            (0, 0, w, h)
        };
        let crop: Cow<'_, [u8]> = if (x0, y0, x1, y1) == (0, 0, w, h) {
            Cow::Borrowed(&rgba)
        } else {
            let mut c = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
            for y in y0..y1 {
                c.extend_from_slice(&rgba[(y * w + x0) * 4..(y * w + x1) * 4]);
            }
            Cow::Owned(c)
        };
        let q = quantise(
            &crop,
            x1 - x0,
            self.opts.palettesize,
            self.opts.quantizer,
            self.opts.dither,
            self.opts.speed,
            has_alpha,
        );
        let frame = gif::Frame {
            delay,
            dispose: gif::DisposalMethod::from_u8(disposal).unwrap_or(gif::DisposalMethod::Keep),
            transparent: q.transparent,
            needs_user_input: false,
            top: y0 as u16,
            left: x0 as u16,
            width: (x1 - x0) as u16,
            height: (y1 - y0) as u16,
            interlaced: false,
            palette: Some(q.palette),
            buffer: Cow::Owned(q.indices),
        };
        self.enc
            .as_mut()
            .expect("created above")
            .write_frame(&frame)
            .map_err(enc_err)?;
        self.written += 1;
        self.prev = rgba;
        self.prev_transparent = transparent;
        Ok(())
    }
}

/// The bounding box of the pixels that differ (at least one pixel, so the frame is never empty).
fn changed_box(a: &[u8], b: &[u8], w: usize, h: usize) -> (usize, usize, usize, usize) {
    let row = |y: usize| a[y * w * 4..(y + 1) * w * 4] != b[y * w * 4..(y + 1) * w * 4];
    let Some(y0) = (0..h).find(|&y| row(y)) else {
        return (0, 0, 1, 1);
    };
    let y1 = (0..h).rev().find(|&y| row(y)).expect("y0 differs") + 1;
    let col = |x: usize| {
        (y0..y1).any(|y| {
            a[(y * w + x) * 4..(y * w + x) * 4 + 4] != b[(y * w + x) * 4..(y * w + x) * 4 + 4]
        })
    };
    let x0 = (0..w).find(|&x| col(x)).expect("a row differs");
    let x1 = (0..w).rev().find(|&x| col(x)).expect("a row differs") + 1;
    (x0, y0, x1, y1)
}

/// Expands one `(H, W)`, `(H, W, 1)`, `(H, W, 3)` or `(H, W, 4)` u8 image to RGBA.
fn to_rgba(img: &NdView<'_>) -> Result<(Vec<u8>, usize, usize, bool)> {
    let a = img.as_array::<u8>().ok_or_else(|| {
        bad(format!(
            "GIF stores 8-bit images: got {} data; convert to uint8 first (e.g. scale to 0..=255)",
            img.dtype()
        ))
    })?;
    let shape = a.shape().to_vec();
    let (h, w, c) = match shape[..] {
        [h, w] => (h, w, 1),
        [h, w, c] if matches!(c, 1 | 3 | 4) => (h, w, c),
        _ => {
            return Err(bad(format!(
                "a GIF frame is (H, W), (H, W, 3) or (H, W, 4); got shape {shape:?}"
            )));
        }
    };
    let mut out = Vec::with_capacity(h * w * 4);
    let mut push = |px: &[u8]| match c {
        1 => out.extend_from_slice(&[px[0], px[0], px[0], 255]),
        3 => out.extend_from_slice(&[px[0], px[1], px[2], 255]),
        _ => out.extend_from_slice(px),
    };
    match a.as_slice() {
        Some(s) => s.chunks_exact(c).for_each(&mut push),
        None => {
            let v: Vec<u8> = a.iter().copied().collect();
            v.chunks_exact(c).for_each(&mut push);
        }
    }
    Ok((out, h, w, c == 4))
}

impl Plugin for GifWriter<'_> {
    fn read(&mut self, _: imageio_core::Index) -> Result<imageio_core::NdArray> {
        Err(Error::unsupported("opened for writing"))
    }
    fn properties(&mut self, _: imageio_core::Index) -> Result<imageio_core::ImageProperties> {
        Err(Error::unsupported("opened for writing"))
    }
    fn metadata(&mut self, _: imageio_core::Index, _: bool) -> Result<imageio_core::Metadata> {
        Err(Error::unsupported("opened for writing"))
    }

    fn write(&mut self, image: NdView<'_>, is_batch: Option<bool>) -> Result<()> {
        if self.closed {
            return Err(bad("the writer is closed".into()));
        }
        let nd = image.ndim();
        let shape = image.shape().to_vec();
        let batch = match is_batch {
            Some(b) => b,
            None => match nd {
                2 => false,
                3 => !matches!(shape[2], 1 | 3 | 4),
                4 => true,
                _ => {
                    return Err(bad(format!(
                        "cannot write an array of shape {shape:?} as GIF: give (H, W[, C]) or (N, H, W[, C])"
                    )));
                }
            },
        };
        if batch {
            if nd < 3 {
                return Err(bad(format!(
                    "is_batch is set but the array has shape {shape:?}"
                )));
            }
            for k in 0..shape[0] {
                let (rgba, h, w, alpha) = to_rgba(&image.index_axis0(k))?;
                self.write_frame(rgba, h, w, alpha)?;
            }
            Ok(())
        } else {
            let (rgba, h, w, alpha) = to_rgba(&image)?;
            self.write_frame(rgba, h, w, alpha)
        }
    }

    fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        match self.enc.take() {
            Some(enc) => {
                let mut w = enc.into_inner().map_err(enc_err)?;
                w.flush()?;
                Ok(())
            }
            None => Err(bad(
                "no frame was written: a GIF needs at least one image".into()
            )),
        }
    }
}
