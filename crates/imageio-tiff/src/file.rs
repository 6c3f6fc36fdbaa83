//! A parsed TIFF file: pages, SubIFDs and tifffile-style series.

use std::collections::HashSet;

use imageio_core::{DType, Error, Limits, NdArray, Result, Source};
use rayon::prelude::*;

use crate::ifd::{self, Data, Format};
use crate::page::{Page, tag};

/// A series: what `read(index)` returns (tifffile's `TiffPageSeries`).
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub kind: &'static str,
    /// Indices into [`TiffFile::pages`].
    pub pages: Vec<usize>,
    pub shape: Vec<usize>,
    pub axes: String,
    pub dtype: DType,
    pub name: String,
    /// Pyramid levels from SubIFDs (level 0 is the series itself, not stored here).
    pub levels: Vec<Series>,
    /// When the series is stored as one uncompressed block starting at the first page's data
    /// (truncated shaped files, ImageJ virtual stacks).
    pub contiguous: Option<u64>,
    /// OME physical sizes / ImageJ spacing per axis letter.
    pub spacing: Vec<(char, f64)>,
}

/// A plane of a series that has no page (OME TiffData naming a missing file): read as zeros.
pub(crate) const MISSING: usize = usize::MAX;

impl Series {
    /// The page that describes the series (its first existing page).
    pub(crate) fn key_page(&self) -> usize {
        self.pages
            .iter()
            .copied()
            .find(|&p| p != MISSING)
            .unwrap_or(MISSING)
    }
}

/// A file referenced by a multi-file OME-TIFF.
pub(crate) struct External {
    data: Data<'static>,
    fmt: Format,
    /// Its main-chain pages (indices into [`TiffFile::pages`]).
    pages: Vec<usize>,
}

pub(crate) struct TiffFile<'a> {
    pub data: Data<'a>,
    pub fmt: Format,
    /// Every page: the main chain first, then SubIFD pages.
    pub pages: Vec<Page>,
    /// Number of pages in the main chain.
    pub nmain: usize,
    /// For each page, its SubIFD pages (indices into `pages`).
    pub subs: Vec<Vec<usize>>,
    pub series: Vec<Series>,
    pub flavour: &'static str,
    /// The file's path (multi-file OME-TIFF resolves its companions beside it).
    path: Option<std::path::PathBuf>,
    /// For each page: 0 for this file, k for `externals[k - 1]`.
    page_file: Vec<usize>,
    externals: Vec<External>,
    /// OME companion files by UUID (`None`: could not be opened).
    ome_files: std::collections::HashMap<String, Option<usize>>,
    /// The read's limits, which companion files are opened with too.
    limits: Limits,
}

/// Saturating product: absurd declared sizes saturate and are then refused by the limits.
fn product(s: &[usize]) -> usize {
    s.iter().fold(1usize, |a, &b| a.saturating_mul(b))
}

impl<'a> TiffFile<'a> {
    /// Parses the IFDs; their decoded tag values count against `limits.max_bytes`.
    pub(crate) fn open(src: &Source<'a>, first: &[u8], limits: &Limits) -> Result<Self> {
        let Some((fmt, first_ifd)) = ifd::parse_header(first) else {
            return Err(Error::unsupported("not a TIFF file"));
        };
        let data = Data::new(src)?;
        let mut seen = HashSet::new();
        let mut budget = ifd::TagBudget::new(limits);
        let chain = ifd::read_chain(&data, &fmt, first_ifd, &mut seen, &mut budget)?;
        if chain.is_empty() {
            return Err(Error::decoding("the file has no image file directory"));
        }
        let mut pages = Vec::with_capacity(chain.len());
        for ifd in chain {
            pages.push(Page::new(ifd)?);
        }
        let nmain = pages.len();
        let mut subs = vec![Vec::new(); nmain];
        for i in 0..nmain {
            let offsets = pages[i].subifds.clone();
            for off in offsets {
                if off < 8 {
                    continue;
                }
                // SubIFD chains: the first IFD of each SubIFD entry (tifffile reads one per entry)
                if !seen.insert(off) {
                    return Err(Error::decoding(format!(
                        "circular SubIFD reference to offset {off}"
                    )));
                }
                let ifd = match ifd::read_ifd(&data, &fmt, off, &mut budget) {
                    Ok(ifd) => ifd,
                    Err(e @ Error::Limits { .. }) => return Err(e),
                    Err(_) => continue,
                };
                let Ok(p) = Page::new(ifd) else { continue };
                subs[i].push(pages.len());
                pages.push(p);
            }
        }
        let page_file = vec![0; pages.len()];
        let mut f = TiffFile {
            data,
            fmt,
            pages,
            nmain,
            subs,
            series: Vec::new(),
            flavour: "generic",
            path: src.path().map(|p| p.to_path_buf()),
            page_file,
            externals: Vec::new(),
            ome_files: Default::default(),
            limits: *limits,
        };
        f.detect_series();
        Ok(f)
    }

