//! Compression codecs, predictors and byte swapping.

use std::io::Read;

use imageio_core::{Error, Result};

/// Decompresses one segment into `out` (which has the expected decoded size).
pub(crate) fn decompress(compression: u16, src: &[u8], out: &mut [u8]) -> Result<()> {
    match compression {
        5 => lzw(src, out),
        8 | 32946 => inflate(src, out),
        32773 => packbits(src, out),
        50000 | 34926 => zstd(src, out),
        c => Err(Error::decoding(format!("compression {c} is not supported"))),
    }
}

/// CCITT Group 4 (T.6, compression 4) or 1-D Group 3 (T.4, compression 3) bilevel data of
/// `rows` rows of `width` pixels into packed rows (MSB first; a pixel is 1 where the fax run is
/// black): the stored sample values libtiff decodes, which tifffile returns as they are.
/// `out` must be zeroed.
pub(crate) fn ccitt(
    compression: u16,
    t4options: u64,
    src: &[u8],
    width: usize,
    rows: usize,
    out: &mut [u8],
) -> Result<()> {
    let srow = width.div_ceil(8);
    let w = u32::try_from(width).map_err(|_| Error::decoding("CCITT image too wide"))?;
    let h = u32::try_from(rows).map_err(|_| Error::decoding("CCITT strip too high"))?;
    if out.len() < srow * rows {
        return Err(Error::decoding("internal: CCITT output too small"));
    }
    let mut y = 0usize;
    let mut put = |transitions: &[u32]| {
        if y >= rows {
            return;
        }
        let row = &mut out[y * srow..][..srow];
        for (x, c) in fax::decoder::pels(transitions, w).enumerate() {
            if c == fax::Color::Black {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
        y += 1;
    };
    let done = match compression {
        4 => fax::decoder::decode_g4(src.iter().copied(), w, Some(h), &mut put).is_some(),
        3 if t4options & 1 == 0 => {
            // TIFF's Group 3: an EOL before every row, no RTC at the end (so the last row is
            // followed by no EOL, which `fax::decoder::decode_g3` takes as an error)
            let reader = src.iter().map(|&b| Ok::<u8, std::convert::Infallible>(b));
            let mut dec = fax::decoder::Group3Decoder::new(reader)
                .map_err(|_| Error::decoding("corrupt CCITT Group 3 data (no EOL)"))?;
            let mut ok = true;
            for r in 0..rows {
                match dec.advance() {
                    Ok(_) => put(dec.transitions()),
                    // a complete last row (its runs reach the width), then the end of the data
                    Err(_) if r + 1 == rows && dec.transitions().last() == Some(&w) => {
                        put(dec.transitions())
                    }
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            ok
        }
        3 => {
            return Err(Error::decoding(
                "2-D CCITT Group 3 data (T4Options bit 0) are not supported",
            ));
        }
        c => return Err(Error::decoding(format!("compression {c} is not CCITT"))),
    };
    if !done || y < rows {
        return Err(Error::decoding(format!(
            "corrupt CCITT data (decoded {y} of {rows} rows)"
        )));
    }
    Ok(())
}

#[cfg(feature = "libdeflate")]
thread_local! {
    static INFLATE: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

fn inflate(src: &[u8], out: &mut [u8]) -> Result<()> {
    // With the `libdeflate` feature, libdeflate decodes a whole zlib stream into the strip's
    // known size (the common case); streams it refuses (truncated, longer than the strip, bad
    // checksum) go through flate2 (zlib-rs), which keeps what decodes, like libtiff.
    #[cfg(feature = "libdeflate")]
    if INFLATE
        .with(|d| d.borrow_mut().zlib_decompress(src, out))
        .is_ok()
    {
        return Ok(());
    }
    inflate_streaming(src, out)
}

fn inflate_streaming(src: &[u8], out: &mut [u8]) -> Result<()> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut d = Decompress::new(true);
    loop {
        let (i, o) = (d.total_in() as usize, d.total_out() as usize);
        let status = d
            .decompress(&src[i..], &mut out[o..], FlushDecompress::Finish)
            .map_err(|e| Error::decoding(format!("deflate: {e}")))?;
        let done = d.total_out() as usize >= out.len();
        match status {
            Status::StreamEnd => return Ok(()),
            _ if done => return Ok(()),
            _ if d.total_in() as usize == i && d.total_out() as usize == o => {
                // truncated stream: keep what was decoded (the rest stays zero), like libtiff
                return Ok(());
            }
            _ => {}
        }
    }
}

fn lzw(src: &[u8], out: &mut [u8]) -> Result<()> {
    use weezl::{BitOrder, LzwStatus, decode::Decoder};
    // Old-style (pre-6.0, LSB first) LZW starts with a clear code written LSB first.
    let mut dec = if src.len() >= 2 && src[0] == 0 && src[1] & 1 == 1 {
        Decoder::new(BitOrder::Lsb, 8)
    } else {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    };
    let (mut i, mut o) = (0, 0);
    while o < out.len() {
        let r = dec.decode_bytes(&src[i..], &mut out[o..]);
        i += r.consumed_in;
        o += r.consumed_out;
        match r.status {
            Ok(LzwStatus::Ok) if r.consumed_in == 0 && r.consumed_out == 0 => break,
            Ok(LzwStatus::Ok) => {}
            Ok(LzwStatus::Done) | Ok(LzwStatus::NoProgress) => break,
            Err(e) => {
                if o > 0 {
                    break; // libtiff keeps the decoded part of a damaged strip
                }
                return Err(Error::decoding(format!("LZW: {e}")));
            }
        }
    }
    Ok(())
}

fn packbits(src: &[u8], out: &mut [u8]) -> Result<()> {
    let (mut i, mut o) = (0usize, 0usize);
    while i < src.len() && o < out.len() {
        let n = src[i] as i8;
        i += 1;
        if n >= 0 {
            let k = (n as usize + 1).min(src.len() - i).min(out.len() - o);
            out[o..o + k].copy_from_slice(&src[i..i + k]);
            i += n as usize + 1;
            o += k;
        } else if n != -128 {
            let k = (1 - n as isize) as usize;
            let Some(&b) = src.get(i) else { break };
            i += 1;
            let k = k.min(out.len() - o);
            out[o..o + k].fill(b);
            o += k;
        }
    }
    Ok(())
}

fn zstd(src: &[u8], out: &mut [u8]) -> Result<()> {
    let mut d = ruzstd::decoding::StreamingDecoder::new(src)
        .map_err(|e| Error::decoding(format!("zstd: {e}")))?;
    let mut o = 0;
    while o < out.len() {
        match d.read(&mut out[o..]) {
            Ok(0) => break,
            Ok(n) => o += n,
            Err(e) => return Err(Error::decoding(format!("zstd: {e}"))),
        }
    }
    Ok(())
}

/// Decodes one JPEG segment (with the page's JPEGTables) to gray, RGB or CMYK bytes.
pub(crate) fn jpeg(
    src: &[u8],
    tables: Option<&[u8]>,
    spp: usize,
    width: usize,
    rows: usize,
) -> Result<Vec<u8>> {
    let stream = with_tables(src, tables);
    // a segment's JPEG is never larger than the segment: hostile headers are refused early
    // 3 samples: YCbCr (or RGB per the stream's markers) to RGB. 4 samples: the components as
    // stored, like libjpeg under tifffile: CMYK, and also RGB + alpha (libtiff writes those as
    // 4-component JPEGs without a colour transform; decoding them as 3-channel RGB mixed the
    // channels up). 2 samples (gray + alpha) have no decoder here: an error, not wrong pixels.
    let channels = match spp {
        1 | 3 | 4 => spp,
        n => {
            return Err(Error::decoding(format!(
                "JPEG-compressed pages with {n} samples per pixel are not supported (1, 3 or 4)"
            )));
        }
    };
    // with the `turbo` feature 8-bit JPEG is decoded by libjpeg-turbo too: tifffile's pixels
    // exactly (zune-jpeg rounds differently)
    #[cfg(feature = "turbo")]
    return crate::turbo::decode8(&stream, channels, width + 16, rows + 16).map(|d| d.0);
    #[cfg(not(feature = "turbo"))]
    jpeg_zune(&stream, channels, width, rows)
}

/// 8-bit JPEG through zune-jpeg (pure Rust; the default build).
#[cfg(not(feature = "turbo"))]
fn jpeg_zune(stream: &[u8], channels: usize, width: usize, rows: usize) -> Result<Vec<u8>> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let cs = match channels {
        1 => ColorSpace::Luma,
        4 => ColorSpace::CMYK,
        _ => ColorSpace::RGB,
    };
    let opts = DecoderOptions::default()
        .jpeg_set_out_colorspace(cs)
        .set_max_width(width + 16)
        .set_max_height(rows + 16);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(stream), opts);
    d.decode()
        .map_err(|e| Error::decoding(format!("JPEG: {e:?}")))
}

/// A strip/tile JPEG stream with the page's JPEGTables (SOI tables EOI) put in front of it:
/// the tables without their EOI, then the stream without its SOI.
fn with_tables<'a>(src: &'a [u8], tables: Option<&[u8]>) -> std::borrow::Cow<'a, [u8]> {
    match tables {
        Some(t) if t.len() > 4 && src.len() > 2 => {
            let mut v = Vec::with_capacity(t.len() + src.len());
            v.extend_from_slice(&t[..t.len() - 2]);
            v.extend_from_slice(&src[2..]);
            std::borrow::Cow::Owned(v)
        }
        _ => std::borrow::Cow::Borrowed(src),
    }
}

