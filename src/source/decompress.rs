//! Decompression chosen by magic bytes, never by file name, with a cap on output size so a
//! compression bomb cannot fill memory or run forever.

use std::io::{self, Read};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }

    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }

    /// Wraps `r` in the matching decoder. Concatenated members (rotated logs joined with
    /// `cat`) are all read.
    pub fn decoder<'a, R: Read + Send + 'a>(self, r: R) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        })
    }
}

/// Stops with an error once more than `cap` bytes were produced.
pub struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, cap: u64) -> Self {
        Capped {
            inner,
            left: cap,
            cap,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Only an error if there is more to read.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "decompressed data exceeds the cap of {} bytes (--max-decompressed); the rest was not read",
                    self.cap
                ))),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads `inner` on a thread of its own, a few chunks ahead, so decompressing one input
/// and parsing it use two cores. Buffers go back and forth instead of being reallocated.
pub struct Prefetch {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    back: std::sync::mpsc::SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

const PREFETCH_CHUNK: usize = 256 * 1024;

impl Prefetch {
    pub fn new<R: Read + Send + 'static>(mut inner: R) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(2);
        let (back, spare) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        std::thread::spawn(move || {
            loop {
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.resize(PREFETCH_CHUNK, 0);
                let mut n = 0;
                let mut result = Ok(());
                while n < buf.len() {
                    match inner.read(&mut buf[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                buf.truncate(n);
                let eof = n < PREFETCH_CHUNK;
                // Data read before an error is delivered first, then the error.
                if n > 0 && tx.send(Ok(buf)).is_err() {
                    return; // the reader was dropped
                }
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                    return;
                }
                if eof {
                    return;
                }
            }
        });
        Prefetch {
            rx,
            back,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            let used = std::mem::take(&mut self.cur);
            let _ = self.back.try_send(used);
            self.pos = 0;
            match self.rx.recv() {
                Ok(Ok(buf)) => self.cur = buf,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0), // the producer finished
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn multi_member_gzip_reads_every_member() {
        let mut data = gzip(b"one\n");
        data.extend(gzip(b"two\n"));
        assert_eq!(Compression::sniff(&data), Compression::Gzip);
        let mut out = String::new();
        Compression::Gzip
            .decoder(&data[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "one\ntwo\n");
    }

    #[test]
    fn zstd_and_bzip2() {
        let z = zstd::encode_all(&b"zstd line\n"[..], 3).unwrap();
        assert_eq!(Compression::sniff(&z), Compression::Zstd);
        let mut out = String::new();
        Compression::Zstd
            .decoder(&z[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "zstd line\n");
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(b"bz line\n").unwrap();
        let b = e.finish().unwrap();
        assert_eq!(Compression::sniff(&b), Compression::Bzip2);
        out.clear();
        Compression::Bzip2
            .decoder(&b[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "bz line\n");
    }

    #[test]
    fn prefetch_delivers_every_byte_then_the_error() {
        let data: Vec<u8> = (0..3 * PREFETCH_CHUNK + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut out = Vec::new();
        Prefetch::new(io::Cursor::new(data.clone()))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        // A decoder that fails part-way: what came before the error is read, then the error.
        let gz = gzip(&data);
        let cut = gz[..gz.len() / 2].to_vec();
        let mut r = Prefetch::new(Compression::Gzip.decoder(io::Cursor::new(cut)).unwrap());
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(
            !out.is_empty() && data.starts_with(&out),
            "{} bytes",
            out.len()
        );
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn cap_stops_a_bomb_with_an_error() {
        let data = gzip(&vec![b'a'; 100_000]);
        let mut r = Capped::new(Compression::Gzip.decoder(&data[..]).unwrap(), 1000);
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out.len(), 1000);
        assert!(
            err.to_string().contains("exceeds the cap of 1000 bytes"),
            "{err}"
        );
        // Exactly at the cap is fine.
        let mut r = Capped::new(Compression::Gzip.decoder(&data[..]).unwrap(), 100_000);
        assert_eq!(r.read_to_end(&mut Vec::new()).unwrap(), 100_000);
    }
}
