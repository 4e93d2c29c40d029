//! Inline SVG charts for the HTML report, drawn as text: horizontal bars (stacked
//! segments) and the findings trend across scans. No script, no external asset; colours
//! are attributes so a chart stays readable when copied out of the page. Every label is
//! escaped.

use super::html::{TrendPoint, esc};

/// Width of a bar chart (user units; the chart scales down on narrow screens).
pub const WIDTH: u32 = 580;
/// Room for the labels left of the bars.
pub const LABEL_W: u32 = 210;
/// Room for the value right of the longest bar.
pub const VALUE_W: u32 = 80;
/// Length of the longest bar.
pub const BAR_W: u32 = WIDTH - LABEL_W - VALUE_W;
const ROW: u32 = 24;
const BAR_H: u32 = 15;
/// Labels longer than this are cut (the full label is in the tooltip).
const LABEL_CHARS: usize = 26;

/// One coloured part of a bar.
#[derive(Clone, Debug)]
pub struct Segment {
    pub value: u64,
    /// What the part counts, for the tooltip ("unsanctioned", "received"…).
    pub name: &'static str,
    pub color: &'static str,
}

/// One bar: a label, its parts, and the text printed after it.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub segments: Vec<Segment>,
    pub value_text: String,
}

impl Bar {
    pub fn total(&self) -> u64 {
        self.segments.iter().map(|s| s.value).sum()
    }
}

/// Cuts `s` to `n` characters, marking the cut with an ellipsis.
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Length of a bar part: proportional to the largest bar, at least one unit when not zero
/// so that small values stay visible.
fn length(value: u64, max: u64) -> f64 {
    if value == 0 || max == 0 {
        return 0.0;
    }
    let l = value as f64 / max as f64 * f64::from(BAR_W);
    (l * 10.0).round().max(10.0) / 10.0
}

/// A horizontal bar chart; `title` names it for screen readers. Empty when there are no
/// bars.
pub fn hbars(title: &str, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let max = bars.iter().map(Bar::total).max().unwrap_or(0);
    let height = bars.len() as u32 * ROW + 6;
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{t}\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"12\">\
         <title>{t}</title>",
        t = esc(title)
    );
    // Faint guide at the bars' origin.
    s += &format!(
        "<line x1=\"{LABEL_W}\" y1=\"0\" x2=\"{LABEL_W}\" y2=\"{height}\" stroke=\"#d5dbe3\" stroke-width=\"1\"/>"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as u32 * ROW + 4;
        let text_y = y + BAR_H - 3;
        s += &format!(
            "<g class=\"bar\"><text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" fill=\"#1f2933\"><title>{}</title>{}</text>",
            LABEL_W - 8,
            esc(&b.label),
            esc(&cut(&b.label, LABEL_CHARS))
        );
        let mut x = f64::from(LABEL_W) + 1.0;
        for seg in &b.segments {
            let w = length(seg.value, max);
            if w == 0.0 {
                continue;
            }
            s += &format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR_H}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                seg.color,
                esc(&b.label),
                seg.value,
                seg.name
            );
            x += w;
        }
        s += &format!(
            "<text x=\"{:.1}\" y=\"{text_y}\" fill=\"#52606d\">{}</text></g>",
            x + 6.0,
            esc(&b.value_text)
        );
    }
    s += "</svg>";
    s
}

/// Size of the trend chart.
const TREND_W: u32 = 720;
const TREND_H: u32 = 220;
/// Plot area: left margin for the axis labels, room below for the dates and the bars of
/// findings that went away.
const PLOT_X: u32 = 48;
const PLOT_TOP: u32 = 14;
const PLOT_UP: u32 = 130;
const PLOT_DOWN: u32 = 40;
/// Scans shown (the latest).
pub const TREND_POINTS: usize = 30;

pub const COLOR_FINDINGS: &str = "#7c8db5";
pub const COLOR_NEW: &str = "#e8590c";
pub const COLOR_GONE: &str = "#adb5bd";

