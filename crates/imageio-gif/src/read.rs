//! Reading: the scan decides the layout, the `gif` crate decodes indices, [`Compositor`] builds
//! the full canvas of every frame.

use std::num::NonZeroU64;

use imageio_core::{
    DType, Error, ImageProperties, Index, Metadata, NdArray, Plugin, Request, Result, SourceReader,
    Value,
};

use crate::scan::{FrameInfo, Scan, scan};

/// The channel layout of the arrays a read returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Rgb,
    Rgba,
    Palette,
}

impl Layout {
    fn channels(self) -> Option<usize> {
        match self {
            Layout::Rgb => Some(3),
            Layout::Rgba => Some(4),
            Layout::Palette => None,
        }
    }
}

/// The `auto` rule: RGBA when any frame has a transparent index, when the first frame leaves
/// part of the canvas uncovered, when a frame is disposed to the background (which clears to
/// transparent), or when the first frame is disposed to "previous" (the empty canvas).
pub(crate) fn auto_layout(s: &Scan) -> Layout {
    let Some(f0) = s.frames.first() else {
        return Layout::Rgb;
    };
    let covers = f0.left == 0 && f0.top == 0 && f0.width >= s.width && f0.height >= s.height;
    let any_transparency = s.frames.iter().any(|f| f.transparency.is_some());
    // The disposal of the last frame is never applied, so it cannot show the background.
    let n = s.frames.len();
    let clears = s.frames[..n - 1].iter().any(|f| f.disposal == 2);
    if any_transparency || !covers || clears || (f0.disposal == 3 && n > 1) {
        Layout::Rgba
    } else {
        Layout::Rgb
    }
}

/// Composites frames onto the logical screen the way browsers do.
pub(crate) struct Compositor {
    w: usize,
    h: usize,
    /// RGBA canvas (`Rgb`/`Rgba` layouts) or indices (`Palette`).
    canvas: Vec<u8>,
    palette_mode: bool,
    /// Bytes per canvas pixel: 1 (indices), 3 (RGB), 4 (RGBA).
    bpp: usize,
    /// Disposal to apply before the next frame: (method, clipped rect, fill value).
    pending: Option<(u8, Rect, [u8; 4])>,
    /// Saved canvas rectangle for disposal 3.
    saved: Vec<u8>,
}

#[derive(Clone, Copy, Debug)]
struct Rect {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

fn rgb_of(palette: Option<&[u8]>, i: u8) -> [u8; 3] {
    let i = i as usize * 3;
    match palette {
        Some(p) if i + 3 <= p.len() => [p[i], p[i + 1], p[i + 2]],
        _ => [0, 0, 0],
    }
}

impl Compositor {
    pub(crate) fn new(s: &Scan, layout: Layout) -> Result<Self> {
        let (w, h) = (s.width as usize, s.height as usize);
        let palette_mode = layout == Layout::Palette;
        let bpp = match layout {
            Layout::Palette => 1,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        };
        let f0 = s.frames.first();
        let t0 = f0.and_then(|f| f.transparency);
        let canvas = if palette_mode {
            vec![t0.unwrap_or(s.background); w * h]
        } else {
            // Transparent black, except that the colour under transparency is the colour of the
            // first frame's transparent index (what Pillow's `convert("RGBA")` shows there).
            let rgb = match t0 {
                Some(t) => rgb_of(s.palette(0), t),
                None => [0, 0, 0],
            };
            let px = [rgb[0], rgb[1], rgb[2], 0];
            let mut c = Vec::new();
            c.try_reserve_exact(w * h * bpp)
                .map_err(|_| Error::limits("cannot allocate the canvas"))?;
            for _ in 0..w * h {
                c.extend_from_slice(&px[..bpp]);
            }
            c
        };
        Ok(Compositor {
            w,
            h,
            canvas,
            palette_mode,
            bpp,
            pending: None,
            saved: Vec::new(),
        })
    }

    fn bpp(&self) -> usize {
        self.bpp
    }

    fn clip(&self, f: &FrameInfo) -> Rect {
        let x0 = (f.left as usize).min(self.w);
        let y0 = (f.top as usize).min(self.h);
        let x1 = (f.left as usize + f.width as usize).min(self.w);
        let y1 = (f.top as usize + f.height as usize).min(self.h);
        Rect { x0, y0, x1, y1 }
    }