    pub(crate) fn description(&self, page: usize) -> Option<String> {
        self.pages[page]
            .ifd
            .get(tag::IMAGE_DESCRIPTION)
            .and_then(|t| t.text())
    }

    /// The first two ImageDescription tags (tifffile's `description`, `description1`).
    fn descriptions(&self, page: usize) -> Vec<String> {
        self.pages[page]
            .ifd
            .tags
            .iter()
            .filter(|t| t.code == tag::IMAGE_DESCRIPTION)
            .take(2)
            .filter_map(|t| t.text())
            .collect()
    }
    /// tifffile's `shaped_description`: the first description in shaped format.
    pub(crate) fn shaped_description(&self, page: usize) -> Option<String> {
        self.descriptions(page)
            .into_iter()
            .find(|d| is_shaped_desc(d))
    }
    /// tifffile's `imagej_description`.
    pub(crate) fn imagej_description(&self, page: usize) -> Option<String> {
        self.descriptions(page)
            .into_iter()
            .find(|d| d.starts_with("ImageJ="))
    }
    pub(crate) fn is_shaped(&self) -> bool {
        self.shaped_description(0).is_some()
    }
    pub(crate) fn is_imagej(&self) -> bool {
        self.imagej_description(0).is_some()
    }
    pub(crate) fn is_ome(&self) -> bool {
        self.description(0)
            .is_some_and(|d| d.trim_end().ends_with("OME>"))
    }

    fn detect_series(&mut self) {
        for kind in ["shaped", "ome", "imagej"] {
            let applies = match kind {
                "shaped" => self.is_shaped(),
                "ome" => self.is_ome(),
                _ => self.is_imagej(),
            };
            if applies {
                let found = match kind {
                    "shaped" => self.series_shaped(),
                    "ome" => self.series_ome(),
                    _ => self.series_imagej(),
                };
                if let Some(s) = found.filter(|s| !s.is_empty()) {
                    self.series = s;
                    self.flavour = kind;
                    self.add_levels();
                    return;
                }
            }
        }
        self.series = self.series_generic();
        self.flavour = "generic";
        self.add_levels();
    }

    /// SubIFDs as pyramid levels: level k uses the k-th SubIFD of every page of the series.
    fn add_levels(&mut self) {
        for s in 0..self.series.len() {
            let pages = self.series[s].pages.clone();
            let nlev = pages
                .iter()
                .map(|&p| self.subs.get(p).map_or(0, Vec::len))
                .min()
                .unwrap_or(0);
            let mut levels = Vec::new();
            for k in 0..nlev {
                let lp: Vec<usize> = pages.iter().map(|&p| self.subs[p][k]).collect();
                let first = &self.pages[lp[0]];
                let base = &self.series[s];
                let keep = base
                    .shape
                    .len()
                    .saturating_sub(self.pages[pages[0]].shape.len());
                let mut shape = base.shape[..keep].to_vec();
                shape.extend_from_slice(&first.shape);
                if product(&shape) != first.size() * lp.len() {
                    break;
                }
                levels.push(Series {
                    kind: base.kind,
                    pages: lp,
                    shape,
                    axes: base.axes.clone(),
                    dtype: first.dtype,
                    name: base.name.clone(),
                    levels: Vec::new(),
                    contiguous: None,
                    spacing: Vec::new(),
                });
            }
            self.series[s].levels = levels;
        }
    }

