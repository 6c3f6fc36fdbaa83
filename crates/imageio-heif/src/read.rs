//! Reading HEIF/AVIF through the safe libheif-rs API.

use std::io::Cursor;

use imageio_core::{
    DType, Error, ImageProperties, Index, Limits, Metadata, NdArray, Plugin, Request, Result, Value,
};
use libheif_rs::{
    Chroma, ColorSpace, CompressionFormat, DecodingOptions, HeifContext, HeifErrorSubCode,
    ImageHandle, ItemId, RgbChroma, StreamReader,
};

use crate::{PREFERRED_HEVC_DECODER, file_brand, lib, sniff};

/// How one top-level image will be returned.
#[derive(Clone, Copy, Debug)]
struct Layout {
    height: usize,
    width: usize,
    channels: usize,
    /// Luma bit depth stored in the file.
    bits: u8,
    mono: bool,
    alpha: bool,
}

impl Layout {
    fn shape(&self) -> Vec<usize> {
        if self.mono {
            vec![self.height, self.width]
        } else {
            vec![self.height, self.width, self.channels]
        }
    }
    fn dtype(&self) -> DType {
        if self.bits > 8 { DType::U16 } else { DType::U8 }
    }
}

pub(crate) struct HeifReader {
    ctx: HeifContext<'static>,
    ids: Vec<ItemId>,
    primary: usize,
    brand: Option<String>,
    scale_to_16bit: bool,
    /// `None`: auto (see [`preferred_decoder`]).
    decoder: Option<String>,
    limits: Limits,
}

/// The decoder tried first in `auto` mode: FFmpeg's HEVC decoder when libheif has loaded it.
/// HEVC decoding is bit-exact by specification, so every conforming decoder returns the same
/// planes; FFmpeg's needs about 30 % less CPU than libde265 (libheif's default) on a 4096×3072
/// q90 photo. libheif 1.19's FFmpeg plugin converts only 4:2:0 and monochrome images; other
/// layouts, and images that are not HEVC, use libheif's own choice.
fn preferred_decoder() -> Option<&'static str> {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    HAS.get_or_init(|| {
        lib()
            .decoder_descriptors(16, Some(CompressionFormat::Hevc))
            .iter()
            .any(|d| d.id() == PREFERRED_HEVC_DECODER)
    })
    .then_some(PREFERRED_HEVC_DECODER)
}

fn decoding_options(id: &str) -> Result<DecodingOptions> {
    let mut o = DecodingOptions::new()
        .ok_or_else(|| Error::decoding("libheif could not allocate decoding options"))?;
    o.set_decoder_id(Some(id)).map_err(dec)?;
    Ok(o)
}

fn dec(e: impl std::fmt::Display) -> Error {
    Error::decoding(format!("libheif: {e}"))
}

pub(crate) fn open<'a>(req: Request<'a>) -> Result<Box<dyn Plugin + 'a>> {
    let first = req.first_bytes();
    if !sniff(first) {
        return Err(Error::unsupported(
            "not a HEIF/AVIF file (no `ftyp` box with a HEIF or AVIF brand)",
        ));
    }
    let source = req.source()?;
    let ctx = match source.path().and_then(|p| p.to_str()) {
        Some(path) => HeifContext::read_from_file(path).map_err(dec)?,
        None => {
            let data = source.read_all()?.into_owned();
            let len = data.len() as u64;
            HeifContext::read_from_reader(Box::new(StreamReader::new(Cursor::new(data), len)))
                .map_err(dec)?
        }
    };
    let ids = ctx.image_ids();
    if ids.is_empty() {
        return Err(Error::decoding("the file holds no top-level image"));
    }
    let primary_id = ctx.primary_image_handle().map_err(dec)?.item_id();
    let primary = ids.iter().position(|&i| i == primary_id).unwrap_or(0);
    Ok(Box::new(HeifReader {
        ctx,
        ids,
        primary,
        brand: file_brand(first),
        scale_to_16bit: req.options.get_bool("scale_to_16bit").unwrap_or(false),
        decoder: match req.options.get_str("decoder") {
            None | Some("auto") => None,
            Some(id) => {
                let known = crate::installed_decoders();
                if !known.iter().any(|(k, _)| k == id) {
                    let ids: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
                    return Err(Error::invalid_argument(format!(
                        "decoder `{id}` is not installed; libheif has: {}",
                        ids.join(", ")
                    )));
                }
                Some(id.to_owned())
            }
        },
        limits: req.limits,
    }))
}