/// Decodes one 12-bit JPEG segment (with the page's JPEGTables) to native-endian u16 sample
/// bytes, gray or RGB (from YCbCr), through libjpeg-turbo (feature `turbo`). Returns the
/// decoded bytes and the JPEG's own (width, height), which is at most `width × rows`.
/// Without the feature 12-bit JPEG cannot be decoded: a clear error naming the feature.
pub(crate) fn jpeg12(
    src: &[u8],
    tables: Option<&[u8]>,
    spp: usize,
    width: usize,
    rows: usize,
) -> Result<(Vec<u8>, usize, usize)> {
    #[cfg(feature = "turbo")]
    return crate::turbo::decode12(&with_tables(src, tables), spp, width, rows);
    #[cfg(not(feature = "turbo"))]
    {
        let _ = (src, tables, spp, width, rows);
        Err(Error::decoding(NO_TURBO_12BIT))
    }
}

/// Why 12-bit JPEG is refused without the `turbo` feature (reading and writing).
#[cfg(not(feature = "turbo"))]
pub(crate) const NO_TURBO_12BIT: &str = "12-bit JPEG needs libjpeg-turbo: build imageio-rs with \
    the `tiff-turbo` feature (feature `turbo` of imageio-tiff); the pure-Rust JPEG codecs \
    handle 8-bit samples only";