    fn series_shaped(&self) -> Option<Vec<Series>> {
        let mut out = Vec::new();
        let mut index = 0;
        while index < self.nmain {
            let key = &self.pages[index];
            let desc = self.shaped_description(index)?;
            let meta = parse_shaped(&desc)?;
            let reshape: Vec<usize> = meta.shape;
            let size = product(&reshape);
            let psize = key.size();
            let (npages, rem) = if size > 0 && psize > 0 {
                (size / psize, size % psize)
            } else {
                (1, 0)
            };
            if rem != 0 {
                return None;
            }
            let mut contiguous = None;
            let pages: Vec<usize>;
            if meta.truncated || npages > self.nmain - index {
                let (off, _) = key.contiguous()?;
                contiguous = Some(off);
                pages = vec![index];
            } else {
                pages = (index..index + npages.max(1)).collect();
                if pages.iter().any(|&p| self.pages[p].key() != key.key()) {
                    return None;
                }
            }
            let axes = match meta.axes.filter(|a| a.len() == reshape.len()) {
                Some(a) => a,
                None => {
                    let (mut shape, mut axes) = (key.shape.clone(), key.axes.clone());
                    if pages.len() > 1 || contiguous.is_some() && size > psize {
                        shape.insert(0, size / psize.max(1));
                        axes.insert(0, 'Q');
                    }
                    reshape_axes(&axes, &shape, &reshape)
                }
            };
            out.push(Series {
                kind: "shaped",
                pages,
                shape: reshape,
                axes,
                dtype: key.dtype,
                name: meta.name,
                levels: Vec::new(),
                contiguous,
                spacing: Vec::new(),
            });
            index += npages.max(1);
        }
        Some(out)
    }

