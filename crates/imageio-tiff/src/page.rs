//! One TIFF page (IFD with image data): its geometry, dtype and decoding.

use imageio_core::{DType, Error, Result};
use rayon::prelude::*;

use crate::codecs;
use crate::ifd::{Data, Format, Ifd};

pub(crate) mod tag {
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const FILL_ORDER: u16 = 266;
    pub const IMAGE_DESCRIPTION: u16 = 270;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const ORIENTATION: u16 = 274;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const X_RESOLUTION: u16 = 282;
    pub const Y_RESOLUTION: u16 = 283;
    pub const PLANAR_CONFIG: u16 = 284;
    pub const RESOLUTION_UNIT: u16 = 296;
    pub const SOFTWARE: u16 = 305;
    pub const DATETIME: u16 = 306;
    pub const PREDICTOR: u16 = 317;
    pub const COLORMAP: u16 = 320;
    pub const TILE_WIDTH: u16 = 322;
    pub const TILE_LENGTH: u16 = 323;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const T4_OPTIONS: u16 = 292;
    pub const SUB_IFDS: u16 = 330;
    pub const EXTRA_SAMPLES: u16 = 338;
    pub const SAMPLE_FORMAT: u16 = 339;
    pub const JPEG_TABLES: u16 = 347;
    pub const YCBCR_SUBSAMPLING: u16 = 530;
    pub const IMAGE_DEPTH: u16 = 32997;
    pub const TILE_DEPTH: u16 = 32998;
    pub const ICC_PROFILE: u16 = 34675;
    pub const IJ_BYTE_COUNTS: u16 = 50838;
    pub const IJ_METADATA: u16 = 50839;
    pub const FEI_SFEG: u16 = 34680;
    pub const FEI_HELIOS: u16 = 34682;
}

/// The geometry and storage of one page.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub ifd: Ifd,
    pub width: usize,
    pub height: usize,
    pub depth: usize,
    pub spp: usize,
    pub bps: u32,
    pub sample_format: u16,
    pub photometric: u16,
    pub planar: u16,
    pub compression: u16,
    pub predictor: u16,
    pub fill_order: u16,
    pub rows_per_strip: usize,
    pub tile: Option<(usize, usize, usize)>,
    pub offsets: Vec<u64>,
    pub counts: Vec<u64>,
    pub jpeg_tables: Option<Vec<u8>>,
    pub subifds: Vec<u64>,
    /// Output element type.
    pub dtype: DType,
    /// The page's shape as tifffile reports it (singleton samples/depth removed).
    pub shape: Vec<usize>,
    /// tifffile's axes letters for `shape`.
    pub axes: String,
}