fn chroma_name(cs: &ColorSpace) -> Option<&'static str> {
    Some(match cs {
        ColorSpace::YCbCr(Chroma::C420) => "420",
        ColorSpace::YCbCr(Chroma::C422) => "422",
        ColorSpace::YCbCr(Chroma::C444) => "444",
        ColorSpace::Rgb(_) => "444",
        ColorSpace::Monochrome => "400",
        _ => return None,
    })
}

impl HeifReader {
    fn n(&self) -> usize {
        self.ids.len()
    }

    fn position(&self, index: Index) -> Result<usize> {
        match index {
            Index::Default => Ok(self.primary),
            Index::At(n) if n < self.n() => Ok(n),
            Index::At(n) => Err(Error::index_out_of_range(n, Some(self.n()))),
            Index::All => Err(Error::invalid_argument("internal: position of All")),
        }
    }

    fn handle(&self, pos: usize) -> Result<ImageHandle> {
        self.ctx.image_handle(self.ids[pos]).map_err(dec)
    }

    fn layout(&self, h: &ImageHandle) -> Result<Layout> {
        let (width, height) = (h.width() as usize, h.height() as usize);
        if width == 0 || height == 0 {
            return Err(Error::decoding(format!("image of {width}×{height} pixels")));
        }
        let bits = h.luma_bits_per_pixel();
        if bits == 0 || bits > 16 {
            return Err(Error::decoding(format!(
                "unsupported luma bit depth {bits}"
            )));
        }
        let alpha = h.has_alpha_channel();
        // Gray+alpha is returned as RGBA (libheif converts); plain gray as a 2-D array.
        let mono = !alpha
            && matches!(
                h.preferred_decoding_colorspace(),
                Ok(ColorSpace::Monochrome)
            );
        let channels = if mono {
            1
        } else if alpha {
            4
        } else {
            3
        };
        Ok(Layout {
            height,
            width,
            channels,
            bits,
            mono,
            alpha,
        })
    }