    fn series_imagej(&self) -> Option<Vec<Series>> {
        let desc = self.imagej_description(0)?;
        let meta = crate::meta::imagej_description(&desc);
        let geti = |k: &str| {
            meta.iter()
                .find(|(a, _)| a == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let page = &self.pages[0];
        let images = geti("images").unwrap_or(self.nmain).max(1);
        let frames = geti("frames").unwrap_or(1);
        let slices = geti("slices").unwrap_or(1);
        let channels = geti("channels").unwrap_or(1);
        // virtual stacks: all data contiguous after the first page
        let mut pages: Vec<usize> = (0..self.nmain).collect();
        let mut contiguous = None;
        if images > 1 {
            if let Some((off, count)) = page.contiguous() {
                let total = count as u128 * images as u128;
                let next = if self.nmain > 1 {
                    self.pages[1].ifd.offset as u128
                } else {
                    u128::MAX
                };
                if count as usize == page.nbytes()
                    && off as u128 + total <= self.data.len() as u128
                    && off as u128 + total <= next
                {
                    pages = vec![0];
                    contiguous = Some(off);
                }
            }
        }
        if contiguous.is_none() && pages.len() < images {
            return None;
        }
        pages.truncate(images);
        let mut shape = Vec::new();
        let mut axes = String::new();
        if frames > 1 {
            shape.push(frames);
            axes.push('T');
        }
        if slices > 1 {
            shape.push(slices);
            axes.push('Z');
        }
        if channels > 1 && product(&shape) != images {
            shape.push(channels);
            axes.push('C');
        }
        let remain = images / product(&shape).max(1);
        if remain > 1 {
            shape.push(remain);
            axes.push('I');
        }
        if page.axes.starts_with('S') && axes.contains('C') {
            shape.extend_from_slice(&page.shape[1..]);
            axes.push_str(&page.axes[1..]);
        } else {
            shape.extend_from_slice(&page.shape);
            axes.push_str(&page.axes);
        }
        if product(&shape) != images * page.size() {
            return None;
        }
        let mut spacing = Vec::new();
        let getf = |k: &str| {
            meta.iter()
                .find(|(a, _)| a == k)
                .and_then(|(_, v)| v.parse::<f64>().ok())
        };
        if let Some(z) = getf("spacing") {
            spacing.push(('Z', z));
        }
        if let Some(t) = getf("finterval") {
            spacing.push(('T', t));
        }
        if let Some((x, y)) = crate::meta::resolution(page) {
            if x > 0.0 && y > 0.0 {
                spacing.push(('X', 1.0 / x));
                spacing.push(('Y', 1.0 / y));
            }
        }
        Some(vec![Series {
            kind: "imagej",
            pages,
            shape,
            axes,
            dtype: page.dtype,
            name: String::new(),
            levels: Vec::new(),
            contiguous,
            spacing,
        }])
    }

    /// Opens (once) the companion file `name` of a multi-file OME-TIFF, registered under
    /// `uuid`; `None` when it cannot be read (its planes are then zeros, like tifffile).
    fn ome_companion(&mut self, uuid: &str, name: &str) -> Option<usize> {
        if let Some(&k) = self.ome_files.get(uuid) {
            return k;
        }
        let k = self.open_companion(name).ok();
        self.ome_files.insert(uuid.to_owned(), k);
        k
    }

    fn open_companion(&mut self, name: &str) -> Result<usize> {
        let dir = self
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .ok_or_else(|| Error::decoding("not a file"))?;
        // only a plain file name beside this one (no paths out of the folder)
        if name.contains(['/', '\\']) || name == ".." {
            return Err(Error::decoding("companion names must be plain file names"));
        }
        let req = imageio_core::Request::new(
            imageio_core::Resource::from(dir.join(name)),
            imageio_core::Mode::Read,
            None,
            self.limits,
        )?;
        let data: Data<'static> = Data::new(req.source()?)?;
        let head = data.read_vec(0, data.len().min(16))?;
        let (fmt, first) =
            ifd::parse_header(&head).ok_or_else(|| Error::decoding("companion is not a TIFF"))?;
        let mut budget = ifd::TagBudget::new(&self.limits);
        let chain = ifd::read_chain(&data, &fmt, first, &mut HashSet::new(), &mut budget)?;
        let k = self.externals.len() + 1;
        let mut pages = Vec::with_capacity(chain.len());
        for ifd in chain {
            pages.push(self.pages.len());
            self.pages.push(Page::new(ifd)?);
            self.page_file.push(k);
        }
        self.externals.push(External { data, fmt, pages });
        Ok(k)
    }

    /// tifffile's `_series_ome`: every Image's planes are placed by their TiffData elements
    /// (`IFD`, `PlaneCount`/`NumPlanes`, `FirstZ/C/T` in the DimensionOrder, `UUID FileName`
    /// for planes in other files); planes without a page are zeros.
    fn series_ome(&mut self) -> Option<Vec<Series>> {
        let desc = self.description(0)?;
        let doc = roxmltree::Document::parse(&desc).ok()?;
        let root = doc.root_element();
        let mut root_uuid = root.attribute("UUID").map(str::to_owned);
        if let Some(u) = &root_uuid {
            self.ome_files.insert(u.clone(), Some(0));
        }
        let own_name = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_lowercase());
        let mut out = Vec::new();
        // the plane tables (8 bytes a plane, held by the series) are allocated before any pixels:
        // bound them (8 MB) for hostile XML, all Images together: each Image may declare its
        // own million planes
        let mut planes_left: usize = 1 << 20;
        for image in root.children().filter(|n| n.is_element()) {
            let tag = image.tag_name().name();
            if tag == "BinaryOnly" {
                break;
            }
            if tag != "Image" {
                continue;
            }
            let Some(pixels) = image.children().find(|n| n.tag_name().name() == "Pixels") else {
                continue;
            };
            let attr = |k: &str| pixels.attribute(k);
            let order = attr("DimensionOrder").unwrap_or("XYCZT");
            let axes: Vec<char> = order.chars().rev().collect();
            if axes.len() != 5 || axes[3..] != ['Y', 'X'] {
                continue;
            }
            let mut shape: Vec<usize> = axes
                .iter()
                .map(|a| {
                    attr(&format!("Size{a}"))
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(1)
                        .max(1)
                })
                .collect();
            let channel = pixels.children().find(|n| n.tag_name().name() == "Channel");
            let spp_attr = channel
                .and_then(|c| c.attribute("SamplesPerPixel"))
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0);
            let c_axis = axes.iter().position(|&a| a == 'C').unwrap_or(0);
            if let Some(n) = spp_attr {
                shape[c_axis] = (shape[c_axis] / n).max(1);
            }
            let planes_shape = shape[..3].to_vec();
            let nplanes = product(&planes_shape);
            planes_left = planes_left.checked_sub(nplanes)?;
            let mut ifds: Vec<usize> = Vec::new();
            for td in pixels
                .children()
                .filter(|n| n.tag_name().name() == "TiffData")
            {
                let geta = |k: &str| td.attribute(k).and_then(|v| v.parse::<usize>().ok());
                let ifd_index = geta("IFD").unwrap_or(0);
                let num = geta("PlaneCount")
                    .or_else(|| geta("NumPlanes"))
                    .unwrap_or(usize::from(td.attribute("IFD").is_some()));
                // index of the first plane: FirstT/FirstC/FirstZ raveled over the plane shape
                let mut idx = 0usize;
                let mut valid = true;
                for (a, &n) in axes[..3].iter().zip(&planes_shape) {
                    let v = geta(&format!("First{a}")).unwrap_or(0);
                    valid &= v < n;
                    idx = idx * n + v;
                }
                if !valid {
                    continue;
                }
                let uuid = td.children().find(|n| n.tag_name().name() == "UUID");
                let file = match uuid {
                    None => Some(0),
                    Some(u) => {
                        let text = u.text().unwrap_or("").trim().to_owned();
                        let fname = u.attribute("FileName").unwrap_or("");
                        if root_uuid.is_none() && own_name.as_deref() == Some(&fname.to_lowercase())
                        {
                            root_uuid = Some(text.clone());
                            self.ome_files.insert(text.clone(), Some(0));
                        }
                        match self.ome_files.get(&text) {
                            Some(&k) => k,
                            None => self.ome_companion(&text, fname),
                        }
                    }
                };
                let file_pages: Vec<usize> = match file {
                    Some(0) => (0..self.nmain).collect(),
                    Some(k) => self.externals[k - 1].pages.clone(),
                    None => Vec::new(),
                };
                let size = if num > 0 {
                    num
                } else if file.is_some() {
                    file_pages.len()
                } else {
                    return None; // tifffile: missing NumPlanes or PlaneCount
                };
                let end = idx.saturating_add(size).min(nplanes.max(idx + 1));
                if ifds.len() < end {
                    ifds.resize(end, MISSING);
                }
                for i in 0..end - idx {
                    match file_pages.get(ifd_index + i) {
                        Some(&p) => ifds[idx + i] = p,
                        None if file.is_some() => break, // index out of range (tifffile warns)
                        None => {}
                    }
                }
            }
            let Some(&key) = ifds.iter().find(|&&p| p != MISSING) else {
                continue;
            };
            let page = &self.pages[key];
            let spp_n = spp_attr.unwrap_or(page.spp);
            let mut axes: String = axes.into_iter().collect();
            if spp_n > 1 {
                if spp_attr.is_none() {
                    shape[c_axis] = (shape[c_axis] / spp_n).max(1);
                }
                if page.planar == 2 {
                    shape.insert(3, spp_n);
                    axes.insert(3, 'S');
                } else {
                    shape.push(spp_n);
                    axes.push('S');
                }
            }
            let psize = page.size().max(1);
            let n = (product(&shape) / psize).max(1);
            if n > nplanes.max(1) {
                continue; // pages smaller than the declared planes: not this layout
            }
            ifds.resize(n, MISSING);
            // squeeze length-1 axes except Y and X (tifffile's default)
            let (mut sq, mut sa) = (Vec::new(), String::new());
            for (n, a) in shape.iter().zip(axes.chars()) {
                if *n != 1 || a == 'Y' || a == 'X' {
                    sq.push(*n);
                    sa.push(a);
                }
            }
            if sq.len() < page.shape.len() || sq[sq.len() - page.shape.len()..] != page.shape[..] {
                continue; // tifffile: cannot handle discontiguous storage
            }
            if ifds
                .iter()
                .any(|&p| p != MISSING && self.pages[p].key() != page.key())
            {
                continue;
            }
            let mut spacing = Vec::new();
            for (k, ax) in [
                ("PhysicalSizeX", 'X'),
                ("PhysicalSizeY", 'Y'),
                ("PhysicalSizeZ", 'Z'),
                ("TimeIncrement", 'T'),
            ] {
                if let Some(v) = attr(k).and_then(|v| v.parse::<f64>().ok()) {
                    spacing.push((ax, v));
                }
            }
            out.push(Series {
                kind: "ome",
                pages: ifds,
                shape: sq,
                axes: sa,
                dtype: page.dtype,
                name: image.attribute("Name").unwrap_or("").to_owned(),
                levels: Vec::new(),
                contiguous: None,
                spacing,
            });
        }
        Some(out)
    }