impl Page {
    pub(crate) fn new(ifd: Ifd) -> Result<Page> {
        let u = |c| ifd.uint(c);
        let width = u(tag::IMAGE_WIDTH).unwrap_or(0) as usize;
        let height = u(tag::IMAGE_LENGTH).unwrap_or(0) as usize;
        let depth = u(tag::IMAGE_DEPTH).unwrap_or(1).max(1) as usize;
        let spp = u(tag::SAMPLES_PER_PIXEL).unwrap_or(1).max(1) as usize;
        let bps_all = ifd
            .get(tag::BITS_PER_SAMPLE)
            .and_then(|t| t.uints())
            .unwrap_or_else(|| vec![1]);
        let bps = *bps_all.first().unwrap_or(&1) as u32;
        if bps_all.iter().any(|&b| b as u32 != bps) {
            return Err(Error::decoding(format!(
                "different bits per sample per channel {bps_all:?} are not supported"
            )));
        }
        let sample_format = u(tag::SAMPLE_FORMAT).unwrap_or(1) as u16;
        let compression = u(tag::COMPRESSION).unwrap_or(1) as u16;
        let photometric = u(tag::PHOTOMETRIC).unwrap_or(if spp >= 3 { 2 } else { 1 }) as u16;
        let planar = if spp == 1 {
            1
        } else {
            u(tag::PLANAR_CONFIG).unwrap_or(1) as u16
        };
        let predictor = u(tag::PREDICTOR).unwrap_or(1) as u16;
        let fill_order = u(tag::FILL_ORDER).unwrap_or(1) as u16;
        let tile = match (u(tag::TILE_WIDTH), u(tag::TILE_LENGTH)) {
            (Some(w), Some(l)) if w > 0 && l > 0 => Some((
                u(tag::TILE_DEPTH).unwrap_or(1).max(1) as usize,
                l as usize,
                w as usize,
            )),
            _ => None,
        };
        let rows_total = height.saturating_mul(depth);
        let rows_per_strip = (u(tag::ROWS_PER_STRIP)
            .unwrap_or(u32::MAX as u64)
            .min(rows_total.max(1) as u64) as usize)
            .max(1);
        let (oc, cc) = if tile.is_some() {
            (tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS)
        } else {
            (tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS)
        };
        let offsets = ifd.get(oc).and_then(|t| t.uints()).unwrap_or_default();
        let counts = ifd.get(cc).and_then(|t| t.uints()).unwrap_or_default();
        let jpeg_tables = ifd
            .get(tag::JPEG_TABLES)
            .and_then(|t| t.bytes())
            .map(|b| b.to_vec());
        let subifds = ifd
            .get(tag::SUB_IFDS)
            .and_then(|t| t.uints())
            .unwrap_or_default();
        let jpeg = matches!(compression, 6 | 7);
        let dtype = match (sample_format, bps) {
            // 12-bit JPEG (tifffile/imagecodecs write it) decodes to uint16 (feature `turbo`)
            _ if jpeg && bps == 12 => DType::U16,
            _ if jpeg => DType::U8,
            (1 | 4, 1) => DType::Bool,
            (1 | 4, 2..=8) => DType::U8,
            (1 | 4, 9..=16) => DType::U16,
            (1 | 4, 17..=32) => DType::U32,
            (1 | 4, 64) => DType::U64,
            (2, 8) => DType::I8,
            (2, 16) => DType::I16,
            (2, 32) => DType::I32,
            (2, 64) => DType::I64,
            (3, 16 | 32) => DType::F32,
            (3, 64) => DType::F64,
            (sf, b) => {
                return Err(Error::decoding(format!(
                    "sample format {sf} with {b} bits per sample is not supported"
                )));
            }
        };
        if photometric == 6 && !jpeg && spp == 3 {
            if let Some(ss) = ifd.get(tag::YCBCR_SUBSAMPLING).and_then(|t| t.uints()) {
                if ss.iter().any(|&s| s != 1) {
                    return Err(Error::decoding(
                        "subsampled YCbCr without JPEG compression is not supported",
                    ));
                }
            }
        }
        let (shape, axes): (Vec<usize>, &str) = if spp == 1 {
            if depth > 1 {
                (vec![depth, height, width], "ZYX")
            } else {
                (vec![height, width], "YX")
            }
        } else if planar == 2 {
            if depth > 1 {
                (vec![spp, depth, height, width], "SZYX")
            } else {
                (vec![spp, height, width], "SYX")
            }
        } else if depth > 1 {
            (vec![depth, height, width, spp], "ZYXS")
        } else {
            (vec![height, width, spp], "YXS")
        };
        let mut page = Page {
            ifd,
            width,
            height,
            depth,
            spp,
            bps,
            sample_format,
            photometric,
            planar,
            compression,
            predictor,
            fill_order,
            rows_per_strip,
            tile,
            offsets,
            counts,
            jpeg_tables,
            subifds,
            dtype,
            shape,
            axes: axes.to_owned(),
        };
        if page.counts.is_empty() && page.compression == 1 && !page.offsets.is_empty() {
            // No (or an empty) StripByteCounts/TileByteCounts on uncompressed data: every
            // segment holds exactly its pixels, as tifffile and libtiff assume.
            page.counts = page.uncompressed_counts();
        }
        Ok(page)
    }

    /// The byte count of every strip or tile of an uncompressed page (one per offset at most:
    /// the header's size alone, up to 2³² rows of one strip each, never sizes a vector).
    fn uncompressed_counts(&self) -> Vec<u64> {
        let (planes, seg_spp) = self.planes_and_samples();
        let bits = |w: usize| (w as u64).saturating_mul((seg_spp as u64) * self.bps as u64);
        let n = self.offsets.len();
        match self.tile {
            None => {
                let row = bits(self.width).div_ceil(8);
                let rows = self.depth.saturating_mul(self.height) as u64;
                let rps = self.rows_per_strip as u64;
                let per_plane = rows.div_ceil(rps);
                let total = (n as u64).min(per_plane.saturating_mul(planes as u64));
                (0..total)
                    .map(|i| {
                        let s = i % per_plane;
                        row.saturating_mul(rps.min(rows - s * rps))
                    })
                    .collect()
            }
            Some((td, tl, tw)) => {
                let tile = bits(tw)
                    .div_ceil(8)
                    .saturating_mul((tl as u64).saturating_mul(td as u64));
                vec![tile; n]
            }
        }
    }