    fn decode(&self, pos: usize) -> Result<NdArray> {
        let h = self.handle(pos)?;
        let lay = self.layout(&h)?;
        let shape = lay.shape();
        self.limits
            .check_image(lay.height as u64, lay.width as u64, &shape, lay.dtype())?;
        let hdr = lay.bits > 8;
        let cs = match (lay.mono, hdr, lay.alpha) {
            (true, _, _) => ColorSpace::Monochrome,
            (false, false, false) => ColorSpace::Rgb(RgbChroma::Rgb),
            (false, false, true) => ColorSpace::Rgb(RgbChroma::Rgba),
            (false, true, false) => ColorSpace::Rgb(RgbChroma::HdrRgbLe),
            (false, true, true) => ColorSpace::Rgb(RgbChroma::HdrRgbaLe),
        };
        // libheif 1.19's FFmpeg plugin handles 4:2:0 and monochrome HEVC only.
        let ffmpeg_can = matches!(
            h.preferred_decoding_colorspace(),
            Ok(ColorSpace::YCbCr(Chroma::C420) | ColorSpace::Monochrome)
        );
        let img = match (&self.decoder, preferred_decoder()) {
            (Some(id), _) => lib().decode(&h, cs, Some(decoding_options(id)?)),
            (None, Some(id)) if ffmpeg_can => {
                match lib().decode(&h, cs, Some(decoding_options(id)?)) {
                    // not HEVC, or a layout the plugin lacks: libheif's own choice
                    Err(e)
                        if matches!(
                            e.sub_code,
                            HeifErrorSubCode::NoMatchingDecoderInstalled
                                | HeifErrorSubCode::UnsupportedColorConversion
                        ) =>
                    {
                        lib().decode(&h, cs, None)
                    }
                    r => r,
                }
            }
            (None, _) => lib().decode(&h, cs, None),
        }
        .map_err(dec)?;
        let planes = img.planes();
        let plane = if lay.mono {
            planes.y
        } else {
            planes.interleaved
        }
        .ok_or_else(|| Error::decoding("libheif returned no pixel plane"))?;
        if plane.width as usize != lay.width || plane.height as usize != lay.height {
            return Err(Error::decoding(format!(
                "decoded plane is {}×{} but the image header says {}×{}",
                plane.width, plane.height, lay.width, lay.height
            )));
        }
        let bps = if hdr { 2 } else { 1 };
        let row = lay.width * lay.channels * bps;
        if plane.stride < row || plane.data.len() < plane.stride * (lay.height - 1) + row {
            return Err(Error::decoding("decoded plane is smaller than the image"));
        }
        if !hdr {
            let mut out = Vec::with_capacity(row * lay.height);
            for r in plane.data.chunks(plane.stride).take(lay.height) {
                out.extend_from_slice(&r[..row]);
            }
            return NdArray::from_shape_vec(&shape, out);
        }
        // 10/12-bit samples: little-endian for interleaved RGB(A) (asked for `_LE`), native
        // endianness for the planar gray plane.
        let bits = if plane.bits_per_pixel > 8 && plane.bits_per_pixel <= 16 {
            plane.bits_per_pixel
        } else {
            lay.bits
        };
        let shift = if self.scale_to_16bit {
            16 - u32::from(bits)
        } else {
            0
        };
        let mut out: Vec<u16> = Vec::with_capacity(row / 2 * lay.height);
        for r in plane.data.chunks(plane.stride).take(lay.height) {
            let r = &r[..row];
            if lay.mono {
                out.extend(
                    r.chunks_exact(2)
                        .map(|b| u16::from_ne_bytes([b[0], b[1]]) << shift),
                );
            } else {
                out.extend(
                    r.chunks_exact(2)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]) << shift),
                );
            }
        }
        NdArray::from_shape_vec(&shape, out)
    }

    fn image_metadata(&self, pos: usize) -> Result<Metadata> {
        let h = self.handle(pos)?;
        let mut m = Metadata::new();
        m.insert("primary".into(), (pos == self.primary).into());
        m.insert("bit_depth".into(), h.luma_bits_per_pixel().into());
        m.insert("has_alpha".into(), h.has_alpha_channel().into());
        if let Some(c) = h
            .preferred_decoding_colorspace()
            .ok()
            .as_ref()
            .and_then(chroma_name)
        {
            m.insert("chroma".into(), c.into());
        }
        m.insert("width".into(), h.width().into());
        m.insert("height".into(), h.height().into());
        let n_meta = h.number_of_metadata_blocks(0).max(0) as usize;
        let mut meta_ids = vec![0; n_meta];
        let got = h.metadata_block_ids(&mut meta_ids, 0);
        meta_ids.truncate(got);
        for id in meta_ids {
            let typ = h.metadata_type(id).unwrap_or("").to_owned();
            let content = h.metadata_content_type(id).unwrap_or("").to_owned();
            let Ok(data) = h.metadata(id) else { continue };
            if typ == "Exif" && !m.contains_key("exif") {
                // The item starts with a 4-byte big-endian offset to the TIFF header; like
                // pillow-heif, return everything after that field (an `Exif\0\0` prefix stored
                // in the file is kept).
                if data.len() > 4 {
                    m.insert("exif".into(), data[4..].to_vec().into());
                }
            } else if typ == "mime" && content == "application/rdf+xml" && !m.contains_key("xmp") {
                m.insert("xmp".into(), data.into());
            }
        }
        if let Some(icc) = h.color_profile_raw() {
            if !icc.data.is_empty() {
                m.insert("icc_profile".into(), icc.data.into());
            }
        }
        if let Some(n) = h.color_profile_nclx() {
            let mut p = Metadata::new();
            let prim = n.color_primaries();
            let tc = n.transfer_characteristics();
            let mc = n.matrix_coefficients();
            if prim != libheif_rs::ColorPrimaries::Unknown {
                p.insert("color_primaries".into(), (prim as i64).into());
            }
            if tc != libheif_rs::TransferCharacteristics::Unknown {
                p.insert("transfer_characteristics".into(), (tc as i64).into());
            }
            if mc != libheif_rs::MatrixCoefficients::Unknown {
                p.insert("matrix_coefficients".into(), (mc as i64).into());
            }
            p.insert("full_range".into(), (n.full_range_flag() != 0).into());
            m.insert("nclx_profile".into(), Value::Map(p));
        }
        // Depth images and thumbnails: counts and sizes (not decoded).
        let nd = h.number_of_depth_images().max(0) as usize;
        let mut dids = vec![0; nd];
        let nd = h.depth_image_ids(&mut dids);
        let depth: Vec<Value> = dids[..nd]
            .iter()
            .filter_map(|&id| h.depth_image_handle(id).ok())
            .map(|d| Value::List(vec![(d.height() as i64).into(), (d.width() as i64).into()]))
            .collect();
        m.insert("n_depth_images".into(), depth.len().into());
        m.insert("depth_images".into(), Value::List(depth));
        let nt = h.number_of_thumbnails();
        let mut tids = vec![0; nt];
        let nt = h.thumbnail_ids(&mut tids);
        let thumbs: Vec<Value> = tids[..nt]
            .iter()
            .filter_map(|&id| h.thumbnail(id).ok())
            .map(|t| Value::List(vec![(t.height() as i64).into(), (t.width() as i64).into()]))
            .collect();
        m.insert("n_thumbnails".into(), thumbs.len().into());
        m.insert("thumbnails".into(), Value::List(thumbs));
        Ok(m)
    }

    fn file_metadata(&self, m: &mut Metadata) {
        m.insert("n_images".into(), self.n().into());
        m.insert("primary_index".into(), self.primary.into());
        if let Some(b) = &self.brand {
            m.insert("brand".into(), b.as_str().into());
        }
    }
}