    fn fill(&mut self, r: Rect, px: [u8; 4]) {
        let bpp = self.bpp();
        for y in r.y0..r.y1 {
            let row = &mut self.canvas[(y * self.w + r.x0) * bpp..(y * self.w + r.x1) * bpp];
            for p in row.chunks_exact_mut(bpp) {
                p.copy_from_slice(&px[..bpp]);
            }
        }
    }

    fn copy_out(&self, r: Rect) -> Vec<u8> {
        let bpp = self.bpp();
        let mut v = Vec::with_capacity((r.x1 - r.x0) * (r.y1 - r.y0) * bpp);
        for y in r.y0..r.y1 {
            v.extend_from_slice(&self.canvas[(y * self.w + r.x0) * bpp..(y * self.w + r.x1) * bpp]);
        }
        v
    }

    fn copy_in(&mut self, r: Rect, data: &[u8]) {
        let bpp = self.bpp();
        let n = (r.x1 - r.x0) * bpp;
        for (i, y) in (r.y0..r.y1).enumerate() {
            self.canvas[(y * self.w + r.x0) * bpp..(y * self.w + r.x1) * bpp]
                .copy_from_slice(&data[i * n..(i + 1) * n]);
        }
    }

    /// Draws one frame: applies the previous frame's disposal, then the frame's opaque pixels.
    /// `indices` are the frame's `width × height` colour indices (deinterlaced).
    pub(crate) fn draw(
        &mut self,
        f: &FrameInfo,
        palette: Option<&[u8]>,
        background: u8,
        indices: &[u8],
    ) {
        if let Some((method, r, px)) = self.pending.take() {
            match method {
                2 => self.fill(r, px),
                3 => {
                    let saved = std::mem::take(&mut self.saved);
                    self.copy_in(r, &saved);
                }
                _ => {}
            }
        }
        let r = self.clip(f);
        match f.disposal {
            2 => {
                let px = if self.palette_mode {
                    [f.transparency.unwrap_or(background), 0, 0, 0]
                } else {
                    let rgb = f
                        .transparency
                        .map(|t| rgb_of(palette, t))
                        .unwrap_or([0, 0, 0]);
                    [rgb[0], rgb[1], rgb[2], 0]
                };
                self.pending = Some((2, r, px));
            }
            3 => {
                self.saved = self.copy_out(r);
                self.pending = Some((3, r, [0; 4]));
            }
            _ => {}
        }
        let fw = f.width as usize;
        let bpp = self.bpp();
        // Colour lookup table: index -> RGBA (transparent index: alpha 0, skipped below).
        let mut lut = [[0u8, 0, 0, 255]; 256];
        if !self.palette_mode {
            for (i, e) in lut.iter_mut().enumerate() {
                let c = rgb_of(palette, i as u8);
                *e = [c[0], c[1], c[2], 255];
            }
        }
        let t = f.transparency.map(|t| t as usize).unwrap_or(usize::MAX);
        if r.x0 >= r.x1 || r.y0 >= r.y1 || indices.len() < fw * f.height as usize {
            return; // entirely outside the screen
        }
        for y in r.y0..r.y1 {
            let src_row = (y - f.top as usize) * fw + (r.x0 - f.left as usize);
            let src = &indices[src_row..src_row + (r.x1 - r.x0)];
            let dst = &mut self.canvas[(y * self.w + r.x0) * bpp..(y * self.w + r.x1) * bpp];
            if self.palette_mode {
                for (d, &i) in dst.iter_mut().zip(src) {
                    if i as usize != t {
                        *d = i;
                    }
                }
            } else if bpp == 4 {
                for (d, &i) in dst.chunks_exact_mut(4).zip(src) {
                    if i as usize != t {
                        d.copy_from_slice(&lut[i as usize]);
                    }
                }
            } else {
                for (d, &i) in dst.chunks_exact_mut(3).zip(src) {
                    if i as usize != t {
                        d.copy_from_slice(&lut[i as usize][..3]);
                    }
                }
            }
        }
    }

    /// The canvas in `layout`, appended to `out`.
    pub(crate) fn emit(&self, _layout: Layout, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.canvas);
    }
}