    /// Decodes page `p` (of this file or an OME companion) into `out`.
    pub(crate) fn decode_page(&self, p: usize, out: &mut [u8], parallel: bool) -> Result<()> {
        let page = &self.pages[p];
        match self.page_file.get(p).copied().unwrap_or(0) {
            0 => page.decode_into(&self.data, &self.fmt, out, parallel),
            k => {
                let e = &self.externals[k - 1];
                page.decode_into(&e.data, &e.fmt, out, parallel)
            }
        }
    }

    fn series_generic(&self) -> Vec<Series> {
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in 0..self.nmain {
            let p = &self.pages[i];
            if p.size() == 0 {
                continue;
            }
            match groups
                .iter_mut()
                .find(|(k, _)| self.pages[*k].generic_key() == p.generic_key())
            {
                Some((_, v)) => v.push(i),
                None => groups.push((i, vec![i])),
            }
        }
        groups
            .into_iter()
            .map(|(k, pages)| {
                let p = &self.pages[k];
                let (mut shape, mut axes) = (p.shape.clone(), p.axes.clone());
                if pages.len() > 1 {
                    shape.insert(0, pages.len());
                    axes.insert(0, 'I');
                }
                Series {
                    kind: "generic",
                    pages,
                    shape,
                    axes,
                    dtype: p.dtype,
                    name: String::new(),
                    levels: Vec::new(),
                    contiguous: None,
                    spacing: Vec::new(),
                }
            })
            .collect()
    }

