//! Colour quantisation for the writer: an exact palette when the pixels have few enough colours,
//! else NeuQuant (the `color_quant` crate) or a median cut refined by k-means (written here);
//! optional Floyd–Steinberg dithering.

/// Which quantiser builds the palette when a frame has more colours than fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantizer {
    /// NeuQuant (Dekker 1994) through the `color_quant` crate.
    NeuQuant,
    /// Median cut (split the box with the widest channel range at the median), then a few
    /// k-means passes over the pixels.
    MedianCut,
}

/// A quantised frame.
pub(crate) struct Quantised {
    /// RGB triplets.
    pub palette: Vec<u8>,
    pub indices: Vec<u8>,
    pub transparent: Option<u8>,
}

/// Nearest-colour search over a small palette: entries sorted by green, searched outwards from
/// the query's green until the green distance alone exceeds the best match; cached per cell.
struct Nearest {
    /// (g, r, b, original index), sorted by g.
    sorted: Vec<(i32, i32, i32, u16)>,
    cache: Vec<u16>,
}

impl Nearest {
    fn new(palette: &[[i32; 3]], cached: bool) -> Self {
        let mut sorted: Vec<(i32, i32, i32, u16)> = palette
            .iter()
            .enumerate()
            .map(|(i, p)| (p[1], p[0], p[2], i as u16))
            .collect();
        sorted.sort_unstable();
        Nearest {
            sorted,
            cache: if cached {
                vec![u16::MAX; 1 << 18]
            } else {
                Vec::new()
            },
        }
    }

    fn exact(&self, c: [i32; 3]) -> usize {
        let s = &self.sorted;
        let start = s.partition_point(|e| e.0 < c[1]);
        let mut best = 0u16;
        let mut bd = i32::MAX;
        let mut up = start;
        let mut down = start;
        loop {
            let mut progressed = false;
            if up < s.len() {
                let e = s[up];
                let dg = (e.0 - c[1]).pow(2);
                if dg < bd {
                    let d = dg + (e.1 - c[0]).pow(2) + (e.2 - c[2]).pow(2);
                    if d < bd || (d == bd && e.3 < best) {
                        bd = d;
                        best = e.3;
                    }
                    up += 1;
                    progressed = true;
                } else {
                    up = s.len();
                }
            }
            if down > 0 {
                let e = s[down - 1];
                let dg = (e.0 - c[1]).pow(2);
                if dg < bd {
                    let d = dg + (e.1 - c[0]).pow(2) + (e.2 - c[2]).pow(2);
                    if d < bd || (d == bd && e.3 < best) {
                        bd = d;
                        best = e.3;
                    }
                    down -= 1;
                    progressed = true;
                } else {
                    down = 0;
                }
            }
            if !progressed {
                return best as usize;
            }
        }
    }

    /// Nearest palette entry to `c`, searched exactly for the centre of its 6-bit-per-channel
    /// cell and cached (the cell error is at most 2 levels per channel).
    fn find(&mut self, c: [i32; 3]) -> usize {
        let key = ((c[0] as usize >> 2) << 12) | ((c[1] as usize >> 2) << 6) | (c[2] as usize >> 2);
        let v = self.cache[key];
        if v != u16::MAX {
            return v as usize;
        }
        let centre = [(c[0] & !3) + 2, (c[1] & !3) + 2, (c[2] & !3) + 2];
        let i = self.exact(centre);
        self.cache[key] = i as u16;
        i
    }
}

/// A tiny open-addressing map from RGB to a palette index (the exact-palette check).
struct ColourMap {
    keys: Vec<u32>,
    vals: Vec<u8>,
    len: usize,
}