/// Findings per scan as columns (the part that is new highlighted), findings that went
/// away as bars below the axis. Empty when there is no history.
pub fn trend(points: &[TrendPoint]) -> String {
    if points.is_empty() {
        return String::new();
    }
    let points = &points[points.len().saturating_sub(TREND_POINTS)..];
    let up_max = points.iter().map(|p| p.findings).max().unwrap_or(0).max(1);
    let down_max = points.iter().map(|p| p.gone).max().unwrap_or(0);
    // One scale above and below the axis (findings per unit), so that both fit.
    let per_unit =
        (up_max as f64 / f64::from(PLOT_UP)).max(down_max as f64 / f64::from(PLOT_DOWN - 14));
    let scale = |v: u64| -> f64 {
        if v == 0 {
            0.0
        } else {
            (v as f64 / per_unit).max(1.0)
        }
    };
    let axis_y = PLOT_TOP + PLOT_UP;
    let plot_w = TREND_W - PLOT_X - 8;
    let slot = f64::from(plot_w) / points.len() as f64;
    let col_w = (slot * 0.62).min(36.0);
    let mut s = format!(
        "<svg class=\"chart trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {TREND_W} {TREND_H}\" \
         width=\"{TREND_W}\" height=\"{TREND_H}\" role=\"img\" aria-label=\"Findings per scan\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"11\">\
         <title>Findings per scan</title>"
    );
    // Axis and its scale.
    s += &format!(
        "<line x1=\"{PLOT_X}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#9aa5b1\" stroke-width=\"1\"/>\
         <line x1=\"{PLOT_X}\" y1=\"{PLOT_TOP}\" x2=\"{}\" y2=\"{PLOT_TOP}\" stroke=\"#e4e7eb\" stroke-width=\"1\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#52606d\">{up_max}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#52606d\">0</text>",
        TREND_W - 8,
        TREND_W - 8,
        PLOT_X - 6,
        PLOT_TOP + 4,
        PLOT_X - 6,
        axis_y + 4,
    );
    let label_every = points.len().div_ceil(8).max(1);
    for (i, p) in points.iter().enumerate() {
        let cx = f64::from(PLOT_X) + slot * (i as f64 + 0.5);
        let x = cx - col_w / 2.0;
        let when = super::html::day_time(p.scan_started);
        let h = scale(p.findings);
        let new_h = scale(p.new.min(p.findings)).min(h);
        s += &format!(
            "<g class=\"scan\"><title>{}: {} findings, {} new, {} gone</title>",
            esc(&when),
            p.findings,
            p.new,
            p.gone
        );
        // Findings seen before at the bottom, the new ones on top.
        if h - new_h > 0.0 {
            s += &format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{col_w:.1}\" height=\"{:.1}\" fill=\"{COLOR_FINDINGS}\"/>",
                f64::from(axis_y) - (h - new_h),
                h - new_h
            );
        }
        if new_h > 0.0 {
            s += &format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{col_w:.1}\" height=\"{new_h:.1}\" fill=\"{COLOR_NEW}\"/>",
                f64::from(axis_y) - h
            );
        }
        let gone_h = scale(p.gone);
        if gone_h > 0.0 {
            s += &format!(
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{col_w:.1}\" height=\"{gone_h:.1}\" fill=\"{COLOR_GONE}\"/>",
                axis_y + 1
            );
        }
        s += "</g>";
        // Counted from the latest, so the latest scan is always labelled.
        if (points.len() - 1 - i) % label_every == 0 {
            s += &format!(
                "<text x=\"{cx:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#52606d\">{}</text>",
                axis_y + PLOT_DOWN + 14,
                esc(&when[..10.min(when.len())])
            );
        }
    }
    s += "</svg>";
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn bar(label: &str, parts: &[u64]) -> Bar {
        Bar {
            label: label.into(),
            segments: parts
                .iter()
                .map(|&v| Segment {
                    value: v,
                    name: "events",
                    color: "#123456",
                })
                .collect(),
            value_text: parts.iter().sum::<u64>().to_string(),
        }
    }

    /// The `width` attributes of the `<rect>`s, in order.
    fn widths(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let w = r.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_proportional_to_the_largest() {
        let svg = hbars("t", &[bar("a", &[10]), bar("b", &[5]), bar("c", &[1])]);
        assert_eq!(
            widths(&svg),
            [
                f64::from(BAR_W),
                f64::from(BAR_W) / 2.0,
                f64::from(BAR_W) / 10.0
            ]
        );
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<g class=\"bar\">").count(), 3);
    }

    #[test]
    fn stacked_segments_add_up_and_follow_each_other() {
        let svg = hbars("t", &[bar("a", &[3, 1]), bar("b", &[2])]);
        let w = widths(&svg);
        assert_eq!(w.len(), 3);
        assert!((w[0] + w[1] - f64::from(BAR_W)).abs() < 0.2);
        // The second part starts where the first ends.
        let x: Vec<f64> = svg
            .split("<rect x=\"")
            .skip(1)
            .map(|r| r[..r.find('"').unwrap()].parse().unwrap())
            .collect();
        assert!((x[1] - (x[0] + w[0])).abs() < 0.01);
    }

    #[test]
    fn zero_parts_draw_nothing_and_tiny_ones_stay_visible() {
        let svg = hbars("t", &[bar("a", &[1_000_000]), bar("b", &[0, 1])]);
        let w = widths(&svg);
        assert_eq!(w.len(), 2, "{svg}");
        assert_eq!(w[1], 1.0);
        // All zero: labels, no bars, no division by zero.
        let svg = hbars("t", &[bar("a", &[0])]);
        assert!(widths(&svg).is_empty());
        assert!(svg.contains(">a</text>"));
        assert_eq!(hbars("t", &[]), "");
    }

    #[test]
    fn labels_are_escaped_and_cut() {
        let hostile = "<script>alert(1)</script>";
        let svg = hbars(hostile, &[bar(hostile, &[1])]);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let long = "A very long service name that will not fit";
        let svg = hbars("t", &[bar(long, &[1])]);
        assert!(svg.contains(&format!("<title>{long}</title>")));
        assert!(svg.contains(&format!(">{}</text>", cut(long, LABEL_CHARS))));
        assert_eq!(cut(long, 5), "A ve…");
        assert_eq!(cut("short", 5), "short");
    }

    #[test]
    fn trend_draws_one_column_per_scan_and_gone_below() {
        assert_eq!(trend(&[]), "");
        let p = |day: i64, findings, new, gone| TrendPoint {
            scan_started: Timestamp::from_secs(1_795_737_600 + day * 86_400),
            findings,
            new,
            gone,
        };
        let svg = trend(&[p(0, 10, 10, 0), p(1, 12, 3, 1), p(2, 0, 0, 2)]);
        assert_eq!(svg.matches("<g class=\"scan\">").count(), 3);
        assert!(
            svg.contains("2026-11-27 00:00 UTC: 10 findings, 10 new, 0 gone"),
            "{svg}"
        );
        assert!(svg.contains(COLOR_NEW) && svg.contains(COLOR_GONE));
        // The tallest column reaches the top of the plot; its parts stack up to the axis.
        let top = format!("y=\"{PLOT_TOP}.0\"");
        assert_eq!(svg.matches(&top).count(), 1, "{svg}");
        assert!(!svg.contains("height=\"0.0\""), "{svg}");
        let col = svg.split("<g class=\"scan\">").nth(2).unwrap();
        assert!(col.contains(&format!("<rect x=\"362.0\" y=\"{PLOT_TOP}.0\" width=\"36.0\" height=\"32.5\" fill=\"{COLOR_NEW}\"/>")), "{col}");
        assert!(col.contains(&format!("<rect x=\"362.0\" y=\"46.5\" width=\"36.0\" height=\"97.5\" fill=\"{COLOR_FINDINGS}\"/>")), "{col}");
        // Findings that went away are drawn to the same scale, below the axis.
        let unit = f64::from(PLOT_UP) / 12.0;
        assert!(
            svg.contains(&format!(
                "height=\"{:.1}\" fill=\"{COLOR_GONE}\"",
                2.0 * unit
            )),
            "{svg}"
        );
        // When many went away, both directions shrink to fit.
        let svg = trend(&[p(0, 10, 0, 0), p(1, 0, 0, 100)]);
        assert!(
            svg.contains(&format!(
                "height=\"{}.0\" fill=\"{COLOR_GONE}\"",
                PLOT_DOWN - 14
            )),
            "{svg}"
        );
        // Only the latest scans are drawn.
        let many: Vec<TrendPoint> = (0..100).map(|d| p(d, 1, 0, 0)).collect();
        assert_eq!(
            trend(&many).matches("<g class=\"scan\">").count(),
            TREND_POINTS
        );
    }
}