/// Sequential decoding state: the `gif` decoder, the next frame number and the canvas after the
/// previous frame.
struct DecodeState<'a> {
    decoder: gif::Decoder<SourceReader<'a>>,
    next: usize,
    comp: Compositor,
}

/// The GIF reader plugin.
pub(crate) struct GifReader<'a> {
    req: Request<'a>,
    scan: Scan,
    layout: Layout,
    state: Option<DecodeState<'a>>,
}

/// Decodes the LZW data of a frame read with `skip_frame_decoding` (`buffer` = minimum code
/// size, then the concatenated sub-blocks) into its `width × height` colour indices, in display
/// row order. Like the `gif` crate's own frame reader, data that ends before the frame is full
/// is an error ("image truncated"); data after it is ignored.
fn lzw_indices(frame: &gif::Frame<'_>) -> Result<Vec<u8>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (&size, mut data) = frame
        .buffer
        .split_first()
        .ok_or_else(|| Error::decoding("a frame without image data"))?;
    if !(1..=11).contains(&size) {
        return Err(Error::decoding(format!(
            "invalid LZW minimum code size {size}"
        )));
    }
    let mut out = Vec::new();
    out.try_reserve_exact(w * h)
        .map_err(|_| Error::limits("cannot allocate a frame"))?;
    out.resize(w * h, 0);
    let mut dec = weezl::decode::Decoder::new(weezl::BitOrder::Lsb, size);
    let mut filled = 0;
    while filled < out.len() {
        let r = dec.decode_bytes(data, &mut out[filled..]);
        data = &data[r.consumed_in..];
        filled += r.consumed_out;
        match r.status {
            Ok(weezl::LzwStatus::Ok) if r.consumed_in > 0 || r.consumed_out > 0 => {}
            Ok(_) => break,
            Err(e) => return Err(Error::decoding(format!("LZW data: {e}"))),
        }
    }
    if filled < out.len() {
        return Err(Error::decoding("image truncated"));
    }
    if frame.interlaced && h > 1 {
        let mut rows = Vec::with_capacity(h);
        for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] {
            rows.extend((start..h).step_by(step));
        }
        let mut d = vec![0u8; w * h];
        for (src, &row) in out.chunks_exact(w.max(1)).zip(&rows) {
            d[row * w..(row + 1) * w].copy_from_slice(src);
        }
        out = d;
    }
    Ok(out)
}

fn gif_err(e: gif::DecodingError) -> Error {
    match e {
        gif::DecodingError::Io(e) => Error::from(e),
        gif::DecodingError::MemoryLimit | gif::DecodingError::OutOfMemory => {
            Error::limits(format!("gif decoder: {e}"))
        }
        e => Error::decoding(e),
    }
}

impl<'a> GifReader<'a> {
    pub(crate) fn open(req: Request<'a>) -> Result<Self> {
        if !crate::scan::sniff(req.first_bytes()) {
            return Err(Error::unsupported("no GIF signature (GIF87a/GIF89a)"));
        }
        let scan = scan(req.source()?.reader()?)?;
        if scan.frames.is_empty() {
            return Err(Error::decoding(if scan.truncated {
                "the file ends before the first image is complete"
            } else {
                "the file contains no image"
            }));
        }
        if scan.width == 0 || scan.height == 0 {
            return Err(Error::decoding(format!(
                "the logical screen is {}×{} pixels",
                scan.width, scan.height
            )));
        }
        req.limits
            .check_pixels(scan.width as u64, scan.height as u64)?;
        let layout = match req.options.get_str("mode").unwrap_or("auto") {
            "auto" => auto_layout(&scan),
            "rgb" | "RGB" => Layout::Rgb,
            "rgba" | "RGBA" => Layout::Rgba,
            "palette" | "P" => Layout::Palette,
            other => {
                return Err(Error::invalid_argument(format!(
                    "mode `{other}` is not one of auto, rgb, rgba, palette"
                )));
            }
        };
        Ok(GifReader {
            req,
            scan,
            layout,
            state: None,
        })
    }

    fn len(&self) -> usize {
        self.scan.frames.len()
    }