impl ColourMap {
    const SLOTS: usize = 1024;
    fn new() -> Self {
        ColourMap {
            keys: vec![0; Self::SLOTS],
            vals: vec![0; Self::SLOTS],
            len: 0,
        }
    }
    fn slot(&self, key: u32) -> usize {
        let mut i = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize;
        while self.keys[i] != 0 && self.keys[i] != key {
            i = (i + 1) & (Self::SLOTS - 1);
        }
        i
    }
    /// The index of `c`, inserting it as the next index; `None` when full (`max` colours).
    fn get_or_insert(&mut self, c: [u8; 3], max: usize) -> Option<u8> {
        let key = 1 + ((c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32);
        let i = self.slot(key);
        if self.keys[i] == key {
            return Some(self.vals[i]);
        }
        if self.len == max {
            return None;
        }
        self.keys[i] = key;
        self.vals[i] = self.len as u8;
        self.len += 1;
        Some(self.vals[i])
    }
}

/// Quantises `rgba` (`w × h` pixels) to at most `colours` palette entries (2..=256), one of them
/// reserved for transparency when some pixel has alpha < 128 (or when `force_transparent`).
pub(crate) fn quantise(
    rgba: &[u8],
    w: usize,
    colours: usize,
    quantizer: Quantizer,
    dither: bool,
    speed: i32,
    force_transparent: bool,
) -> Quantised {
    let has_transparent = force_transparent || rgba.chunks_exact(4).any(|p| p[3] < 128);
    let budget = colours - usize::from(has_transparent);
    let budget = budget.max(1);
    // Exact palette when the opaque pixels have few enough colours (at most 256).
    let mut map = ColourMap::new();
    let mut palette = Vec::new();
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    let mut exact = true;
    for p in rgba.chunks_exact(4) {
        if p[3] < 128 {
            indices.push(u8::MAX);
            continue;
        }
        let before = map.len;
        match map.get_or_insert([p[0], p[1], p[2]], budget.min(256)) {
            Some(i) => {
                if map.len > before {
                    palette.extend_from_slice(&p[..3]);
                }
                indices.push(i);
            }
            None => {
                exact = false;
                break;
            }
        }
    }
    let transparent_index = |n_colours: usize| has_transparent.then_some(n_colours as u8);
    if exact {
        let n = map.len;
        let t = transparent_index(n);
        if let Some(t) = t {
            palette.extend_from_slice(&[0, 0, 0]);
            for (i, p) in indices.iter_mut().zip(rgba.chunks_exact(4)) {
                if p[3] < 128 {
                    *i = t;
                }
            }
        }
        if palette.is_empty() {
            palette.extend_from_slice(&[0, 0, 0]);
        }
        return Quantised {
            palette,
            indices,
            transparent: t,
        };
    }

    let opaque: Vec<[u8; 3]> = rgba
        .chunks_exact(4)
        .filter(|p| p[3] >= 128)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let table: Vec<[i32; 3]> = match quantizer {
        Quantizer::NeuQuant => neuquant_palette(&opaque, budget, speed),
        Quantizer::MedianCut => median_cut(&opaque, budget),
    };
    let t = transparent_index(table.len());
    let mut nearest = Nearest::new(&table, true);
    let n = rgba.len() / 4;
    let mut indices = vec![0u8; n];
    if dither {
        let h = n / w.max(1);
        // Error rows (current and next) in 1/16 units.
        let mut err_cur = vec![[0i32; 3]; w + 2];
        let mut err_next = vec![[0i32; 3]; w + 2];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let p = &rgba[i * 4..i * 4 + 4];
                if p[3] < 128 {
                    indices[i] = t.unwrap_or(0);
                    continue;
                }
                let e = err_cur[x + 1];
                let c = [
                    (p[0] as i32 + e[0] / 16).clamp(0, 255),
                    (p[1] as i32 + e[1] / 16).clamp(0, 255),
                    (p[2] as i32 + e[2] / 16).clamp(0, 255),
                ];
                let k = nearest.find(c);
                indices[i] = k as u8;
                let q = table[k];
                for ch in 0..3 {
                    let d = c[ch] - q[ch];
                    err_cur[x + 2][ch] += d * 7;
                    err_next[x][ch] += d * 3;
                    err_next[x + 1][ch] += d * 5;
                    err_next[x + 2][ch] += d;
                }
            }
            std::mem::swap(&mut err_cur, &mut err_next);
            err_next.iter_mut().for_each(|e| *e = [0; 3]);
        }
    } else {
        for (i, p) in rgba.chunks_exact(4).enumerate() {
            indices[i] = if p[3] < 128 {
                t.unwrap_or(0)
            } else {
                nearest.find([p[0] as i32, p[1] as i32, p[2] as i32]) as u8
            };
        }
    }
    let mut palette: Vec<u8> = table.iter().flat_map(|c| c.map(|v| v as u8)).collect();
    if t.is_some() {
        palette.extend_from_slice(&[0, 0, 0]);
    }
    Quantised {
        palette,
        indices,
        transparent: t,
    }
}

fn neuquant_palette(opaque: &[[u8; 3]], colours: usize, speed: i32) -> Vec<[i32; 3]> {
    let mut px = Vec::with_capacity(opaque.len() * 4);
    for c in opaque {
        px.extend_from_slice(&[c[0], c[1], c[2], 255]);
    }
    // NeuQuant needs a network of a reasonable size; smaller palettes take the median cut.
    if colours < 16 {
        return median_cut(opaque, colours);
    }
    let nq = color_quant::NeuQuant::new(speed.clamp(1, 30), colours, &px);
    nq.color_map_rgb()
        .chunks_exact(3)
        .map(|c| [c[0] as i32, c[1] as i32, c[2] as i32])
        .collect()
}

