//! Colour quantisation for the writer: an exact palette when the pixels have few enough colours,
//! else NeuQuant (the `color_quant` crate) or a median cut refined by k-means (written here);
//! optional Floyd–Steinberg dithering.

use std::collections::HashMap;

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

/// Nearest-colour search over a small palette, cached per 15-bit colour.
struct Nearest<'p> {
    palette: &'p [[i32; 3]],
    cache: Vec<u16>,
}

impl<'p> Nearest<'p> {
    fn new(palette: &'p [[i32; 3]]) -> Self {
        Nearest {
            palette,
            cache: vec![u16::MAX; 1 << 18],
        }
    }

    fn exact(&self, c: [i32; 3]) -> usize {
        let mut best = 0;
        let mut bd = i32::MAX;
        for (i, p) in self.palette.iter().enumerate() {
            let d = (p[0] - c[0]).pow(2) + (p[1] - c[1]).pow(2) + (p[2] - c[2]).pow(2);
            if d < bd {
                bd = d;
                best = i;
            }
        }
        best
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
    // Exact palette when the opaque pixels have few enough colours.
    let mut map: HashMap<[u8; 3], u8> = HashMap::new();
    let mut palette = Vec::new();
    let mut exact = true;
    for p in rgba.chunks_exact(4) {
        if p[3] < 128 {
            continue;
        }
        let c = [p[0], p[1], p[2]];
        if !map.contains_key(&c) {
            if map.len() == budget {
                exact = false;
                break;
            }
            map.insert(c, map.len() as u8);
            palette.extend_from_slice(&c);
        }
    }
    let transparent_index = |n_colours: usize| has_transparent.then_some(n_colours as u8);
    if exact {
        let n = map.len();
        let t = transparent_index(n);
        if t.is_some() {
            palette.extend_from_slice(&[0, 0, 0]);
        }
        if palette.is_empty() {
            palette.extend_from_slice(&[0, 0, 0]);
        }
        let indices = rgba
            .chunks_exact(4)
            .map(|p| {
                if p[3] < 128 {
                    t.unwrap_or(0)
                } else {
                    map[&[p[0], p[1], p[2]]]
                }
            })
            .collect();
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
    let mut nearest = Nearest::new(&table);
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

/// Median cut on a colour histogram, then k-means refinement.
fn median_cut(opaque: &[[u8; 3]], colours: usize) -> Vec<[i32; 3]> {
    // Histogram at full precision.
    let mut hist: HashMap<[u8; 3], u32> = HashMap::new();
    for c in opaque {
        *hist.entry(*c).or_insert(0) += 1;
    }
    let mut entries: Vec<([u8; 3], u32)> = hist.into_iter().collect();
    entries.sort_unstable();
    if entries.is_empty() {
        return vec![[0, 0, 0]];
    }
    // Boxes are ranges of `entries`.
    let mut boxes: Vec<(usize, usize)> = vec![(0, entries.len())];
    while boxes.len() < colours {
        // Split the box with the largest (range × weight).
        let mut best = None;
        let mut best_score = 0u64;
        for (bi, &(s, e)) in boxes.iter().enumerate() {
            if e - s < 2 {
                continue;
            }
            let (ch, range) = widest(&entries[s..e]);
            let weight: u64 = entries[s..e].iter().map(|x| x.1 as u64).sum();
            let score = range as u64 * weight;
            if score > best_score {
                best_score = score;
                best = Some((bi, ch));
            }
        }
        let Some((bi, ch)) = best else { break };
        let (s, e) = boxes[bi];
        let slice = &mut entries[s..e];
        slice.sort_unstable_by_key(|x| x.0[ch]);
        let total: u64 = slice.iter().map(|x| x.1 as u64).sum();
        let mut acc = 0u64;
        let mut cut = 1;
        for (i, x) in slice.iter().enumerate() {
            acc += x.1 as u64;
            if acc * 2 >= total {
                cut = (i + 1).clamp(1, slice.len() - 1);
                break;
            }
        }
        boxes[bi] = (s, s + cut);
        boxes.push((s + cut, e));
    }
    let mut centres: Vec<[f64; 3]> = boxes
        .iter()
        .map(|&(s, e)| {
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
    // K-means refinement over the distinct colours (weighted).
    for _ in 0..3 {
        let table: Vec<[i32; 3]> = centres
            .iter()
            .map(|c| c.map(|v| v.round() as i32))
            .collect();
        let mut nearest = Nearest::new(&table);
        let mut sums = vec![[0f64; 4]; table.len()];
        for (c, n) in &entries {
            let k = nearest.find([c[0] as i32, c[1] as i32, c[2] as i32]);
            let s = &mut sums[k];
            for ch in 0..3 {
                s[ch] += c[ch] as f64 * *n as f64;
            }
            s[3] += *n as f64;
        }
        for (c, s) in centres.iter_mut().zip(&sums) {
            if s[3] > 0.0 {
                *c = [s[0] / s[3], s[1] / s[3], s[2] / s[3]];
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