    /// Number of elements in the page.
    pub(crate) fn size(&self) -> usize {
        self.shape.iter().fold(1usize, |a, &b| a.saturating_mul(b))
    }

    /// Output bytes of the page.
    pub(crate) fn nbytes(&self) -> usize {
        self.size().saturating_mul(self.dtype.size())
    }

    /// Key used to group pages into generic series (tifffile's `page.hash`, simplified).
    pub(crate) fn key(&self) -> (Vec<usize>, DType, u16, u16, u32, u16) {
        (
            self.shape.clone(),
            self.dtype,
            self.photometric,
            self.planar,
            self.bps,
            self.sample_format,
        )
    }

    /// Key that groups pages into tifffile's generic series: tifffile's `page.hash` (shape and
    /// sample type plus rows per strip, tile shape, fill order, predictor, compression, extra
    /// samples and photometric), so pages that differ in storage alone are separate series.
    #[allow(clippy::type_complexity)]
    pub(crate) fn generic_key(
        &self,
    ) -> (
        (Vec<usize>, DType, u16, u16, u32, u16),
        (
            usize,
            Option<(usize, usize, usize)>,
            u16,
            u16,
            u16,
            Vec<u64>,
        ),
    ) {
        let rps = if self.tile.is_some() {
            0
        } else {
            self.rows_per_strip.min(self.height)
        };
        let extra = self
            .ifd
            .get(tag::EXTRA_SAMPLES)
            .and_then(|t| t.uints())
            .unwrap_or_default();
        (
            self.key(),
            (
                rps,
                self.tile,
                self.fill_order,
                self.predictor,
                self.compression,
                extra,
            ),
        )
    }

    /// Planes stored separately, samples interleaved in a segment.
    fn planes_and_samples(&self) -> (usize, usize) {
        if self.planar == 2 {
            (self.spp, 1)
        } else {
            (1, self.spp)
        }
    }

    /// The (offset, length) of the page's data when it is uncompressed and stored in one
    /// contiguous block (tifffile's `is_contiguous`).
    pub(crate) fn contiguous(&self) -> Option<(u64, u64)> {
        if self.compression != 1
            || !self.bps.is_multiple_of(8)
            || self.predictor != 1
            || self.offsets.is_empty()
        {
            return None;
        }
        let mut end = self.offsets[0];
        for (o, c) in self.offsets.iter().zip(&self.counts) {
            if *o != end {
                return None;
            }
            end += c;
        }
        Some((self.offsets[0], end - self.offsets[0]))
    }

    /// The (offset, length) of the page's data when the file holds exactly the output bytes
    /// (uncompressed, untiled, no predictor, whole bytes per sample, no f16 widening) in one
    /// block: such pages are read straight into the output, adjacent ones in one read.
    pub(crate) fn raw_block(&self) -> Option<(u64, u64)> {
        if self.tile.is_some()
            || self.dtype == DType::Bool
            || self.bps as usize != self.dtype.size() * 8
            || (self.sample_format == 3 && self.bps == 16)
            || matches!(self.photometric, 6)
            || self.fill_order == 2
        {
            return None;
        }
        let (off, len) = self.contiguous()?;
        (len == self.nbytes() as u64).then_some((off, len))
    }

