//! The acknowledgements-over-time chart of a board, drawn on the server as SVG (no scripts, no
//! external resources): how many addressed organisations had made their state known (把握) and
//! had finished (対応完了) at each moment since publication.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;

/// A step line: at each time the count rises by one.
fn steps(times: &[DateTime<Utc>], start: DateTime<Utc>, end: DateTime<Utc>, total: u64) -> String {
    let span = (end - start).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let f = ((t - start).num_milliseconds() as f64 / span).clamp(0.0, 1.0);
        LEFT + f * (WIDTH - LEFT - RIGHT)
    };
    let y = |n: u64| {
        let f = if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        };
        HEIGHT - BOTTOM - f * (HEIGHT - TOP - BOTTOM)
    };
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut points = format!("{:.1},{:.1}", x(start), y(0));
    for (i, t) in sorted.iter().enumerate() {
        let n = i as u64;
        let _ = write!(
            points,
            " {:.1},{:.1} {:.1},{:.1}",
            x(*t),
            y(n),
            x(*t),
            y(n + 1)
        );
    }
    let _ = write!(points, " {:.1},{:.1}", x(end), y(sorted.len() as u64));
    points
}

/// The chart's words in the reader's language: its accessible title (already filled with the
/// counts) and the two line labels. Plain text; markup characters are escaped here.
pub struct Words<'a> {
    pub title: &'a str,
    pub known: &'a str,
    pub done: &'a str,
}

/// The chart as an inline `<svg>` element. Besides `words`, labels are numbers and JST times.
pub fn svg(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    total: u64,
    known: &[DateTime<Utc>],
    done: &[DateTime<Utc>],
    words: &Words<'_>,
) -> String {
    let text = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let end = end.max(start + chrono::Duration::minutes(1));
    let base = HEIGHT - BOTTOM;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="ack-chart-title">
<title id="ack-chart-title">{title}</title>
<line x1="{LEFT}" y1="{base}" x2="{right}" y2="{base}" stroke="#666"/>
<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#666"/>
<text x="{lx}" y="{ty}" font-size="11" text-anchor="end">{total}</text>
<text x="{lx}" y="{base}" font-size="11" text-anchor="end">0</text>
<text x="{LEFT}" y="{bx}" font-size="11">{from}</text>
<text x="{right}" y="{bx}" font-size="11" text-anchor="end">{to}</text>
"##,
        title = text(words.title),
        right = WIDTH - RIGHT,
        lx = LEFT - 4.0,
        ty = TOP + 10.0,
        bx = HEIGHT - 14.0,
        from = crate::time::format_jst(&start),
        to = crate::time::format_jst(&end),
    );
    let _ = writeln!(
        out,
        r##"<polyline class="known" fill="none" stroke="#1f3a5f" stroke-width="2" points="{}"/>"##,
        steps(known, start, end, total)
    );
    let _ = writeln!(
        out,
        r##"<polyline class="done" fill="none" stroke="#2e7d32" stroke-width="2" stroke-dasharray="6 3" points="{}"/>"##,
        steps(done, start, end, total)
    );
    let _ = write!(
        out,
        r##"<text x="{x}" y="{y1}" font-size="11" fill="#1f3a5f">― {known_label}</text>
<text x="{x}" y="{y2}" font-size="11" fill="#2e7d32">- - {done_label}</text>
</svg>"##,
        known_label = text(words.known),
        done_label = text(words.done),
        x = LEFT + 8.0,
        y1 = TOP + 12.0,
        y2 = TOP + 26.0,
    );
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_chart_steps_up_once_per_organisation_and_ends_at_the_total() {
        let start = Utc
            .with_ymd_and_hms(2026, 11, 22, 0, 0, 0)
            .single()
            .unwrap();
        let end = start + chrono::Duration::hours(2);
        let known = [
            start + chrono::Duration::minutes(30),
            start + chrono::Duration::hours(1),
        ];
        let done = [start + chrono::Duration::hours(1)];
        let words = Words {
            title: "把握 2 / 対応完了 1 / 対象 4 <&>",
            known: "把握",
            done: "対応完了",
        };
        let svg = svg(start, end, 4, &known, &done, &words);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(">把握 2 / 対応完了 1 / 対象 4 &lt;&amp;&gt;</title>"));
        assert!(svg.contains("― 把握</text>") && svg.contains("- - 対応完了</text>"));
        assert!(svg.contains("2026-11-22 09:00 JST") && svg.contains("2026-11-22 11:00 JST"));
        // Start, two points per step, end: 2 + 2 × 2 points for the known line.
        let known_line = svg.lines().find(|l| l.contains("class=\"known\"")).unwrap();
        let points = known_line.split("points=\"").nth(1).unwrap();
        assert_eq!(points.trim_end_matches("\"/>").split(' ').count(), 6);
        // Half of four organisations: halfway up the plot area.
        assert!(points.ends_with("628.0,98.0\"/>"), "{points}");
        assert!(!svg.contains("<script"));
    }
}