    /// Decodes a series (checks `limits` before allocating).
    pub(crate) fn read_series(&self, s: &Series, limits: &Limits) -> Result<NdArray> {
        let first = &self.pages[s.key_page()];
        limits.check_pixels(first.width as u64, first.height as u64)?;
        limits.check_alloc(&s.shape, s.dtype)?;
        fill(s.dtype, &s.shape, |out| {
            if let Some(off) = s.contiguous {
                if first.dtype.size() * 8 != first.bps as usize || first.dtype == DType::Bool {
                    return Err(Error::decoding(
                        "contiguous series with packed samples are not supported",
                    ));
                }
                self.data.read_at(off, out)?;
                if self.fmt.big_endian != cfg!(target_endian = "big") {
                    crate::codecs::swap(out, first.dtype.size());
                }
                return Ok(());
            }
            if out.is_empty() {
                return Ok(());
            }
            if self.read_raw_runs(s, out)? {
                return Ok(());
            }
            let pb = first.nbytes();
            let need = out.len() / pb.max(1);
            if pb == 0 || need > s.pages.len() || need * pb != out.len() {
                return Err(Error::decoding("the series' pages do not match its shape"));
            }
            let jobs: Vec<(usize, &mut [u8])> = s.pages[..need]
                .iter()
                .copied()
                .zip(out.chunks_mut(pb))
                .collect();
            let many = jobs.len() > 1;
            let run = |(p, chunk): (usize, &mut [u8])| {
                if p == MISSING {
                    return Ok(()); // a plane without a page: zeros (tifffile)
                }
                let page = &self.pages[p];
                if page.nbytes() != chunk.len() {
                    return Err(Error::decoding("pages of a series differ in size"));
                }
                self.decode_page(p, chunk, !many)
            };
            if many {
                jobs.into_par_iter().try_for_each(run)
            } else {
                jobs.into_iter().try_for_each(run)
            }
        })
    }