impl Plugin for HeifReader {
    fn read(&mut self, index: Index) -> Result<NdArray> {
        match index {
            Index::All => {
                let layouts: Vec<Layout> = (0..self.n())
                    .map(|i| self.handle(i).and_then(|h| self.layout(&h)))
                    .collect::<Result<_>>()?;
                let first = layouts[0];
                for (i, l) in layouts.iter().enumerate() {
                    if l.shape() != first.shape() || l.dtype() != first.dtype() {
                        return Err(Error::invalid_argument(format!(
                            "cannot stack the images of this file: image 0 is {} {:?} but image {i} is {} {:?}; \
                             read them one by one (index=n or iter)",
                            first.dtype(),
                            first.shape(),
                            l.dtype(),
                            l.shape()
                        )));
                    }
                }
                let mut full = vec![self.n()];
                full.extend(first.shape());
                self.limits.check_alloc(&full, first.dtype())?;
                let images = (0..self.n())
                    .map(|i| self.decode(i))
                    .collect::<Result<Vec<_>>>()?;
                NdArray::stack(images)
            }
            other => {
                let pos = self.position(other)?;
                self.decode(pos)
            }
        }
    }

    fn properties(&mut self, index: Index) -> Result<ImageProperties> {
        match index {
            Index::All => {
                let l = self.layout(&self.handle(0)?)?;
                for i in 1..self.n() {
                    let o = self.layout(&self.handle(i)?)?;
                    if o.shape() != l.shape() || o.dtype() != l.dtype() {
                        return Err(Error::invalid_argument(format!(
                            "the images of this file have different shapes: image 0 is {:?}, image {i} is {:?}",
                            l.shape(),
                            o.shape()
                        )));
                    }
                }
                Ok(ImageProperties::batch(self.n(), &l.shape(), l.dtype()))
            }
            other => {
                let l = self.layout(&self.handle(self.position(other)?)?)?;
                Ok(ImageProperties::single(l.shape(), l.dtype()))
            }
        }
    }

    fn metadata(&mut self, index: Index, _exclude_applied: bool) -> Result<Metadata> {
        let mut m = match index {
            Index::All => Metadata::new(),
            other => self.image_metadata(self.position(other)?)?,
        };
        self.file_metadata(&mut m);
        Ok(m)
    }
}