    /// Decodes the page into `out` (exactly [`nbytes`](Self::nbytes), native byte order).
    pub(crate) fn decode_into(
        &self,
        data: &Data<'_>,
        fmt: &Format,
        out: &mut [u8],
        parallel: bool,
    ) -> Result<()> {
        if out.len() != self.nbytes() {
            return Err(Error::decoding("internal: output size mismatch"));
        }
        if out.is_empty() {
            return Ok(());
        }
        let ctx = SegCtx::new(self, fmt)?;
        let (planes, _) = self.planes_and_samples();
        let plane_bytes = out.len() / planes;
        let rows = self.depth.saturating_mul(self.height);
        let out_row = ctx.out_row_bytes(self.width);
        match self.tile {
            None => {
                let per_plane = rows.div_ceil(self.rows_per_strip);
                let nseg = per_plane * planes;
                if self.offsets.len() < nseg || self.counts.len() < nseg {
                    return Err(Error::decoding(format!(
                        "the page has {} strips but needs {nseg}",
                        self.offsets.len().min(self.counts.len())
                    )));
                }
                let mut jobs: Vec<(usize, &mut [u8])> = Vec::with_capacity(nseg);
                for (p, plane) in out.chunks_mut(plane_bytes).enumerate() {
                    for (s, chunk) in plane.chunks_mut(self.rows_per_strip * out_row).enumerate() {
                        jobs.push((p * per_plane + s, chunk));
                    }
                }
                let run = |(i, chunk): (usize, &mut [u8])| -> Result<()> {
                    let nrows = chunk.len() / out_row;
                    ctx.decode_segment(
                        data,
                        self.offsets[i],
                        self.counts[i],
                        self.width,
                        nrows,
                        chunk,
                        out_row,
                    )
                };
                if parallel && jobs.len() > 1 && self.compression != 1 {
                    jobs.into_par_iter().try_for_each(run)
                } else {
                    jobs.into_iter().try_for_each(run)
                }
            }
            Some((td, tl, tw)) => {
                let across = self.width.div_ceil(tw);
                let down = self.height.div_ceil(tl);
                let deep = self.depth.div_ceil(td);
                let nseg = across * down * deep * planes;
                if self.offsets.len() < nseg || self.counts.len() < nseg {
                    return Err(Error::decoding(format!(
                        "the page has {} tiles but needs {nseg}",
                        self.offsets.len().min(self.counts.len())
                    )));
                }
                let tile_out_row = ctx.out_row_bytes(tw);
                // A tile may be far taller than the page (TileLength 524 304 for 40 rows): the
                // byte-stream codecs stop once the tile rows inside the page are decoded, so only
                // those are decoded (and allocated), not the whole tile. JPEG and CCITT decode
                // whole tiles.
                let crop = !matches!(self.compression, 3 | 4 | 6 | 7);
                let tile_rows = |z0: usize, ty: usize| -> usize {
                    if !crop {
                        return td.saturating_mul(tl);
                    }
                    let slices = td.min(self.depth - z0);
                    (slices - 1) * tl + tl.min(self.height - ty * tl)
                };
                let scratch = tile_rows(0, 0).saturating_mul(tile_out_row);
                if scratch > (1 << 28) || tw > 1 << 20 || tl > 1 << 20 {
                    return Err(Error::decoding(format!("absurd tile size {td}×{tl}×{tw}")));
                }
                // Tile rows are decoded whole: tiles far wider than the page (2²⁰ pixels for a
                // page 1 pixel wide) decode far more than the page holds, tile row after tile row.
                // Beyond 64 times the page (and 16 MiB) that is a hostile layout, not an image.
                let work = [across, down, deep, planes]
                    .iter()
                    .fold(scratch as u64, |a, &n| a.saturating_mul(n as u64));
                if work > (out.len() as u64).saturating_mul(64).max(1 << 24) {
                    return Err(Error::decoding(format!(
                        "tiles of {tw}×{tl} pixels would decode {work} bytes for a page of {} bytes",
                        out.len()
                    )));
                }
                let page = self;
                // One job per (plane, depth tile, tile row); with tile depth > 1 the whole plane.
                let band = |p: usize, z0: usize, ty: usize, dst: &mut [u8]| -> Result<()> {
                    let rows = tile_rows(z0, ty);
                    let mut tmp = vec![0u8; rows * tile_out_row];
                    for tx in 0..across {
                        let tz = z0 / td;
                        let i = p * across * down * deep + (tz * down + ty) * across + tx;
                        ctx.decode_segment(
                            data,
                            page.offsets[i],
                            page.counts[i],
                            tw,
                            rows,
                            &mut tmp,
                            tile_out_row,
                        )?;
                        let x0 = tx * tw * ctx.out_px;
                        let wbytes = (tw.min(page.width - tx * tw)) * ctx.out_px;
                        for dz in 0..td.min(page.depth - z0) {
                            for r in 0..tl.min(page.height - ty * tl) {
                                let src = &tmp[(dz * tl + r) * tile_out_row..][..wbytes];
                                let row = if td == 1 {
                                    r
                                } else {
                                    (z0 + dz) * page.height + ty * tl + r
                                };
                                dst[row * out_row + x0..][..wbytes].copy_from_slice(src);
                            }
                        }
                    }
                    Ok(())
                };
                if td == 1 {
                    let mut jobs: Vec<(usize, usize, usize, &mut [u8])> = Vec::new();
                    for (p, plane) in out.chunks_mut(plane_bytes).enumerate() {
                        for (z, slice) in plane.chunks_mut(self.height * out_row).enumerate() {
                            for (ty, b) in slice.chunks_mut(tl * out_row).enumerate() {
                                jobs.push((p, z, ty, b));
                            }
                        }
                    }
                    let run = |(p, z, ty, b): (usize, usize, usize, &mut [u8])| band(p, z, ty, b);
                    if parallel && jobs.len() > 1 {
                        jobs.into_par_iter().try_for_each(run)
                    } else {
                        jobs.into_iter().try_for_each(run)
                    }
                } else {
                    for (p, plane) in out.chunks_mut(plane_bytes).enumerate() {
                        for z0 in (0..self.depth).step_by(td) {
                            for ty in 0..down {
                                band(p, z0, ty, plane)?;
                            }
                        }
                    }
                    Ok(())
                }
            }
        }
    }
}