/// Reverses the bytes of every `size`-byte sample.
pub(crate) fn swap(d: &mut [u8], size: usize) {
    match size {
        2 => d.chunks_exact_mut(2).for_each(|c| c.swap(0, 1)),
        4 => d.chunks_exact_mut(4).for_each(|c| c.reverse()),
        8 => d.chunks_exact_mut(8).for_each(|c| c.reverse()),
        _ => {}
    }
}

/// Undoes TIFF predictor 2 on one row of native-endian samples of `size` bytes.
pub(crate) fn unpredict_horizontal(row: &mut [u8], size: usize, spp: usize) {
    macro_rules! acc {
        ($t:ty) => {{
            const S: usize = std::mem::size_of::<$t>();
            let n = row.len() / S;
            for i in spp..n {
                let a =
                    <$t>::from_ne_bytes(row[(i - spp) * S..(i - spp + 1) * S].try_into().unwrap());
                let b = <$t>::from_ne_bytes(row[i * S..(i + 1) * S].try_into().unwrap());
                row[i * S..(i + 1) * S].copy_from_slice(&b.wrapping_add(a).to_ne_bytes());
            }
        }};
    }
    match size {
        1 => {
            for i in spp..row.len() {
                row[i] = row[i].wrapping_add(row[i - spp]);
            }
        }
        2 => acc!(u16),
        4 => acc!(u32),
        8 => acc!(u64),
        _ => {}
    }
}