    fn frame_shape(&self) -> Vec<usize> {
        let mut s = vec![self.scan.height as usize, self.scan.width as usize];
        if let Some(c) = self.layout.channels() {
            s.push(c);
        }
        s
    }

    fn decode_options(&self) -> gif::DecodeOptions {
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let max = self.req.limits.max_bytes.unwrap_or(u64::MAX).max(1);
        opts.set_memory_limit(gif::MemoryLimit::Bytes(
            NonZeroU64::new(max).unwrap_or(NonZeroU64::MIN),
        ));
        opts
    }

    fn restart(&mut self) -> Result<()> {
        let mut opts = self.decode_options();
        // The LZW data are decoded by `lzw_indices`, as in `all_pipelined`: both paths give the
        // same result for every file (the `gif` crate's own frame reader, for one, refuses
        // frames of zero width or height as "image truncated").
        opts.skip_frame_decoding(true);
        let decoder = opts
            .read_info(self.req.source()?.reader()?)
            .map_err(gif_err)?;
        let comp = Compositor::new(&self.scan, self.layout)?;
        self.state = Some(DecodeState {
            decoder,
            next: 0,
            comp,
        });
        Ok(())
    }

    /// Advances the decoder so that frame `n` is on the canvas.
    fn seek(&mut self, n: usize) -> Result<&Compositor> {
        if n >= self.len() {
            return Err(Error::index_out_of_range(n, Some(self.len())));
        }
        if self.state.as_ref().is_none_or(|s| s.next > n + 1) {
            self.restart()?;
        }
        loop {
            let st = self.state.as_mut().expect("restarted above");
            if st.next == n + 1 {
                break;
            }
            let k = st.next;
            let info = &self.scan.frames[k];
            self.req
                .limits
                .check_pixels(info.width as u64, info.height as u64)?;
            let frame = match st.decoder.read_next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    let e = Error::decoding(format!("frame {k} is missing"));
                    self.state = None;
                    return Err(e);
                }
                Err(e) => {
                    self.state = None;
                    return Err(gif_err(e));
                }
            };
            if frame.width != info.width || frame.height != info.height {
                self.state = None;
                return Err(Error::decoding(format!(
                    "frame {k}: decoder and scan disagree on its size"
                )));
            }
            let indices = match lzw_indices(frame) {
                Ok(i) => i,
                Err(e) => {
                    self.state = None;
                    return Err(e);
                }
            };
            let palette = self.scan.palette(k);
            st.comp.draw(info, palette, self.scan.background, &indices);
            st.next += 1;
        }
        Ok(&self.state.as_ref().expect("decoded").comp)
    }

    fn frame(&mut self, n: usize) -> Result<NdArray> {
        let shape = self.frame_shape();
        self.req.limits.check_alloc(&shape, DType::U8)?;
        let layout = self.layout;
        let comp = self.seek(n)?;
        let mut out = Vec::with_capacity(shape.iter().product());
        comp.emit(layout, &mut out);
        NdArray::from_shape_vec(&shape, out)
    }

    fn all(&mut self) -> Result<NdArray> {
        let n = self.len();
        let mut shape = vec![n];
        shape.extend(self.frame_shape());
        self.req.limits.check_alloc(&shape, DType::U8)?;
        let layout = self.layout;
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        if n >= 4 && threads >= 2 {
            let out = self.all_pipelined(shape.iter().product(), threads.min(4))?;
            return NdArray::from_shape_vec(&shape, out);
        }
        let mut out = Vec::with_capacity(shape.iter().product());
        for k in 0..n {
            let comp = self.seek(k)?;
            comp.emit(layout, &mut out);
        }
        NdArray::from_shape_vec(&shape, out)
    }

    /// Every frame, with the LZW decoding spread over `workers` threads while this thread
    /// composites frame after frame straight into the output (LZW is about three quarters of
    /// the work). The compressed frames are read first (the `gif` crate's
    /// `skip_frame_decoding`); worker `i` decodes frames `i, i + workers, …` into index buffers
    /// and hands them over in order through its own bounded channel, so at most a few decoded
    /// frames wait at any time. The result is the sequential path's, byte for byte.
    fn all_pipelined(&mut self, total: usize, workers: usize) -> Result<Vec<u8>> {
        self.state = None;
        let n = self.len();
        let mut opts = self.decode_options();
        opts.skip_frame_decoding(true);
        let mut decoder = opts
            .read_info(self.req.source()?.reader()?)
            .map_err(gif_err)?;
        let mut raw: Vec<gif::Frame<'static>> = Vec::with_capacity(n);
        for (k, info) in self.scan.frames.iter().enumerate() {
            self.req
                .limits
                .check_pixels(info.width as u64, info.height as u64)?;
            let frame = match decoder.read_next_frame().map_err(gif_err)? {
                Some(f) => f.clone(),
                None => return Err(Error::decoding(format!("frame {k} is missing"))),
            };
            if frame.width != info.width || frame.height != info.height {
                return Err(Error::decoding(format!(
                    "frame {k}: decoder and scan disagree on its size"
                )));
            }
            raw.push(frame);
        }
        drop(decoder);
        let mut comp = Compositor::new(&self.scan, self.layout)?;
        let mut out = Vec::new();
        out.try_reserve_exact(total)
            .map_err(|_| Error::limits("cannot allocate the frames"))?;
        let (scan, layout, raw) = (&self.scan, self.layout, &raw);
        std::thread::scope(|s| -> Result<()> {
            let mut inbox = Vec::with_capacity(workers);
            let mut handles = Vec::with_capacity(workers);
            for i in 0..workers {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>>>(2);
                handles.push(s.spawn(move || {
                    for frame in raw.iter().skip(i).step_by(workers) {
                        let r = lzw_indices(frame);
                        let failed = r.is_err();
                        if tx.send(r).is_err() || failed {
                            break;
                        }
                    }
                }));
                inbox.push(rx);
            }
            let composited = (|| {
                for k in 0..n {
                    let indices = inbox[k % workers].recv().map_err(|_| {
                        Error::decoding(format!("frame {k}: LZW decoder stopped"))
                    })??;
                    let info = &scan.frames[k];
                    if indices.len() < info.width as usize * info.height as usize {
                        return Err(Error::decoding(format!(
                            "frame {k}: decoder and scan disagree on its size"
                        )));
                    }
                    comp.draw(info, scan.palette(k), scan.background, &indices);
                    comp.emit(layout, &mut out);
                }
                Ok(())
            })();
            // Closing the channels stops workers still decoding (after an error); joining them
            // explicitly waits for their thread-local destructors too, which the scope's implicit
            // join does not (rust-lang/rust#116179): no worker outlives the read.
            drop(inbox);
            for h in handles {
                if h.join().is_err() {
                    return Err(Error::decoding("GIF: an LZW decoder thread panicked"));
                }
            }
            composited
        })?;
        Ok(out)
    }

    fn frame_meta(&self, k: usize, exclude_applied: bool) -> Metadata {
        let f = &self.scan.frames[k];
        let mut m = Metadata::new();
        m.insert("duration".into(), Value::Int(f.delay_cs as i64 * 10));
        m.insert("disposal".into(), Value::Int(f.disposal as i64));
        if let Some(t) = f.transparency {
            m.insert("transparency".into(), Value::Int(t as i64));
        }
        if let Some(c) = &f.comment {
            m.insert("comment".into(), text(c));
        }
        m.insert(
            "position".into(),
            Value::List(vec![Value::Int(f.top as i64), Value::Int(f.left as i64)]),
        );
        m.insert(
            "frame_shape".into(),
            Value::List(vec![
                Value::Int(f.height as i64),
                Value::Int(f.width as i64),
            ]),
        );
        m.insert("interlaced".into(), Value::Bool(f.interlaced));
        m.insert(
            "local_palette".into(),
            Value::Bool(f.local_palette.is_some()),
        );
        if !exclude_applied || self.layout == Layout::Palette {
            if let Some(p) = self.scan.palette(k) {
                m.insert("palette".into(), Value::Array(unique_colours(p)));
                m.insert("color_table".into(), Value::Array(color_table(p)));
            }
        }
        m
    }

    fn file_meta(&self, exclude_applied: bool) -> Metadata {
        let s = &self.scan;
        let mut m = Metadata::new();
        m.insert("version".into(), Value::Str(s.version.clone()));
        if let Some(l) = s.loop_count {
            m.insert("loop".into(), Value::Int(l as i64));
        }
        if s.global_palette.is_some() {
            m.insert("background".into(), Value::Int(s.background as i64));
        }
        let comments: Vec<&[u8]> = s
            .frames
            .iter()
            .filter_map(|f| f.comment.as_deref())
            .chain(s.trailing_comment.as_deref())
            .collect();
        if !comments.is_empty() {
            m.insert("comment".into(), text(&comments.join(&b'\n')));
        }
        m.insert(
            "duration".into(),
            Value::Int(s.frames[0].delay_cs as i64 * 10),
        );
        m.insert(
            "durations".into(),
            Value::List(
                s.frames
                    .iter()
                    .map(|f| Value::Int(f.delay_cs as i64 * 10))
                    .collect(),
            ),
        );
        m.insert(
            "disposals".into(),
            Value::List(
                s.frames
                    .iter()
                    .map(|f| Value::Int(f.disposal as i64))
                    .collect(),
            ),
        );
        if let Some(t) = s.frames[0].transparency {
            m.insert("transparency".into(), Value::Int(t as i64));
        }
        m.insert("n_frames".into(), Value::Int(s.frames.len() as i64));
        m.insert(
            "shape".into(),
            Value::List(vec![
                Value::Int(s.height as i64),
                Value::Int(s.width as i64),
            ]),
        );
        m.insert(
            "mode".into(),
            Value::Str(
                match self.layout {
                    Layout::Rgb => "RGB",
                    Layout::Rgba => "RGBA",
                    Layout::Palette => "P",
                }
                .into(),
            ),
        );
        if s.truncated {
            m.insert("truncated".into(), Value::Bool(true));
        }
        if !exclude_applied || self.layout == Layout::Palette {
            if let Some(p) = s.palette(0) {
                m.insert("palette".into(), Value::Array(unique_colours(p)));
                m.insert("color_table".into(), Value::Array(color_table(p)));
            }
        }
        m
    }
}