    /// Uncompressed series whose pages hold exactly the output bytes: one read per run of
    /// adjacent pages straight into `out` (large runs split across rayon's threads), then the
    /// byte swap when the file's order is not native. Returns false (nothing read) otherwise.
    fn read_raw_runs(&self, s: &Series, out: &mut [u8]) -> Result<bool> {
        let mut runs: Vec<(u64, usize, usize)> = Vec::new(); // (file offset, out start, len)
        let mut at = 0usize;
        for &p in &s.pages {
            if p == MISSING || self.page_file.get(p).copied().unwrap_or(0) != 0 {
                return Ok(false);
            }
            let Some((off, len)) = self.pages[p].raw_block() else {
                return Ok(false);
            };
            let len = len as usize;
            if at + len > out.len() {
                break;
            }
            match runs.last_mut() {
                Some((o, start, l)) if *o + *l as u64 == off && *start + *l == at => *l += len,
                _ => runs.push((off, at, len)),
            }
            at += len;
        }
        if at != out.len() {
            return Ok(false);
        }
        // split into pieces of at least 4 MiB for parallel copies out of the page cache
        const PIECE: usize = 4 << 20;
        let threads = rayon::current_num_threads().max(1);
        let mut jobs: Vec<(u64, &mut [u8])> = Vec::new();
        let mut rest: &mut [u8] = out;
        let mut consumed = 0usize;
        for (off, start, len) in runs {
            debug_assert_eq!(start, consumed);
            let (run, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            consumed += len;
            // whole samples per piece (the byte swap works per piece)
            let piece = len
                .div_ceil(threads)
                .max(PIECE)
                .next_multiple_of(s.dtype.size().max(1));
            let mut o = off;
            for chunk in run.chunks_mut(piece) {
                let n = chunk.len() as u64;
                jobs.push((o, chunk));
                o += n;
            }
        }
        let swap = self.fmt.big_endian != cfg!(target_endian = "big");
        let isz = s.dtype.size();
        let read = |(off, chunk): (u64, &mut [u8])| -> Result<()> {
            self.data.read_at(off, chunk)?;
            if swap && isz > 1 {
                crate::codecs::swap(chunk, isz);
            }
            Ok(())
        };
        if jobs.len() > 1 {
            jobs.into_par_iter().try_for_each(read)?;
        } else {
            jobs.into_iter().try_for_each(read)?;
        }
        Ok(true)
    }

    /// Decodes one page.
    pub(crate) fn read_page(&self, p: usize, limits: &Limits) -> Result<NdArray> {
        let page = &self.pages[p];
        limits.check_pixels(page.width as u64, page.height as u64)?;
        limits.check_alloc(&page.shape, page.dtype)?;
        fill(page.dtype, &page.shape, |out| {
            self.decode_page(p, out, true)
        })
    }
}

/// Allocates a zeroed array of `dtype`/`shape` (huge pages for large ones: far fewer page faults
/// while `f` fills it) and lets `f` fill its bytes (native order).
pub(crate) fn fill(
    dtype: DType,
    shape: &[usize],
    f: impl FnOnce(&mut [u8]) -> Result<()>,
) -> Result<NdArray> {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &b| a.checked_mul(b))
        .ok_or_else(|| Error::limits("array size overflows"))?;
    macro_rules! typed {
        ($t:ty) => {{
            let mut v = imageio_core::zeroed_vec::<$t>(n);
            f(bytemuck::cast_slice_mut(&mut v))?;
            NdArray::from_shape_vec(shape, v)
        }};
    }
    match dtype {
        DType::Bool => {
            let mut v = vec![0u8; n];
            f(&mut v)?;
            NdArray::from_shape_vec(shape, v.into_iter().map(|b| b != 0).collect::<Vec<bool>>())
        }
        DType::U8 => typed!(u8),
        DType::U16 => typed!(u16),
        DType::U32 => typed!(u32),
        DType::U64 => typed!(u64),
        DType::I8 => typed!(i8),
        DType::I16 => typed!(i16),
        DType::I32 => typed!(i32),
        DType::I64 => typed!(i64),
        DType::F32 => typed!(f32),
        DType::F64 => typed!(f64),
        d => Err(Error::decoding(format!("dtype {d} is not supported"))),
    }
}