/// Applies TIFF predictor 2 (encode) to one row; the inverse of [`unpredict_horizontal`].
pub(crate) fn predict_horizontal(row: &mut [u8], size: usize, spp: usize) {
    macro_rules! diff {
        ($t:ty) => {{
            const S: usize = std::mem::size_of::<$t>();
            let n = row.len() / S;
            for i in (spp..n).rev() {
                let a =
                    <$t>::from_ne_bytes(row[(i - spp) * S..(i - spp + 1) * S].try_into().unwrap());
                let b = <$t>::from_ne_bytes(row[i * S..(i + 1) * S].try_into().unwrap());
                row[i * S..(i + 1) * S].copy_from_slice(&b.wrapping_sub(a).to_ne_bytes());
            }
        }};
    }
    match size {
        1 => {
            for i in (spp..row.len()).rev() {
                row[i] = row[i].wrapping_sub(row[i - spp]);
            }
        }
        2 => diff!(u16),
        4 => diff!(u32),
        8 => diff!(u64),
        _ => {}
    }
}

/// Undoes TIFF predictor 3 on one row (result in native byte order).
pub(crate) fn unpredict_float(row: &mut [u8], size: usize, spp: usize) {
    for i in spp..row.len() {
        row[i] = row[i].wrapping_add(row[i - spp]);
    }
    let tmp = row.to_vec();
    let wc = row.len() / size;
    let be = cfg!(target_endian = "big");
    for c in 0..wc {
        for b in 0..size {
            let plane = if be { b } else { size - b - 1 };
            row[size * c + b] = tmp[plane * wc + c];
        }
    }
}

/// Applies TIFF predictor 3 (encode) to one row of native-endian floats.
pub(crate) fn predict_float(row: &mut [u8], size: usize, spp: usize) {
    let tmp = row.to_vec();
    let wc = row.len() / size;
    let be = cfg!(target_endian = "big");
    for c in 0..wc {
        for b in 0..size {
            let plane = if be { b } else { size - b - 1 };
            row[plane * wc + c] = tmp[size * c + b];
        }
    }
    for i in (spp..row.len()).rev() {
        row[i] = row[i].wrapping_sub(row[i - spp]);
    }
}

#[cfg(feature = "libdeflate")]
thread_local! {
    /// One libdeflate compressor per thread (its state is a few hundred KB), reused by level.
    static DEFLATE: std::cell::RefCell<Option<(libdeflater::CompressionLvl, libdeflater::Compressor)>> =
        const { std::cell::RefCell::new(None) };
}

/// zlib stream at `level` (default 6 like tifffile): libdeflate (levels 0–12, tifffile's codec)
/// with the `libdeflate` feature, else zlib-rs through flate2 (levels 0–9).
#[cfg(feature = "libdeflate")]
fn deflate(src: &[u8], level: i64) -> Result<Vec<u8>> {
    let lvl = libdeflater::CompressionLvl::new(level.clamp(0, 12) as i32)
        .map_err(|e| Error::encoding(format!("deflate level: {e:?}")))?;
    DEFLATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let c = match slot.as_mut() {
            Some((l, c)) if *l == lvl => c,
            _ => &mut slot.insert((lvl, libdeflater::Compressor::new(lvl))).1,
        };
        let mut out = vec![0u8; c.zlib_compress_bound(src.len())];
        let n = c
            .zlib_compress(src, &mut out)
            .map_err(|e| Error::encoding(format!("deflate: {e:?}")))?;
        out.truncate(n);
        Ok(out)
    })
}

#[cfg(not(feature = "libdeflate"))]
fn deflate(src: &[u8], level: i64) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(src.len() / 2),
        flate2::Compression::new(level.clamp(0, 9) as u32),
    );
    e.write_all(src).map_err(Error::io)?;
    e.finish().map_err(Error::io)
}

/// Compresses one segment.
pub(crate) fn compress(compression: u16, src: &[u8], level: Option<i64>) -> Result<Vec<u8>> {
    match compression {
        5 => weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(src)
            .map_err(|e| Error::encoding(format!("LZW: {e}"))),
        8 | 32946 => deflate(src, level.unwrap_or(6)),
        32773 => Ok(packbits_encode(src)),
        50000 => zstd_compress(src, level),
        c => Err(Error::encoding(format!("cannot compress with scheme {c}"))),
    }
}

