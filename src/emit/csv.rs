//! Minimal RFC 4180 CSV writing: fields quoted when they hold a comma, quote or line break.

use std::io::{self, Write};

pub fn row<S: AsRef<str>>(w: &mut dyn Write, fields: &[S]) -> io::Result<()> {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let f = f.as_ref();
        // A leading = + - @ would make spreadsheets run the cell as a formula.
        let f = if f.starts_with(['=', '+', '-', '@']) {
            format!("'{f}")
        } else {
            f.to_string()
        };
        if f.contains([',', '"', '\n', '\r']) {
            write!(w, "\"{}\"", f.replace('"', "\"\""))?;
        } else {
            w.write_all(f.as_bytes())?;
        }
    }
    w.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_and_formula_guard() {
        let mut out = Vec::new();
        super::row(
            &mut out,
            &["a", "b,c", "say \"hi\"", "two\nlines", "=cmd()"],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",'=cmd()\r\n"
        );
    }
}