/// What is needed to turn one stored segment into output rows.
struct SegCtx<'p> {
    page: &'p Page,
    /// Samples per pixel within a segment.
    seg_spp: usize,
    /// Stored bytes per sample (0 for packed depths).
    store_bytes: usize,
    /// Output bytes per pixel within a segment.
    out_px: usize,
    swap: bool,
    jpeg_tables: Option<&'p [u8]>,
}

impl<'p> SegCtx<'p> {
    fn new(page: &'p Page, fmt: &Format) -> Result<Self> {
        let (_, seg_spp) = page.planes_and_samples();
        let jpeg = matches!(page.compression, 6 | 7);
        let store_bytes = if page.bps.is_multiple_of(8) && !jpeg {
            page.bps as usize / 8
        } else {
            0
        };
        if !matches!(
            page.compression,
            1 | 3 | 4 | 5 | 6 | 7 | 8 | 32946 | 32773 | 50000 | 34926
        ) {
            return Err(Error::decoding(format!(
                "compression {} is not supported",
                page.compression
            )));
        }
        if matches!(page.compression, 3 | 4) && (page.bps != 1 || seg_spp != 1) {
            return Err(Error::decoding(
                "CCITT compression needs 1-bit samples, one per pixel",
            ));
        }
        if page.predictor == 2 && store_bytes == 0 {
            return Err(Error::decoding(
                "horizontal predictor with packed samples is not supported",
            ));
        }
        if page.predictor == 3 && page.sample_format != 3 {
            return Err(Error::decoding(
                "floating point predictor needs float samples",
            ));
        }
        if !matches!(page.predictor, 1..=3) {
            return Err(Error::decoding(format!(
                "predictor {} is not supported",
                page.predictor
            )));
        }
        let host_be = cfg!(target_endian = "big");
        Ok(SegCtx {
            page,
            seg_spp,
            store_bytes,
            out_px: seg_spp * page.dtype.size(),
            swap: fmt.big_endian != host_be,
            jpeg_tables: page.jpeg_tables.as_deref(),
        })
    }

    fn out_row_bytes(&self, width: usize) -> usize {
        width * self.out_px
    }

    fn stored_row_bytes(&self, width: usize) -> usize {
        (width * self.seg_spp * self.page.bps as usize).div_ceil(8)
    }

    /// True when the stored layout equals the output layout (decode in place).
    fn identity(&self) -> bool {
        self.store_bytes > 0
            && self.store_bytes == self.page.dtype.size()
            && self.page.dtype != DType::Bool
    }