fn text(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::Str(s.to_owned()),
        Err(_) => Value::Bytes(b.to_vec()),
    }
}

fn color_table(p: &[u8]) -> NdArray {
    let n = p.len() / 3;
    NdArray::from_shape_vec(&[n, 3], p[..n * 3].to_vec()).expect("n×3")
}

/// The distinct colours of a table in order of first appearance (Pillow's `palette.colors`).
fn unique_colours(p: &[u8]) -> NdArray {
    let mut seen = std::collections::HashSet::new();
    let mut v = Vec::new();
    for c in p.chunks_exact(3) {
        if seen.insert([c[0], c[1], c[2]]) {
            v.extend_from_slice(c);
        }
    }
    let n = v.len() / 3;
    NdArray::from_shape_vec(&[n, 3], v).expect("n×3")
}

impl Plugin for GifReader<'_> {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match index.or(Index::All) {
            Index::At(n) => {
                if n >= self.len() {
                    return Err(Error::index_out_of_range(n, Some(self.len())));
                }
                self.frame(n)
            }
            _ => self.all(),
        }
    }

    fn iter_next(&mut self, position: usize) -> Result<Option<NdArray>> {
        if position >= self.len() {
            return Ok(None);
        }
        self.frame(position).map(Some)
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        match index.or(Index::All) {
            Index::At(n) if n >= self.len() => Err(Error::index_out_of_range(n, Some(self.len()))),
            Index::At(_) => Ok(ImageProperties::single(self.frame_shape(), DType::U8)),
            _ => Ok(ImageProperties::batch(
                self.len(),
                &self.frame_shape(),
                DType::U8,
            )),
        }
    }

    fn metadata(&mut self, index: Index, exclude_applied: bool) -> Result<Metadata> {
        match index {
            Index::At(n) if n >= self.len() => Err(Error::index_out_of_range(n, Some(self.len()))),
            Index::At(n) => {
                let mut m = self.file_meta(true);
                for k in [
                    "comment",
                    "transparency",
                    "palette",
                    "color_table",
                    "duration",
                ] {
                    m.shift_remove(k);
                }
                m.extend(self.frame_meta(n, exclude_applied));
                Ok(m)
            }
            _ => Ok(self.file_meta(exclude_applied)),
        }
    }
}