pub(crate) fn is_shaped_desc(d: &str) -> bool {
    d.starts_with("{\"shape\":") || d.starts_with("shape=(")
}

pub(crate) struct ShapedMeta {
    pub shape: Vec<usize>,
    pub axes: Option<String>,
    pub name: String,
    pub truncated: bool,
    pub json: Option<serde_json::Value>,
}

pub(crate) fn parse_shaped(d: &str) -> Option<ShapedMeta> {
    if let Some(rest) = d.strip_prefix("shape=(") {
        let inner = rest.split(')').next()?;
        let shape = inner
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().ok())
            .collect::<Option<Vec<usize>>>()?;
        return Some(ShapedMeta {
            shape,
            axes: None,
            name: String::new(),
            truncated: false,
            json: None,
        });
    }
    let v: serde_json::Value = serde_json::from_str(d.trim_end_matches('\0')).ok()?;
    let shape = v
        .get("shape")?
        .as_array()?
        .iter()
        .map(|x| x.as_u64().map(|u| u as usize))
        .collect::<Option<Vec<_>>>()?;
    Some(ShapedMeta {
        shape,
        axes: v.get("axes").and_then(|a| a.as_str()).map(str::to_owned),
        name: v
            .get("name")
            .and_then(|a| a.as_str())
            .unwrap_or("")
            .to_owned(),
        truncated: v
            .get("truncated")
            .and_then(|a| a.as_bool())
            .unwrap_or(false),
        json: Some(v),
    })
}

/// tifffile's `reshape_axes`: the axes letters of `shape` carried over to `newshape`.
pub(crate) fn reshape_axes(axes: &str, shape: &[usize], newshape: &[usize]) -> String {
    let axes: Vec<char> = axes.chars().collect();
    if axes.len() != shape.len() || product(shape) != product(newshape) || newshape.is_empty() {
        return "Q".repeat(newshape.len());
    }
    let lendiff = shape.len().saturating_sub(newshape.len());
    let mut ns_all = newshape.to_vec();
    ns_all.extend(std::iter::repeat_n(1, lendiff));
    let mut i = shape.len() as isize - 1;
    let (mut prodns, mut prods) = (1usize, 1usize);
    let mut result = Vec::new();
    for &ns in ns_all.iter().rev() {
        prodns *= ns;
        while i > 0 && shape[i as usize] == 1 && ns != 1 {
            i -= 1;
        }
        if i >= 0 && ns == shape[i as usize] && prodns == prods * shape[i as usize] {
            prods *= shape[i as usize];
            result.push(axes[i as usize]);
            i -= 1;
        } else {
            result.push('Q');
        }
    }
    result[lendiff..].iter().rev().collect()
}