/// Median cut on a 15-bit colour histogram (each cell keeps its mean colour), then k-means
/// refinement over the cells.
fn median_cut(opaque: &[[u8; 3]], colours: usize) -> Vec<[i32; 3]> {
    let mut count = vec![0u32; 1 << 15];
    let mut sums = vec![[0u32; 3]; 1 << 15];
    for c in opaque {
        let k = ((c[0] as usize >> 3) << 10) | ((c[1] as usize >> 3) << 5) | (c[2] as usize >> 3);
        count[k] += 1;
        let s = &mut sums[k];
        s[0] += c[0] as u32;
        s[1] += c[1] as u32;
        s[2] += c[2] as u32;
    }
    let mut entries: Vec<([u8; 3], u32)> = count
        .iter()
        .zip(&sums)
        .filter(|(n, _)| **n > 0)
        .map(|(&n, s)| ([(s[0] / n) as u8, (s[1] / n) as u8, (s[2] / n) as u8], n))
        .collect();
    if entries.is_empty() {
        return vec![[0, 0, 0]];
    }
    // Boxes are ranges of `entries`, with their (channel, range, weight) cached.
    let stats = |e: &[([u8; 3], u32)]| {
        let (ch, range) = widest(e);
        let weight: u64 = e.iter().map(|x| x.1 as u64).sum();
        (ch, range, weight)
    };
    let mut boxes: Vec<(usize, usize, usize, u8, u64)> = {
        let (ch, r, w) = stats(&entries);
        vec![(0, entries.len(), ch, r, w)]
    };
    while boxes.len() < colours {
        let best = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.1 - b.0 >= 2 && b.3 > 0)
            .max_by_key(|(_, b)| b.3 as u64 * b.4)
            .map(|(i, _)| i);
        let Some(bi) = best else { break };
        let (s, e, ch, _, total) = boxes[bi];
        let slice = &mut entries[s..e];
        slice.sort_unstable_by_key(|x| x.0[ch]);
        let mut acc = 0u64;
        let mut cut = 1;
        for (i, x) in slice.iter().enumerate() {
            acc += x.1 as u64;
            if acc * 2 >= total {
                cut = (i + 1).clamp(1, slice.len() - 1);
                break;
            }
        }
        let (c1, r1, w1) = stats(&entries[s..s + cut]);
        let (c2, r2, w2) = stats(&entries[s + cut..e]);
        boxes[bi] = (s, s + cut, c1, r1, w1);
        boxes.push((s + cut, e, c2, r2, w2));
    }
    let mut centres: Vec<[f64; 3]> = boxes
        .iter()
        .map(|&(s, e, ..)| {
            let mut sum = [0f64; 3];
            let mut wsum = 0f64;
            for (c, n) in &entries[s..e] {
                for ch in 0..3 {
                    sum[ch] += c[ch] as f64 * *n as f64;
                }
                wsum += *n as f64;
            }
            sum.map(|v| v / wsum)
        })
        .collect();
    // K-means refinement over the cells (weighted), exact nearest centre.
    for _ in 0..3 {
        let table: Vec<[i32; 3]> = centres
            .iter()
            .map(|c| c.map(|v| v.round() as i32))
            .collect();
        let nearest = Nearest::new(&table, false);
        let mut acc = vec![[0f64; 4]; table.len()];
        for (c, n) in &entries {
            let k = nearest.exact([c[0] as i32, c[1] as i32, c[2] as i32]);
            let a = &mut acc[k];
            for ch in 0..3 {
                a[ch] += c[ch] as f64 * *n as f64;
            }
            a[3] += *n as f64;
        }
        for (c, a) in centres.iter_mut().zip(&acc) {
            if a[3] > 0.0 {
                *c = [a[0] / a[3], a[1] / a[3], a[2] / a[3]];
            }
        }
    }
    centres
        .iter()
        .map(|c| c.map(|v| v.round().clamp(0.0, 255.0) as i32))
        .collect()
}

fn widest(entries: &[([u8; 3], u32)]) -> (usize, u8) {
    let mut lo = [255u8; 3];
    let mut hi = [0u8; 3];
    for (c, _) in entries {
        for ch in 0..3 {
            lo[ch] = lo[ch].min(c[ch]);
            hi[ch] = hi[ch].max(c[ch]);
        }
    }
    let r = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    let ch = if r[0] >= r[1] && r[0] >= r[2] {
        0
    } else if r[1] >= r[2] {
        1
    } else {
        2
    };
    (ch, r[ch])
}