/// zstd at `level` through libzstd (feature `libzstd`) as imagecodecs calls it under tifffile:
/// no level, 0 or a negative level mean libzstd's default 3 (imagecodecs ignores negative
/// levels; measured), levels above libzstd's maximum (22) are clamped to it.
#[cfg(feature = "libzstd")]
fn zstd_compress(src: &[u8], level: Option<i64>) -> Result<Vec<u8>> {
    /// imagecodecs' (and libzstd's) default level: what tifffile writes without a level.
    const ZSTD_DEFAULT_LEVEL: i64 = 3;
    let max = *zstd::compression_level_range().end() as i64;
    let lvl = match level {
        Some(l) if l > 0 => l.min(max),
        _ => ZSTD_DEFAULT_LEVEL,
    } as i32;
    zstd::bulk::compress(src, lvl).map_err(|e| Error::encoding(format!("zstd: {e}")))
}

/// zstd through ruzstd (pure Rust), which implements only its fastest level (about libzstd's
/// level 1): every `level` is written with it (documented; the files are valid zstd, read by
/// tifffile, only larger than at tifffile's default level 3).
#[cfg(not(feature = "libzstd"))]
fn zstd_compress(src: &[u8], _level: Option<i64>) -> Result<Vec<u8>> {
    Ok(ruzstd::encoding::compress_to_vec(
        src,
        ruzstd::encoding::CompressionLevel::Fastest,
    ))
}

/// One JPEG segment (a strip or tile) of u8 samples: `spp` 1 (grayscale) or 3 (RGB, stored as
/// YCbCr with `subsampling` (h, v) like libjpeg under tifffile; with `ycbcr_input` the samples
/// are YCbCr already and are encoded without a colour transform), quality `quality` (1..=100).
pub(crate) fn jpeg_encode(
    src: &[u8],
    width: usize,
    rows: usize,
    spp: usize,
    quality: u8,
    subsampling: (u8, u8),
    ycbcr_input: bool,
) -> Result<Vec<u8>> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
    let (w, h) = match (u16::try_from(width), u16::try_from(rows)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(Error::encoding(format!(
                "a JPEG segment must be 1..65535 pixels wide and high, not {width}x{rows}"
            )));
        }
    };
    let color = match spp {
        1 => ColorType::Luma,
        3 if ycbcr_input => ColorType::Ycbcr,
        3 => ColorType::Rgb,
        n => {
            return Err(Error::encoding(format!(
                "JPEG compression needs 1 (grayscale) or 3 (RGB) samples per pixel, not {n}"
            )));
        }
    };
    let mut out = Vec::with_capacity(src.len() / 4 + 1024);
    let mut e = Encoder::new(&mut out, quality.clamp(1, 100));
    let sf = SamplingFactor::from_factors(subsampling.0, subsampling.1)
        .ok_or_else(|| Error::encoding(format!("invalid JPEG subsampling {subsampling:?}")))?;
    e.set_sampling_factor(sf);
    // box-averaged chroma like libjpeg (what tifffile's imagecodecs uses)
    e.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    e.encode(src, w, h, color)
        .map_err(|err| Error::encoding(format!("JPEG: {err}")))?;
    Ok(out)
}

fn packbits_encode(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + src.len() / 128 + 1);
    let mut i = 0;
    while i < src.len() {
        // run of identical bytes
        let mut run = 1;
        while i + run < src.len() && run < 128 && src[i + run] == src[i] {
            run += 1;
        }
        if run >= 2 {
            out.push((1 - run as i32) as i8 as u8);
            out.push(src[i]);
            i += run;
            continue;
        }
        // literal run up to the next repeat
        let start = i;
        let mut n = 0;
        while i < src.len() && n < 128 {
            if i + 1 < src.len() && src[i] == src[i + 1] {
                break;
            }
            i += 1;
            n += 1;
        }
        out.push((n - 1) as u8);
        out.extend_from_slice(&src[start..start + n]);
    }
    out
}