    /// Decodes one strip or tile of `rows` rows of `width` pixels into `dst` (`rows × out_row`).
    #[allow(clippy::too_many_arguments)]
    fn decode_segment(
        &self,
        data: &Data<'_>,
        offset: u64,
        count: u64,
        width: usize,
        rows: usize,
        dst: &mut [u8],
        out_row: usize,
    ) -> Result<()> {
        let page = self.page;
        let srow = self.stored_row_bytes(width);
        let expect = srow * rows;
        if matches!(page.compression, 6 | 7) && page.bps == 12 {
            // frames up to 16 pixels larger than the segment are accepted (like the 8-bit
            // path) and cropped; only the overlap is copied
            let data = data.read_vec(offset, count)?;
            let (dec, jw, jh) =
                codecs::jpeg12(&data, self.jpeg_tables, self.seg_spp, width + 16, rows + 16)?;
            let px = self.seg_spp * 2;
            let n = jw.min(width) * px;
            for r in 0..jh.min(rows).min(dst.len() / out_row.max(1)) {
                dst[r * out_row..][..n].copy_from_slice(&dec[r * jw * px..][..n]);
            }
            return Ok(());
        }
        if matches!(page.compression, 6 | 7) {
            let dec = codecs::jpeg(
                &data.read_vec(offset, count)?,
                self.jpeg_tables,
                self.seg_spp,
                width,
                rows,
            )?;
            let n = dec.len().min(dst.len());
            dst[..n].copy_from_slice(&dec[..n]);
            return Ok(());
        }
        // FillOrder 2 (LSB first) applies to the stored bytes, before any decompression, as in
        // libtiff and tifffile (JPEG excepted, handled above)
        let reversed = |mut v: Vec<u8>| {
            if page.fill_order == 2 {
                v.iter_mut().for_each(|b| *b = b.reverse_bits());
            }
            v
        };
        if self.identity() {
            // stored == output layout: decode straight into the destination
            let n = expect.min(dst.len());
            let d = &mut dst[..n];
            if page.compression == 1 {
                if (count as usize) < n {
                    return Err(Error::decoding(format!(
                        "strip of {count} bytes is shorter than its {n} bytes of pixels"
                    )));
                }
                data.read_at(offset, d)?;
                if page.fill_order == 2 {
                    d.iter_mut().for_each(|b| *b = b.reverse_bits());
                }
            } else {
                let comp = reversed(data.read_vec(offset, count)?);
                codecs::decompress(page.compression, &comp, d)?;
            }
            self.postprocess(d, srow);
            return Ok(());
        }
        let mut buf = vec![0u8; expect];
        if page.compression == 1 {
            if (count as usize) < expect {
                return Err(Error::decoding(format!(
                    "segment of {count} bytes is shorter than its {expect} bytes"
                )));
            }
            data.read_at(offset, &mut buf)?;
            if page.fill_order == 2 {
                buf.iter_mut().for_each(|b| *b = b.reverse_bits());
            }
        } else if matches!(page.compression, 3 | 4) {
            let comp = reversed(data.read_vec(offset, count)?);
            let t4 = page.ifd.uint(tag::T4_OPTIONS).unwrap_or(0);
            codecs::ccitt(page.compression, t4, &comp, width, rows, &mut buf)?;
        } else {
            let comp = reversed(data.read_vec(offset, count)?);
            codecs::decompress(page.compression, &comp, &mut buf)?;
        }
        if self.store_bytes > 0 {
            self.postprocess(&mut buf, srow);
        }
        self.convert(&buf, srow, width, rows, dst, out_row);
        Ok(())
    }

    /// Byte swap and predictors, in place on whole stored rows.
    fn postprocess(&self, d: &mut [u8], srow: usize) {
        let page = self.page;
        let sb = self.store_bytes;
        if page.predictor == 3 {
            for row in d.chunks_exact_mut(srow) {
                codecs::unpredict_float(row, sb, self.seg_spp);
            }
            return;
        }
        if self.swap && sb > 1 {
            codecs::swap(d, sb);
        }
        if page.predictor == 2 {
            for row in d.chunks_exact_mut(srow) {
                codecs::unpredict_horizontal(row, sb, self.seg_spp);
            }
        }
    }

    /// Converts stored rows to output rows (packed bits, bool, f16).
    fn convert(
        &self,
        buf: &[u8],
        srow: usize,
        width: usize,
        rows: usize,
        dst: &mut [u8],
        out_row: usize,
    ) {
        let page = self.page;
        let n = width * self.seg_spp;
        for r in 0..rows.min(dst.len() / out_row.max(1)) {
            let s = &buf[r * srow..][..srow];
            let o = &mut dst[r * out_row..][..out_row];
            if page.sample_format == 3 && page.bps == 16 {
                for (i, c) in s.chunks_exact(2).take(n).enumerate() {
                    let v = half::f16::from_bits(u16::from_ne_bytes([c[0], c[1]])).to_f32();
                    o[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
                }
                continue;
            }
            let osz = page.dtype.size();
            let bits = page.bps as usize;
            // (FillOrder 2 was undone on the stored bytes before decompression)
            let mut bitpos = 0usize;
            for i in 0..n {
                let mut v: u64 = 0;
                for _ in 0..bits {
                    let byte = s[bitpos / 8];
                    v = (v << 1) | ((byte >> (7 - bitpos % 8)) & 1) as u64;
                    bitpos += 1;
                }
                let ob = &mut o[i * osz..(i + 1) * osz];
                match osz {
                    1 => ob[0] = v as u8,
                    2 => ob.copy_from_slice(&(v as u16).to_ne_bytes()),
                    4 => ob.copy_from_slice(&(v as u32).to_ne_bytes()),
                    _ => ob.copy_from_slice(&v.to_ne_bytes()),
                }
            }
        }
    }
}
